// GET /media/avatars/<number>/<filename> (users.md §2.6): a user's current avatar, public.
import { open } from 'node:fs/promises';
import type { FastifyReply } from 'fastify';
import type { ImageFormat } from '../../core/media.js';
import { sendImage } from '../../http/media-reply.js';
import type { GenericReply } from '../../http/surface.js';
import type { Call } from './pipeline.js';
import { REPLY } from './replies.js';

export async function serveAvatar({ ctx, request, reply }: Call): Promise<GenericReply | FastifyReply> {
  const { number, filename } = request.params as { number: string; filename: string };
  // Only the canonical spelling of a number names a user's folder ("01" does not).
  if (!/^[1-9][0-9]{0,14}$/.test(number)) return REPLY.notFound;
  const path = `avatars/${number}/${filename}`;
  // Only the current avatar is served: an old file that survived somehow, or anything else
  // placed in the media folder, is not.
  const user = await ctx.accounts.byNumber(Number(number));
  if (!user || user.avatar !== path) return REPLY.notFound;
  const file = await ctx.media.open(path);
  const format = file ? await storedFormat(file.absPath) : null;
  if (!file || !format) return REPLY.notFound;
  return sendImage(request, reply, file, format);
}

// The stored file was re-encoded by us, so its signature tells its format, whatever the
// uploaded name said (a JPEG named .png is still served as image/jpeg).
async function storedFormat(absPath: string): Promise<ImageFormat | null> {
  const head = Buffer.alloc(12);
  try {
    const handle = await open(absPath, 'r');
    try {
      await handle.read(head, 0, 12, 0);
    } finally {
      await handle.close();
    }
  } catch {
    return null; // replaced or removed since it was looked up
  }
  if (head.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (head.subarray(0, 3).equals(JPEG_SIGNATURE)) return 'jpeg';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff]);
