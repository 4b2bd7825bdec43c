// Image fixtures built at test time, so no binary file is committed. sharp writes the formats
// it can; BMP, ICO, big-endian TIFF and the lying PNG are assembled by hand.

import { crc32 } from 'node:zlib';
import sharp, { type Sharp } from 'sharp';

const HTML_PAYLOAD = '<html><script>alert(1)</script></html>';

// Deterministic pseudo-random RGB pixels: noise compresses badly, so encoded files have
// long scan data to cut in the middle of.
function noise(width: number, height: number, seed = 1): Buffer {
  const out = Buffer.alloc(width * height * 3);
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

function raw(width: number, height: number): Sharp {
  return sharp(noise(width, height), { raw: { width, height, channels: 3 } });
}

function solid(width: number, height: number, r: number): Sharp {
  return sharp({ create: { width, height, channels: 3, background: { r, g: 40, b: 90 } } });
}

const XMP = [
  '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
  '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Jane Secret</dc:creator>',
  '</rdf:Description></rdf:RDF></x:xmpmeta>',
].join('');

// A 20x10 JPEG whose EXIF says "rotate 90° clockwise" (orientation 6) and carries a GPS IFD,
// plus an ICC profile and XMP: everything re-encoding must drop.
export async function jpegWithGps(): Promise<Buffer> {
  return raw(20, 10)
    .jpeg()
    .withMetadata({ orientation: 6 })
    .withExif({
      IFD0: { Make: 'Acme', Model: 'Phone 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '51/1 30/1 1234/100',
        GPSLongitudeRef: 'W',
        GPSLongitude: '0/1 7/1 3900/100',
      },
    })
    .withIccProfile('p3')
    .withXmp(XMP)
    .toBuffer();
}

// The GPS tags present in an EXIF block (as sharp's metadata().exif returns it), read by
// following IFD0's GPSInfo pointer (tag 0x8825). Empty when there is no GPS IFD.
export function gpsTagsIn(exif: Buffer | undefined): number[] {
  if (!exif) return [];
  const tiff = exif.subarray(exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0);
  const le = tiff.subarray(0, 2).toString('latin1') === 'II';
  const u16 = (at: number) => (le ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at));
  const u32 = (at: number) => (le ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at));
  const ifdTags = (ifd: number) =>
    Array.from({ length: u16(ifd) }, (_, i) => ({ tag: u16(ifd + 2 + i * 12), value: u32(ifd + 10 + i * 12) }));
  const gps = ifdTags(u32(4)).find((entry) => entry.tag === 0x8825);
  return gps ? ifdTags(gps.value).map((entry) => entry.tag) : [];
}

export async function png(width: number, height: number): Promise<Buffer> {
  return raw(width, height).png().toBuffer();
}

export async function webp(width: number, height: number): Promise<Buffer> {
  return raw(width, height).webp().toBuffer();
}

export async function gif(width = 8, height = 6): Promise<Buffer> {
  return solid(width, height, 200).gif().toBuffer();
}

export async function tiff(width = 9, height = 7): Promise<Buffer> {
  return solid(width, height, 200).tiff().toBuffer();
}

// Two frames of 8x8, red then black.
export async function animatedWebp(): Promise<Buffer> {
  return animated().then((frames) => frames.webp().toBuffer());
}

export async function animatedGif(): Promise<Buffer> {
  return animated().then((frames) => frames.gif().toBuffer());
}

async function animated(): Promise<Sharp> {
  const frames = await Promise.all([255, 0].map((r) => solid(8, 8, r).png().toBuffer()));
  return sharp(frames, { join: { animated: true } });
}

// A valid 64x64 JPEG cut halfway between the start of scan and the end.
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await raw(64, 64).jpeg({ quality: 95 }).toBuffer();
  const sos = full.indexOf(Buffer.from([0xff, 0xda]));
  return full.subarray(0, sos + Math.floor((full.length - sos) / 2));
}

export function svgWithScript(): Buffer {
  return Buffer.from(
    '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">' +
      '<script>alert(1)</script><rect width="10" height="10"/></svg>\n',
  );
}

// A JPEG that is also an HTML page: the markup sits in a COM segment right after SOI (so it
// is near the start, where content sniffers look) and again after the EOI marker.
export async function jpegHtmlPolyglot(): Promise<Buffer> {
  const jpeg = await raw(16, 16).jpeg().toBuffer();
  const html = Buffer.from(HTML_PAYLOAD);
  const comLength = Buffer.alloc(2);
  comLength.writeUInt16BE(html.length + 2);
  const com = Buffer.concat([Buffer.from([0xff, 0xfe]), comLength, html]);
  return Buffer.concat([jpeg.subarray(0, 2), com, jpeg.subarray(2), html]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// A PNG signature and a valid IHDR (8-bit RGB) claiming these dimensions, followed by a
// few bytes of garbage IDAT: a decompression bomb's header without the bomb.
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0xde, 0xad, 0xbe, 0xef])),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

// A real PNG with a tEXt chunk (holding markup) inserted right after IHDR.
export async function pngWithText(width: number, height: number): Promise<Buffer> {
  const base = await png(width, height);
  const afterIhdr = 8 + 8 + 13 + 4;
  const text = pngChunk('tEXt', Buffer.from(`Comment\0${HTML_PAYLOAD}`, 'latin1'));
  return Buffer.concat([base.subarray(0, afterIhdr), text, base.subarray(afterIhdr)]);
}

// An uncompressed 24-bit BMP with a BITMAPINFOHEADER; rows are padded to 4 bytes. A negative
// height stores the rows top-down.
export function bmp(width = 3, height = 2): Buffer {
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const pixels = Buffer.alloc(rowSize * Math.abs(height), 0x7f);
  const header = Buffer.alloc(14 + 40);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(header.length + pixels.length, 2);
  header.writeUInt32LE(header.length, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26); // planes
  header.writeUInt16LE(24, 28); // bits per pixel
  header.writeUInt32LE(pixels.length, 34);
  return Buffer.concat([header, pixels]);
}

// A minimal TIFF header in either byte order: one IFD holding ImageWidth as a SHORT and
// ImageLength as a LONG, no pixel data. Enough for a header reader, not for a decoder.
export function tiffHeader(width: number, height: number, byteOrder: 'II' | 'MM'): Buffer {
  const le = byteOrder === 'II';
  const buf = Buffer.alloc(8 + 2 + 2 * 12 + 4);
  const w16 = (v: number, at: number) => (le ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at));
  const w32 = (v: number, at: number) => (le ? buf.writeUInt32LE(v, at) : buf.writeUInt32BE(v, at));
  buf.write(byteOrder, 0, 'latin1');
  w16(42, 2);
  w32(8, 4);
  w16(2, 8);
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 3, width],
    [257, 4, height],
  ];
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    w16(tag, at);
    w16(type, at + 2);
    w32(1, at + 4);
    // A SHORT sits in the first two bytes of the value field.
    if (type === 3) w16(value, at + 8);
    else w32(value, at + 8);
  });
  return buf;
}

// A one-image ICO whose image is a PNG (allowed since Windows Vista). A size of 256 is
// stored as 0 in the directory entry.
export async function ico(size = 16): Promise<Buffer> {
  const image = await png(size, size);
  const dir = Buffer.alloc(6 + 16);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // type: icon
  dir.writeUInt16LE(1, 4); // one image
  dir[6] = size >= 256 ? 0 : size;
  dir[7] = size >= 256 ? 0 : size;
  dir.writeUInt16LE(1, 6 + 4); // planes
  dir.writeUInt16LE(32, 6 + 6); // bits per pixel
  dir.writeUInt32LE(image.length, 6 + 8);
  dir.writeUInt32LE(dir.length, 6 + 12);
  return Buffer.concat([dir, image]);
}
