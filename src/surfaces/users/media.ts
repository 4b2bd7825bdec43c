// GET /media/avatars/<number>/<filename> (users.md §2.6): a user's current avatar, public.
import type { FastifyReply } from 'fastify';
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
  const image = await ctx.media.openImage(path);
  if (!image) return REPLY.notFound;
  return sendImage(request, reply, image.file, image.format);
}
