// The `profile_pic` field of register and update (api-user.md §3.2): DRF's ImageField checks
// with Gatehouse's caps, first failure only, then the core's decode and re-encode (v1.md §0.10).
import { randomBytes } from 'node:crypto';
import { IMAGE_EXT, type ImageFormat, processImage } from '../../core/media.js';
import { isFile } from '../../http/body.js';
import { charLength } from '../../http/fields.js';
import type { FieldMap } from '../../http/drf-fields.js';

const MAX_BYTES = 5 * 1024 * 1024;
const MAX_FILENAME = 100;
const MAX_PIXELS = 40_000_000;
const ALLOWED: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];

export const PIC_MESSAGES = {
  notAFile: 'The submitted data was not a file. Check the encoding type on the form.',
  noName: 'No filename could be determined.',
  empty: 'The submitted file is empty.',
  tooBig: 'File size exceeds the limit 5 MB.',
  invalid: 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.',
  tooManyPixels: 'Image dimensions exceed the limit of 40 megapixels.',
} as const;

export type ProfilePic =
  | { kind: 'absent' }
  /** `null` or `""`: no picture (register), delete the picture (update). */
  | { kind: 'clear' }
  | { kind: 'image'; format: ImageFormat; data: Buffer }
  | { kind: 'error'; message: string };

export async function checkProfilePic(data: FieldMap): Promise<ProfilePic> {
  if (!Object.prototype.hasOwnProperty.call(data, 'profile_pic')) return { kind: 'absent' };
  const value = data.profile_pic;
  if (value === null || value === '') return { kind: 'clear' };
  if (!isFile(value)) return error(PIC_MESSAGES.notAFile);
  if (value.filename === '') return error(PIC_MESSAGES.noName);
  const nameLength = charLength(value.filename);
  if (nameLength > MAX_FILENAME) return error(`Ensure this filename has at most ${MAX_FILENAME} characters (it has ${nameLength}).`);
  if (value.data.length === 0) return error(PIC_MESSAGES.empty);
  if (value.data.length > MAX_BYTES) return error(PIC_MESSAGES.tooBig);
  const processed = await processImage(value.data, { allowed: ALLOWED, maxPixels: MAX_PIXELS });
  if (!processed.ok) return error(processed.reason === 'too_many_pixels' ? PIC_MESSAGES.tooManyPixels : PIC_MESSAGES.invalid);
  return { kind: 'image', format: processed.format, data: processed.data };
}

function error(message: string): ProfilePic {
  return { kind: 'error', message };
}

/** A fresh random name, so a new file never overwrites the one it replaces. */
export function avatarFilename(format: ImageFormat): string {
  return `${randomBytes(12).toString('hex')}.${IMAGE_EXT[format]}`;
}
