// POST /users/avatar/ (users.md §2.5): check, re-encode, store under a safe name, point the
// user at it, then delete the previous file.
import { isFile } from '../../http/body.js';
import { isPlainObject } from '../../http/fields.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { checkAvatar, safeFilename, withRandomSuffix } from './avatar-rules.js';
import { REPLY, errorsByField, userMessage } from './replies.js';
import { AvatarUpdated, CSRF_FAILED, INVALID_JSON_OR_FIELDS, EMPTY_405, NOT_AUTHENTICATED, USERS_TOO_LARGE } from './schemas.js';
import { AVATAR_UPDATED } from './examples.js';
import { type UsersCall, type UsersRoute, loggedIn } from './style.js';

async function uploadAvatar({ ctx, auth, body }: UsersCall): Promise<GenericReply> {
  const { user } = loggedIn(auth);
  // The multipart fields; anything else (JSON, a form, a broken multipart body) has no file.
  const file = isPlainObject(body) ? body.avatar : undefined;
  // Django skips a file part sent without a file name, as a browser does for "no file chosen".
  if (!isFile(file) || file.filename === '') return REPLY.noFile;
  const checked = await checkAvatar(file);
  if (!checked.ok) return errorsByField({ avatar: checked.errors });

  const stored = await ctx.actions.replaceAvatar(user, checked.image, { filename: safeFilename(file.filename, checked.extension), whenTaken: withRandomSuffix });
  // The account was deleted meanwhile: nothing was left behind.
  if (!stored.ok) return REPLY.notAuthenticated;
  const name = stored.path!.slice(stored.path!.lastIndexOf('/') + 1);
  const url = `/media/avatars/${user.number}/${encodeURIComponent(name)}`;
  return { status: 200, body: userMessage(stored.user, 'Avatar updated.', { avatar_url: url }) };
}

const AvatarBody = Type.Object(
  { avatar: Type.String({ format: 'binary', description: 'JPEG or PNG (.jpg, .jpeg, .png), at most 3 MiB and 40 megapixels; file name at most 100 characters' }) },
  { required: ['avatar'] },
);

export function avatarUploadRoutes(): UsersRoute[] {
  return [
    {
      paths: ['/users/avatar/'],
      name: 'Avatar',
      credential: 'required',
      methods: {
        POST: {
          operationId: 'usersUploadAvatar',
          summary: 'Upload the caller’s avatar (multipart, file part `avatar`)',
          body: { accept: ['multipart'], lenient: true, schema: AvatarBody },
          responses: {
            200: { description: '`Avatar updated.`, with the new file’s relative URL', schema: AvatarUpdated, example: AVATAR_UPDATED },
            400: { ...INVALID_JSON_OR_FIELDS, description: '`No file uploaded.`, or `{"errors": {"avatar": [...]}}`' },
            401: NOT_AUTHENTICATED,
            403: CSRF_FAILED,
            405: EMPTY_405,
            413: USERS_TOO_LARGE,
          },
          handle: uploadAvatar,
        },
      },
    },
  ];
}
