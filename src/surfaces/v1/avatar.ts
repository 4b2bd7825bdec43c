// me/avatar/ (v1.md §5.2) and the media route that serves it, GET /v1/user/media/<uuid>.<ext>
// (§0.10): <uuid> is the owner's id, so the URL stays the same across uploads while the ETag
// changes. Uploads are decoded and re-encoded by core/media.ts; the bytes as sent are never kept.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { IMAGE_EXT, type ImageFormat, processImage } from '../../core/media.js';
import { isFile } from '../../http/body.js';
import { sendImage } from '../../http/media-reply.js';
import { publicBase } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { NOT_FOUND, NO_CONTENT, TEXT, invalid, json } from './messages.js';
import { type Call, PREFIX, type RouteSpec, SENT, type V1Deps, signedIn } from './pipeline.js';
import { asDictionary } from './validation.js';

const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
const MAX_PIXELS = 40_000_000;
const ALLOWED: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];
const MEDIA_NAME = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(jpg|png|webp)$/;
const SWAP_ATTEMPTS = 5;


/**
 * Points the user's avatar at `next` only if it still names what we read (compare-and-swap), so
 * two concurrent uploads each delete exactly the file they replaced. Returns the replaced path.
 */
async function swapAvatar(ctx: AppContext, userNumber: number, next: string | null): Promise<{ ok: true; previous: string | null } | { ok: false }> {
  for (let i = 0; i < SWAP_ATTEMPTS; i++) {
    const row = await ctx.db.selectFrom('users').select('avatar').where('number', '=', userNumber).executeTakeFirst();
    if (!row) return { ok: false };
    const previous = row.avatar;
    const r = await ctx.db
      .updateTable('users')
      .set({ avatar: next })
      .where('number', '=', userNumber)
      .where((eb) => (previous === null ? eb('avatar', 'is', null) : eb('avatar', '=', previous)))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) return { ok: true, previous };
  }
  return { ok: false };
}

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

export function avatarRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx } = deps;

  async function upload({ request, auth, body }: Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const bytes = uploadedBytes(body);
    if ('errors' in bytes) return invalid(bytes.errors);
    const image = await processImage(bytes.data, { allowed: ALLOWED, maxPixels: MAX_PIXELS });
    if (!image.ok) return invalid([image.reason === 'too_many_pixels' ? TEXT.avatarTooManyPixels : TEXT.avatarInvalid]);
    const stored = await ctx.media.saveAvatar(user.number, `${randomUUID()}.${IMAGE_EXT[image.format]}`, image.data);
    const swapped = await swapAvatar(ctx, user.number, stored).catch(async (err: unknown) => {
      await ctx.media.remove(stored);
      throw err;
    });
    if (!swapped.ok) {
      await ctx.media.remove(stored);
      throw new Error('avatar could not be stored: the user row kept changing or vanished');
    }
    await ctx.media.remove(swapped.previous);
    return json(202, { avatar: `${publicBase(request, ctx.config)}${PREFIX}media/${user.id}.${IMAGE_EXT[image.format]}` });
  }

  async function removeAvatar({ auth }: Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const swapped = await swapAvatar(ctx, user.number, null);
    if (swapped.ok) await ctx.media.remove(swapped.previous);
    return NO_CONTENT;
  }

  /** Public: the owner's current avatar when the extension matches its stored format. */
  async function media({ request, reply, params }: Call) {
    const m = MEDIA_NAME.exec(params.file ?? '');
    const user = m ? await ctx.accounts.byId(m[1]) : undefined;
    const image = user ? await ctx.media.openImage(user.avatar) : null;
    if (!m || !image || IMAGE_EXT[image.format] !== m[2]) return NOT_FOUND;
    await sendImage(request, reply, image.file, image.format);
    return SENT;
  }

  return [
    { path: 'me/avatar/', name: 'Avatar', credential: 'required', throttle: 'user', methods: { PUT: { view: upload, parse: true }, DELETE: { view: removeAvatar } } },
    { path: 'media/:file', name: 'Media', credential: 'none', throttle: 'none', methods: { GET: { view: media } } },
  ];
}
