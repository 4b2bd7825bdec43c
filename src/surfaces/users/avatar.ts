// POST /users/avatar/ (users.md §2.5): check, re-encode, store under a safe name, point the
// user at it, then delete the previous file.
import { isFile } from '../../http/body.js';
import type { GenericReply } from '../../http/surface.js';
import { checkAvatar, safeFilename, withRandomSuffix } from './avatar-rules.js';
import type { Call } from './pipeline.js';
import { REPLY, fieldErrors, userMessage } from './replies.js';

export async function uploadAvatar({ ctx, login, multipart }: Call): Promise<GenericReply> {
  const user = login!.user; // the pipeline answered 401 otherwise
  const body = await multipart();
  const file = body?.kind === 'multipart' ? body.fields.avatar : undefined;
  // Django skips a file part sent without a file name, as a browser does for "no file chosen".
  if (!isFile(file) || file.filename === '') return REPLY.noFile;
  const checked = await checkAvatar(file);
  if (!checked.ok) return fieldErrors({ avatar: checked.errors });

  const stored = await ctx.actions.replaceAvatar(user, checked.image, { filename: safeFilename(file.filename, checked.extension), whenTaken: withRandomSuffix });
  // The account was deleted meanwhile: nothing was left behind.
  if (!stored.ok) return REPLY.notAuthenticated;
  const name = stored.path!.slice(stored.path!.lastIndexOf('/') + 1);
  const url = `/media/avatars/${user.number}/${encodeURIComponent(name)}`;
  return { status: 200, body: userMessage(stored.user, 'Avatar updated.', { avatar_url: url }) };
}

