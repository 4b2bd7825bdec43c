// GET /api/user/media/<image_name> (api-user.md §3.6, v1.md §0.10): a user's avatar, no
// credential needed.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { IMAGE_EXT } from '../../core/media.js';
import { sendImage } from '../../http/media-reply.js';
import type { GenericReply } from '../../http/surface.js';
import type { View } from '../../http/drf-view.js';

const IMAGE_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(jpg|png|webp)$/;

export const NOT_FOUND: GenericReply = { status: 404, body: { detail: 'Not found.' } };

/** `<user uuid>.<ext>`: that user's current avatar, when `<ext>` matches its stored format. */
export function mediaView(ctx: AppContext): View<User> {
  return {
    name: 'Media',
    summary: "A user's avatar image",
    method: 'GET',
    auth: 'none',
    async handle({ request, reply }) {
      const name = (request.params as { image_name?: string }).image_name ?? '';
      const match = IMAGE_NAME.exec(name);
      const user = match ? await ctx.accounts.byId(match[1]) : undefined;
      const avatar = user ? await ctx.media.openImage(user.avatar) : null;
      if (!match || !avatar || IMAGE_EXT[avatar.format] !== match[2]) return NOT_FOUND;
      return sendImage(request, reply, avatar.file, avatar.format);
    },
  };
}
