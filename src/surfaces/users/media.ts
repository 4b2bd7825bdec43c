// GET /media/avatars/<number>/<filename> (users.md §2.6): a user's current avatar, public.
import { sendImage } from '../../http/media-reply.js';
import { type Answer, REPLIED } from '../../http/route.js';
import { Type } from '../../http/schemas.js';
import { REPLY } from './replies.js';
import { EMPTY_405, PAGE_NOT_FOUND } from './schemas.js';
import type { UsersCall, UsersRoute } from './style.js';

async function serveAvatar({ ctx, request, reply, params }: UsersCall): Promise<Answer> {
  const { number, filename } = params;
  // Only the canonical spelling of a number names a user's folder ("01" does not).
  if (!/^[1-9][0-9]{0,14}$/.test(number)) return REPLY.notFound;
  const path = `avatars/${number}/${filename}`;
  // Only the current avatar is served: an old file that survived somehow, or anything else
  // placed in the media folder, is not.
  const user = await ctx.accounts.byNumber(Number(number));
  if (!user || user.avatar !== path) return REPLY.notFound;
  const image = await ctx.media.openImage(path);
  if (!image) return REPLY.notFound;
  await sendImage(request, reply, image.file, image.format);
  return REPLIED;
}

const ETAG = { ETag: { description: 'Changes with the file', schema: Type.String() } };

export function mediaRoutes(): UsersRoute[] {
  return [
    {
      paths: ['/media/avatars/:number/:filename(^.+$)'],
      name: 'Media',
      // Public: the session is neither read nor re-sent, so a shared cache may keep the answer.
      credential: 'none',
      methods: {
        GET: {
          operationId: 'usersGetAvatar',
          summary: 'A user’s current avatar (public)',
          responses: {
            200: { description: 'The image, as stored (JPEG or PNG); `Cache-Control: no-cache`', contentType: 'image/*', headers: ETAG },
            304: { description: 'Not modified (`If-None-Match`)', headers: ETAG },
            404: PAGE_NOT_FOUND,
            405: EMPTY_405,
          },
          handle: serveAvatar,
        },
      },
    },
  ];
}
