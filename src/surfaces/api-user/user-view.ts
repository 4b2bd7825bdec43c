// The api-user user object (api-user.md §3) and the avatar behind its `profile_pic` URL.
import { open } from 'node:fs/promises';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { IMAGE_EXT, type ImageFormat, type MediaFile } from '../../core/media.js';
import { publicBase } from '../../http/request.js';

export const MEDIA_PREFIX = '/api/user/media/';

export interface UserObject {
  id: string;
  full_name: string;
  email: string | null;
  profile_pic: string | null;
}

/** Key order as the seed document shows it: id, full_name, email, profile_pic. */
export async function userObject(ctx: AppContext, request: FastifyRequest, user: User): Promise<UserObject> {
  const avatar = await storedAvatar(ctx, user);
  const profilePic = avatar ? `${publicBase(request, ctx.config)}${MEDIA_PREFIX}${user.id}.${IMAGE_EXT[avatar.format]}` : null;
  return { id: user.id, full_name: user.full_name, email: user.email, profile_pic: profilePic };
}

export interface StoredAvatar {
  file: MediaFile;
  format: ImageFormat;
}

/**
 * The user's avatar file and its real format. Other surfaces name files after the upload (a
 * PNG may be called photo.jpg), so the format is read from the file's first bytes, never
 * from its name. A missing or unrecognised file counts as no avatar.
 */
export async function storedAvatar(ctx: AppContext, user: Pick<User, 'avatar'>): Promise<StoredAvatar | null> {
  if (!user.avatar) return null;
  const file = await ctx.media.open(user.avatar);
  if (!file) return null;
  const format = await sniffStoredFormat(file.absPath);
  return format ? { file, format } : null;
}

async function sniffStoredFormat(absPath: string): Promise<ImageFormat | null> {
  let head: Buffer;
  try {
    const handle = await open(absPath, 'r');
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(12), 0, 12, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    // Replaced or removed since it was looked up.
    return null;
  }
  return formatOf(head);
}

/** Stored avatars were re-encoded by the core, so their signatures are the plain ones. */
export function formatOf(head: Buffer): ImageFormat | null {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (head.length >= 12 && head.toString('latin1', 0, 4) === 'RIFF' && head.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return null;
}
