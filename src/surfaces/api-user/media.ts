// GET /api/user/media/<image_name> (api-user.md §3.6, v1.md §0.10): a user's avatar, no
// credential needed.
import type { AppContext } from '../../context.js';
import { IMAGE_EXT } from '../../core/media.js';
import { DRF_COMMON_DOCS, DRF_NOT_FOUND } from '../../http/drf-style.js';
import { sendImage } from '../../http/media-reply.js';
import { type Answer, REPLIED } from '../../http/route.js';
import { Detail } from '../../http/schemas.js';
import type { ApiUserCall, ApiUserRoute } from './style.js';
import { MEDIA_PREFIX } from './user-view.js';

const IMAGE_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(jpg|png|webp)$/;

export function apiUserMediaRoutes(ctx: AppContext): ApiUserRoute[] {
  /** `<user uuid>.<ext>`: that user's current avatar, when `<ext>` matches its stored format. */
  async function media({ request, reply, params }: ApiUserCall): Promise<Answer> {
    const match = IMAGE_NAME.exec(params.image_name ?? '');
    const user = match ? await ctx.accounts.byId(match[1]) : undefined;
    const avatar = user ? await ctx.media.openImage(user.avatar) : null;
    if (!match || !avatar || IMAGE_EXT[avatar.format] !== match[2]) return DRF_NOT_FOUND;
    await sendImage(request, reply, avatar.file, avatar.format);
    return REPLIED;
  }

  return [
    {
      paths: [`${MEDIA_PREFIX}:image_name`],
      name: 'Media',
      credential: 'none',
      methods: {
        GET: {
          operationId: 'apiUserGetMedia',
          summary: 'A user’s avatar, `<user id>.<jpg|png|webp>` (public, ETag and 304)',
          responses: {
            200: { description: 'The image (re-encoded, no metadata)', contentType: 'image/*' },
            304: { description: 'Not modified (If-None-Match matched the ETag)' },
            404: { description: 'Unknown name, no avatar, or another extension: {"detail": "Not found."}', schema: Detail },
            ...DRF_COMMON_DOCS,
          },
          handle: media,
        },
      },
    },
  ];
}
