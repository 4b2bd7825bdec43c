// The avatar checks of users.md §2.5 (steps 3–5) and the stored file's name.
import { type ProcessResult, processImage } from '../../core/media.js';
import { sniffImage } from '../../core/image-sniff.js';
import { randomAlnum } from '../../core/secrets.js';
import type { UploadedFile } from '../../http/body.js';
import { charLength, pyStrip } from '../../http/fields.js';
import { MSG, extensionMessage, filenameTooLongMessage } from './replies.js';

const FILENAME_MAX = 100;
const MAX_BYTES = 3 * 1024 * 1024;
const ALLOWED_EXTENSIONS = ['jpg', 'jpeg', 'png'] as const;
const MAX_PIXELS = 40_000_000;
// A file name is at most 255 bytes on the usual file systems, and 100 characters can be 400
// UTF-8 bytes; this leaves room for the random suffix and the temporary-file prefix.
const NAME_MAX_BYTES = 200;
const SUFFIX_LENGTH = 7;

export type AvatarCheck =
  | { ok: true; image: Extract<ProcessResult, { ok: true }>; extension: string }
  | { ok: false; errors: string[] };

/** Steps 3 to 5: the first of step 3 alone, then both of step 4, then the decode. */
export async function checkAvatar(file: UploadedFile): Promise<AvatarCheck> {
  const first = firstProblem(file);
  if (first) return { ok: false, errors: [first] };
  const extension = extensionOf(file.filename);
  const errors: string[] = [];
  if (!(ALLOWED_EXTENSIONS as readonly string[]).includes(extension)) errors.push(extensionMessage(extension, ALLOWED_EXTENSIONS));
  if (file.data.length > MAX_BYTES) errors.push(MSG.fileTooBig);
  if (errors.length) return { ok: false, errors };
  const image = await processImage(file.data, { allowed: ['jpeg', 'png'], maxPixels: MAX_PIXELS });
  if (!image.ok) return { ok: false, errors: [MSG.notAnImage] };
  return { ok: true, image, extension };
}

// "Recognisable" reads the header only (JPEG, PNG, GIF, WebP, BMP, TIFF or ICO); decoding,
// and refusing what is not JPEG or PNG, is step 5.
function firstProblem(file: UploadedFile): string | null {
  if (file.data.length === 0) return MSG.fileEmpty;
  const length = charLength(file.filename);
  if (length > FILENAME_MAX) return filenameTooLongMessage(FILENAME_MAX, length);
  if (!sniffImage(file.data)) return MSG.notAnImage;
  return null;
}

/** The text after the last `.`, lower-cased; '' when there is no dot. */
function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? '' : filename.slice(dot + 1).toLowerCase();
}

/**
 * The uploaded name made safe (Django's get_valid_filename): trimmed, spaces to `_`, and only
 * letters, digits, `-`, `_` and `.` kept. Nothing left (or only dots) gives `avatar.<ext>`.
 * A name too long in bytes for the file system is cut and given the random suffix.
 */
export function safeFilename(filename: string, extension: string): string {
  const cleaned = pyStrip(filename).replaceAll(' ', '_').replace(/[^\p{L}\p{N}_.-]/gu, '');
  const name = cleaned === '' || cleaned === '.' || cleaned === '..' ? `avatar.${extension}` : cleaned;
  return Buffer.byteLength(name) > NAME_MAX_BYTES ? withRandomSuffix(name) : name;
}

/** `photo.png` → `photo_a1B2c3D.png` (Django's get_available_name), within NAME_MAX_BYTES. */
export function withRandomSuffix(name: string): string {
  const [root, ext] = splitExt(name);
  const budget = NAME_MAX_BYTES - Buffer.byteLength(ext) - SUFFIX_LENGTH - 1;
  return `${cutToBytes(root, budget)}_${randomAlnum(SUFFIX_LENGTH)}${ext}`;
}

// Python's os.path.splitext: the extension starts at the last dot that is not leading.
function splitExt(name: string): [string, string] {
  const dot = name.lastIndexOf('.');
  const leadingDots = name.length - name.replace(/^\.+/, '').length;
  return dot < leadingDots ? [name, ''] : [name.slice(0, dot), name.slice(dot)];
}

// Whole characters only, so a multi-byte letter is never split.
function cutToBytes(text: string, maxBytes: number): string {
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    bytes += Buffer.byteLength(ch);
    if (bytes > maxBytes) break;
    out += ch;
  }
  return out;
}
