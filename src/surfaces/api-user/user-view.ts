// The api-user user object (api-user.md §3) and the avatar behind its `profile_pic` URL.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { IMAGE_EXT, type ImageFormat } from '../../core/media.js';
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
  const avatar = await ctx.media.openImage(user.avatar);
  return userObjectOf(ctx, request, user, avatar?.format ?? null);
}

/** The same object when the picture's format is known (a registration that just stored it). */
export function userObjectOf(ctx: AppContext, request: FastifyRequest, user: Pick<User, 'id' | 'full_name' | 'email'>, avatarFormat: ImageFormat | null): UserObject {
  const profilePic = avatarFormat ? `${publicBase(request, ctx.config)}${MEDIA_PREFIX}${user.id}.${IMAGE_EXT[avatarFormat]}` : null;
  return { id: user.id, full_name: user.full_name, email: user.email, profile_pic: profilePic };
}
