// The one public URL of a user's avatar in bodies that show it absolutely (v1.md §0.10): v1's
// media route, with the extension of the stored image's real format. v1 `me/` and the admin
// both show it; the api-user surface has a media route of its own.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { User } from '../core/accounts.js';
import { IMAGE_EXT } from '../core/media.js';
import { publicBase } from './request.js';

export async function v1AvatarUrl(ctx: AppContext, request: FastifyRequest, user: Pick<User, 'id' | 'avatar'>): Promise<string | null> {
  const image = await ctx.media.openImage(user.avatar);
  return image ? `${publicBase(request, ctx.config)}/v1/user/media/${user.id}.${IMAGE_EXT[image.format]}` : null;
}
