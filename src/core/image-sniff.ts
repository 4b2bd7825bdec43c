// Recognises an image by its signature and header alone, without decoding it and without
// sharp. Used twice: as the "is this recognisable as an image" step of the `users` surface
// (users.md §2.5), and to read the dimensions before any decoding so a decompression bomb is
// refused without allocating its pixels (v1.md §0.10).
//
// Every read goes through the bounds-checked helpers below, and every loop advances by at
// least one byte over a finite buffer, so hostile input can neither throw nor spin.

export type SniffedFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'ico';

export type SniffResult = { format: SniffedFormat; width: number; height: number };

type Sniffer = (buf: Buffer) => SniffResult | null;

// Signature checks are cheap, so each sniffer is tried in turn; at most one can match.
const SNIFFERS: readonly Sniffer[] = [sniffJpeg, sniffPng, sniffGif, sniffWebp, sniffBmp, sniffTiff, sniffIco];

export function sniffImage(buf: Buffer): SniffResult | null {
  for (const sniff of SNIFFERS) {
    const found = sniff(buf);
    if (found) return found;
  }
  return null;
}

// ---- bounds-checked readers: undefined when the bytes are not there ----

function u8(buf: Buffer, at: number): number | undefined {
  return at >= 0 && at < buf.length ? buf[at] : undefined;
}

function u16(buf: Buffer, at: number, littleEndian: boolean): number | undefined {
  if (at < 0 || at + 2 > buf.length) return undefined;
  return littleEndian ? buf.readUInt16LE(at) : buf.readUInt16BE(at);
}

function u32(buf: Buffer, at: number, littleEndian: boolean): number | undefined {
  if (at < 0 || at + 4 > buf.length) return undefined;
  return littleEndian ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
}

function i32le(buf: Buffer, at: number): number | undefined {
  return at >= 0 && at + 4 <= buf.length ? buf.readInt32LE(at) : undefined;
}

function startsWith(buf: Buffer, at: number, sig: Buffer): boolean {
  return at >= 0 && at + sig.length <= buf.length && buf.compare(sig, 0, sig.length, at, at + sig.length) === 0;
}

const bytes = (...values: number[]): Buffer => Buffer.from(values);
const ascii = (text: string): Buffer => Buffer.from(text, 'latin1');

// A zero or missing dimension means the header did not really parse.
function result(format: SniffedFormat, width: number | undefined, height: number | undefined): SniffResult | null {
  if (!width || !height) return null;
  return { format, width, height };
}

// ---- JPEG: walk the marker segments up to the first start-of-frame ----

const JPEG_SOI = bytes(0xff, 0xd8, 0xff);

// SOF0..SOF15 carry the frame size, except C4 (DHT), C8 (reserved JPG) and CC (DAC).
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

// Markers with no length field: TEM and the restart markers.
function isStandalone(marker: number): boolean {
  return marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7);
}

function sniffJpeg(buf: Buffer): SniffResult | null {
  if (!startsWith(buf, 0, JPEG_SOI)) return null;
  let pos = 2;
  while (pos < buf.length) {
    if (buf[pos] !== 0xff) return null;
    // Any number of 0xFF fill bytes may precede a marker.
    while (u8(buf, pos) === 0xff) pos++;
    const marker = u8(buf, pos);
    if (marker === undefined) return null;
    pos++;
    if (isStandalone(marker)) continue;
    // Image data or the end before any frame header: nothing to size.
    if (marker === 0xda || marker === 0xd9 || marker === 0xd8 || marker === 0x00) return null;
    const length = u16(buf, pos, false);
    if (length === undefined || length < 2) return null;
    if (isStartOfFrame(marker)) {
      // Segment: length(2) precision(1) height(2) width(2) components(1)
      if (length < 8) return null;
      return result('jpeg', u16(buf, pos + 5, false), u16(buf, pos + 3, false));
    }
    pos += length;
  }
  return null;
}

// ---- PNG: the IHDR chunk must come first ----

const PNG_SIGNATURE = bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
const PNG_IHDR = ascii('IHDR');

function sniffPng(buf: Buffer): SniffResult | null {
  if (!startsWith(buf, 0, PNG_SIGNATURE)) return null;
  if (u32(buf, 8, false) !== 13 || !startsWith(buf, 12, PNG_IHDR)) return null;
  // The whole 13-byte IHDR body must be present for the header to count as parsed.
  if (buf.length < 16 + 13) return null;
  const width = u32(buf, 16, false);
  const height = u32(buf, 20, false);
  // PNG limits each dimension to 2^31 - 1.
  if (width === undefined || height === undefined || width > 0x7fffffff || height > 0x7fffffff) return null;
  return result('png', width, height);
}

// ---- GIF: the logical screen descriptor ----

const GIF87A = ascii('GIF87a');
const GIF89A = ascii('GIF89a');

function sniffGif(buf: Buffer): SniffResult | null {
  if (!startsWith(buf, 0, GIF87A) && !startsWith(buf, 0, GIF89A)) return null;
  // width(2) height(2) flags(1) background(1) aspect(1): all seven bytes must be there.
  if (buf.length < 13) return null;
  return result('gif', u16(buf, 6, true), u16(buf, 8, true));
}

// ---- WebP: RIFF container, then a VP8, VP8L or VP8X first chunk ----

const RIFF = ascii('RIFF');
const WEBP = ascii('WEBP');
const VP8 = ascii('VP8 ');
const VP8L = ascii('VP8L');
const VP8X = ascii('VP8X');
const VP8_START_CODE = bytes(0x9d, 0x01, 0x2a);

function sniffWebp(buf: Buffer): SniffResult | null {
  if (!startsWith(buf, 0, RIFF) || !startsWith(buf, 8, WEBP)) return null;
  if (startsWith(buf, 12, VP8)) return sniffVp8(buf, 20);
  if (startsWith(buf, 12, VP8L)) return sniffVp8l(buf, 20);
  if (startsWith(buf, 12, VP8X)) return sniffVp8x(buf, 20);
  return null;
}

// Lossy: a 3-byte frame tag (key frame when bit 0 is clear), the start code, then 14-bit sizes.
function sniffVp8(buf: Buffer, at: number): SniffResult | null {
  const tag = u8(buf, at);
  if (tag === undefined || (tag & 1) !== 0) return null;
  if (!startsWith(buf, at + 3, VP8_START_CODE)) return null;
  const width = u16(buf, at + 6, true);
  const height = u16(buf, at + 8, true);
  if (width === undefined || height === undefined) return null;
  return result('webp', width & 0x3fff, height & 0x3fff);
}

// Lossless: signature 0x2F, then width-1 and height-1 packed as two 14-bit fields.
function sniffVp8l(buf: Buffer, at: number): SniffResult | null {
  if (u8(buf, at) !== 0x2f) return null;
  const bits = u32(buf, at + 1, true);
  if (bits === undefined) return null;
  return result('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
}

// Extended: flags(1) reserved(3), then canvas width-1 and height-1 as 24-bit little-endian.
function sniffVp8x(buf: Buffer, at: number): SniffResult | null {
  if (buf.length < at + 10) return null;
  const width = buf.readUIntLE(at + 4, 3) + 1;
  const height = buf.readUIntLE(at + 7, 3) + 1;
  return result('webp', width, height);
}

// ---- BMP: file header, then the DIB header whose size says its layout ----

const BMP_MAGIC = ascii('BM');
const BMP_INFO_HEADER_SIZES = new Set([16, 40, 52, 56, 64, 108, 124]);

function sniffBmp(buf: Buffer): SniffResult | null {
  if (!startsWith(buf, 0, BMP_MAGIC)) return null;
  const dibSize = u32(buf, 14, true);
  if (dibSize === 12) {
    // OS/2 BITMAPCOREHEADER: unsigned 16-bit sizes.
    return result('bmp', u16(buf, 18, true), u16(buf, 20, true));
  }
  if (dibSize === undefined || !BMP_INFO_HEADER_SIZES.has(dibSize)) return null;
  const width = i32le(buf, 18);
  const height = i32le(buf, 22);
  // A negative height means the rows are stored top-down; a negative width is invalid.
  if (width === undefined || height === undefined || width < 0) return null;
  return result('bmp', width, Math.abs(height));
}

// ---- TIFF: first IFD, tags ImageWidth (256) and ImageLength (257) ----

const TIFF_LE = bytes(0x49, 0x49, 0x2a, 0x00);
const TIFF_BE = bytes(0x4d, 0x4d, 0x00, 0x2a);
const TIFF_SHORT = 3;
const TIFF_LONG = 4;

function sniffTiff(buf: Buffer): SniffResult | null {
  let littleEndian: boolean;
  if (startsWith(buf, 0, TIFF_LE)) littleEndian = true;
  else if (startsWith(buf, 0, TIFF_BE)) littleEndian = false;
  else return null;
  const ifd = u32(buf, 4, littleEndian);
  if (ifd === undefined || ifd < 8) return null;
  const count = u16(buf, ifd, littleEndian);
  if (count === undefined) return null;
  let width: number | undefined;
  let height: number | undefined;
  // Stops at the declared count or the end of the buffer, whichever comes first.
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > buf.length) return null;
    const tag = u16(buf, entry, littleEndian);
    if (tag !== 256 && tag !== 257) continue;
    const value = tiffScalar(buf, entry, littleEndian);
    if (tag === 256) width = value;
    else height = value;
    if (width !== undefined && height !== undefined) return result('tiff', width, height);
  }
  return null;
}

// A single SHORT or LONG value stored inline in the entry's 4-byte value field.
function tiffScalar(buf: Buffer, entry: number, littleEndian: boolean): number | undefined {
  const type = u16(buf, entry + 2, littleEndian);
  if (u32(buf, entry + 4, littleEndian) !== 1) return undefined;
  if (type === TIFF_SHORT) return u16(buf, entry + 8, littleEndian);
  if (type === TIFF_LONG) return u32(buf, entry + 8, littleEndian);
  return undefined;
}

// ---- ICO: ICONDIR, then the first ICONDIRENTRY ----

const ICO_MAGIC = bytes(0x00, 0x00, 0x01, 0x00);

function sniffIco(buf: Buffer): SniffResult | null {
  // reserved = 0, type = 1 (icon; 2 would be a cursor), at least one image.
  if (!startsWith(buf, 0, ICO_MAGIC)) return null;
  const count = u16(buf, 4, true);
  if (!count || buf.length < 6 + 16) return null;
  // The signature is weak, so the first entry must also be coherent: a non-empty image
  // that starts after the directory.
  const size = u32(buf, 6 + 8, true);
  const offset = u32(buf, 6 + 12, true);
  if (!size || offset === undefined || offset < 6 + 16 * count) return null;
  // A stored 0 means 256 pixels.
  return result('ico', buf[6] || 256, buf[7] || 256);
}
