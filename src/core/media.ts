// Avatar images (v1.md §0.10): check, re-encode and store them.
//
// Uploaded bytes are never stored as they came: each accepted image is decoded in full and
// re-encoded in its own format with no metadata, which drops location data (EXIF GPS) and
// anything smuggled beside the pixels (polyglot HTML in comments or after the end marker).

import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open as fsOpen, rename, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { sniffImage } from './image-sniff.js';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const IMAGE_EXT: Record<ImageFormat, 'jpg' | 'png' | 'webp'> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
};

export const IMAGE_CONTENT_TYPE: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

export type ProcessResult =
  | { ok: true; format: ImageFormat; data: Buffer; width: number; height: number }
  | { ok: false; reason: 'not_image' | 'too_many_pixels' };

export type ProcessOptions = { allowed: readonly ImageFormat[]; maxPixels: number };

const NOT_IMAGE: ProcessResult = { ok: false, reason: 'not_image' };
const TOO_MANY_PIXELS: ProcessResult = { ok: false, reason: 'too_many_pixels' };

/** At most `limit` tasks run at once; the others wait, in the order they came. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private limit: number) {}

  /** A new limit; raising it starts waiting tasks at once. */
  resize(limit: number): void {
    this.limit = limit;
    while (this.active < this.limit && this.waiting.length) {
      this.active++;
      this.waiting.shift()!();
    }
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resume) => this.waiting.push(resume)); // the slot is handed over
    try {
      return await task();
    } finally {
      const next = this.active <= this.limit ? this.waiting.shift() : undefined;
      if (next) next();
      else this.active--;
    }
  }
}

// Decoding is bounded per process, not per app: a 40-megapixel image takes over 100 MiB while
// it is decoded (a WebP over 300 MiB), and that memory, like libvips and its settings, belongs
// to the process, however many apps it runs (tests run several). Without the bound, 32 parallel
// uploads held gigabytes at once.
const decodes = new Semaphore(os.availableParallelism());

/**
 * IMAGE_DECODE_CONCURRENCY: how many images are decoded at once; the others wait their turn.
 * libvips' operation cache is turned off: it keeps recent results for reuse, and an upload is
 * never processed twice.
 */
export function configureImageDecoding(concurrency: number): void {
  decodes.resize(Math.max(1, Math.floor(concurrency)));
  sharp.cache(false);
}

// Checks the signature, then the header's pixel count, then decodes and re-encodes
// (v1.md §5.2 steps 5–6). Never throws for bad input.
export async function processImage(buf: Buffer, opts: ProcessOptions): Promise<ProcessResult> {
  const sniffed = sniffImage(buf);
  const format = sniffed ? asAllowed(sniffed.format, opts.allowed) : undefined;
  if (!sniffed || !format) return NOT_IMAGE;
  // Refused from the header alone, so a small file claiming huge dimensions never gets
  // its pixels allocated.
  if (sniffed.width * sniffed.height > opts.maxPixels) return TOO_MANY_PIXELS;
  try {
    return await decodes.run(() => reencode(buf, format, opts.maxPixels));
  } catch {
    // sharp rejects truncated, corrupt or over-limit input by throwing; to the caller all of
    // them mean "not a valid image".
    return NOT_IMAGE;
  }
}

function asAllowed(format: string, allowed: readonly ImageFormat[]): ImageFormat | undefined {
  return (allowed as readonly string[]).includes(format) ? (format as ImageFormat) : undefined;
}

async function reencode(buf: Buffer, format: ImageFormat, maxPixels: number): Promise<ProcessResult> {
  const image = sharp(buf, {
    // 'warning' is the strictest level: a truncated file or a corrupt scan fails instead of
    // being padded with grey, which is what "decoded in full" asks for.
    failOn: 'warning',
    limitInputPixels: maxPixels,
    // Only the first frame of an animation or the first page of a multi-page file.
    pages: 1,
    page: 0,
  });
  // libvips picks its decoder by its own sniffing; make sure it agrees with ours, so a file
  // that looked like a PNG is never decoded as something else.
  const meta = await image.metadata();
  if (meta.format !== format) return NOT_IMAGE;
  if (meta.width * meta.height > maxPixels) return TOO_MANY_PIXELS;
  // rotate() with no angle applies the EXIF orientation. sharp writes no metadata unless
  // asked to (no keep*/with* call here), and converts to sRGB when it drops an ICC profile.
  const oriented = image.rotate();
  const { data, info } = await encoder(oriented, format).toBuffer({ resolveWithObject: true });
  return { ok: true, format, data, width: info.width, height: info.height };
}

function encoder(image: Sharp, format: ImageFormat): Sharp {
  switch (format) {
    case 'jpeg':
      // Optimised Huffman tables need every coefficient of the image in memory before the first
      // byte is written (some 200 MiB at 40 megapixels); standard tables let the re-encode stream,
      // for a file a few percent larger.
      return image.jpeg({ quality: 90, optimiseCoding: false });
    case 'png':
      return image.png();
    case 'webp':
      return image.webp({ quality: 90 });
  }
}

/** The format of an image this store wrote, from its first 12 bytes. */
export function storedImageFormat(head: Buffer): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(PNG_MAGIC)) return 'png';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export type MediaFile = { absPath: string; size: number; mtimeMs: number; etag: string };

// Files on disk under one media directory. Every relative path handed in is resolved and
// checked to stay inside it, because stored paths come back from the database and URLs.
export class MediaStore {
  private readonly root: string;

  constructor(mediaDir: string) {
    this.root = path.resolve(mediaDir);
  }

  // Written to a temporary name and renamed, so a reader never sees half a file.
  async saveAvatar(userNumber: number, filename: string, data: Buffer): Promise<string> {
    const rel = `avatars/${checkUserNumber(userNumber)}/${checkFilename(filename)}`;
    const abs = path.join(this.root, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    const temp = path.join(path.dirname(abs), `.${randomBytes(8).toString('hex')}.tmp`);
    try {
      await writeFile(temp, data, { flag: 'wx' });
      await rename(temp, abs);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    return rel;
  }

  // A missing file is already removed; a path outside the media directory is never touched.
  async remove(relPath: string | null | undefined): Promise<void> {
    const abs = relPath ? this.resolve(relPath) : null;
    if (!abs) return;
    try {
      await unlink(abs);
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
  }

  async removeUserDir(userNumber: number): Promise<void> {
    const dir = path.join(this.root, 'avatars', String(checkUserNumber(userNumber)));
    await rm(dir, { recursive: true, force: true });
  }

  async exists(relPath: string): Promise<boolean> {
    return (await this.open(relPath)) !== null;
  }

  // Stats the file for serving. Only regular files count: a directory is "missing", and so
  // is a symbolic link, which this store never creates and which could point anywhere.
  async open(relPath: string): Promise<MediaFile | null> {
    const abs = this.resolve(relPath);
    if (!abs) return null;
    try {
      const st = await lstat(abs, { bigint: true });
      if (!st.isFile()) return null;
      return { absPath: abs, size: Number(st.size), mtimeMs: Number(st.mtimeMs), etag: etagOf(st.size, st.mtimeNs) };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  /**
   * A stored image and its real format, read from its signature: stored images were re-encoded
   * here, but `users` keeps the uploaded name, so a JPEG may be called photo.png. Null when the
   * file is missing or is not one of the formats this store writes.
   */
  async openImage(relPath: string | null | undefined): Promise<{ file: MediaFile; format: ImageFormat } | null> {
    if (!relPath) return null;
    const file = await this.open(relPath);
    if (!file) return null;
    const head = Buffer.alloc(12);
    try {
      const handle = await fsOpen(file.absPath, 'r');
      try {
        await handle.read(head, 0, 12, 0);
      } finally {
        await handle.close();
      }
    } catch (err) {
      if (isMissing(err)) return null; // replaced or removed since it was looked up
      throw err;
    }
    const format = storedImageFormat(head);
    return format ? { file, format } : null;
  }

  // Absolute path strictly inside the media directory, or null.
  private resolve(relPath: string): string | null {
    if (relPath.includes('\0') || path.isAbsolute(relPath)) return null;
    const abs = path.resolve(this.root, relPath);
    return abs.startsWith(this.root + path.sep) ? abs : null;
  }
}

// Files are only ever replaced by rename, never rewritten in place, so size plus the
// nanosecond mtime changes whenever the bytes do; it costs a stat, not a read.
function etagOf(size: bigint, mtimeNs: bigint): string {
  return `"${size.toString(16)}-${mtimeNs.toString(16)}"`;
}

function checkUserNumber(userNumber: number): number {
  if (!Number.isSafeInteger(userNumber) || userNumber < 0) {
    throw new TypeError(`invalid user number: ${userNumber}`);
  }
  return userNumber;
}

// One plain path component; callers make upload names safe, this is the last guard.
function checkFilename(filename: string): string {
  if (!filename || filename === '.' || filename === '..' || /[/\\\0]/.test(filename)) {
    throw new TypeError(`invalid media filename: ${JSON.stringify(filename)}`);
  }
  return filename;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
