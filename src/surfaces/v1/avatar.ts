// me/avatar/ (v1.md §5.2) and the media route that serves it, GET /v1/user/media/<uuid>.<ext>
// (§0.10): <uuid> is the owner's id, so the URL stays the same across uploads while the ETag
// changes. Uploads are decoded and re-encoded by core/media.ts; the bytes as sent are never kept.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { IMAGE_EXT, type ImageFormat, processImage } from '../../core/media.js';
import { isFile } from '../../http/body.js';
import { sendImage } from '../../http/media-reply.js';
import { publicBase } from '../../http/request.js';
import { REPLIED } from '../../http/route.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { NOT_FOUND, NO_CONTENT, TEXT, invalid, json } from './messages.js';
import { BAD_REQUEST, COMMON, NO_CONTENT as NO_CONTENT_DOC } from './schemas.js';
import { AVATAR } from './examples.js';
import { PREFIX, type V1Call, type V1Route, signedIn, v1Path } from './style.js';
import { asDictionary } from './validation.js';

const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
const MAX_PIXELS = 40_000_000;
const ALLOWED: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];
const MEDIA_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(jpg|png|webp)$/;

/** §5.2 steps 1–4 on the parsed body: the uploaded bytes, or the message. */
function uploadedBytes(body: unknown): { data: Buffer } | { errors: string[] } {
  const dict = asDictionary(body);
  if (!dict.ok) return dict;
  const value = dict.data.avatar;
  // A file input left empty arrives as a part without a filename: Django treats it as absent.
  if (value === undefined || (isFile(value) && value.filename === '' && value.data.length === 0)) return { errors: [TEXT.avatarRequired] };
  if (value === null) return { errors: ['This field may not be null.'] };
  if (!isFile(value)) return { errors: [TEXT.avatarNotFile] };
  if (value.data.length === 0) return { errors: [TEXT.avatarEmpty] };
  if (value.data.length > MAX_AVATAR_BYTES) return { errors: [TEXT.avatarTooBig] };
  return { data: value.data };
}

export function avatarRoutes(ctx: AppContext): V1Route[] {
  async function upload({ request, auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const bytes = uploadedBytes(body);
    if ('errors' in bytes) return invalid(bytes.errors);
    const image = await processImage(bytes.data, { allowed: ALLOWED, maxPixels: MAX_PIXELS });
    if (!image.ok) return invalid([image.reason === 'too_many_pixels' ? TEXT.avatarTooManyPixels : TEXT.avatarInvalid]);
    const stored = await ctx.actions.replaceAvatar(user, image, { filename: `${randomUUID()}.${IMAGE_EXT[image.format]}` });
    if (!stored.ok) throw new Error('avatar could not be stored: the user vanished');
    return json(202, { avatar: `${publicBase(request, ctx.config)}${PREFIX}media/${user.id}.${IMAGE_EXT[image.format]}` });
  }

  async function removeAvatar({ auth }: V1Call): Promise<GenericReply> {
    await ctx.actions.removeAvatar(signedIn(auth).user);
    return NO_CONTENT;
  }

  /** Public: the owner's current avatar when the extension matches its stored format. */
  async function media({ request, reply, params }: V1Call) {
    const m = MEDIA_NAME.exec(params.file ?? '');
    const user = m ? await ctx.accounts.byId(m[1]) : undefined;
    const image = user ? await ctx.media.openImage(user.avatar) : null;
    if (!m || !image || IMAGE_EXT[image.format] !== m[2]) return NOT_FOUND;
    await sendImage(request, reply, image.file, image.format);
    return REPLIED;
  }

  return [
    {
      paths: [v1Path('me/avatar/')],
      name: 'Avatar',
      credential: 'required',
      throttle: 'user',
      methods: {
        PUT: {
          operationId: 'v1PutAvatar',
          summary: 'Upload the caller’s avatar (multipart, file part `avatar`: JPEG, PNG or WebP, ≤ 5 MiB, ≤ 40 megapixels)',
          body: { accept: ['json', 'form', 'multipart'], mediaTypes: ['multipart/form-data'], schema: Type.Object({ avatar: Type.String({ format: 'binary' }) }, { required: ['avatar'] }) },
          responses: { 202: { description: 'Stored (re-encoded, metadata dropped)', schema: Type.Object({ avatar: Type.String({ format: 'uri' }) }), example: AVATAR }, 400: BAD_REQUEST, ...COMMON },
          handle: upload,
        },
        DELETE: { operationId: 'v1DeleteAvatar', summary: 'Remove the caller’s avatar', responses: { 204: NO_CONTENT_DOC, ...COMMON }, handle: removeAvatar },
      },
    },
    {
      paths: [v1Path('media/:file')],
      name: 'Media',
      credential: 'none',
      methods: {
        GET: {
          operationId: 'v1GetMedia',
          summary: 'A user’s avatar, `<user id>.<jpg|png|webp>` (public, ETag and 304)',
          responses: { 200: { description: 'The image', contentType: 'image/*' }, 304: { description: 'Not modified' }, 404: { description: '"Not found."', schema: Type.String(), example: TEXT.notFound } },
          handle: media,
        },
      },
    },
  ];
}
