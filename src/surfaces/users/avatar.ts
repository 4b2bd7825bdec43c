// POST /users/avatar/ (users.md §2.5): check, re-encode, store under a safe name, point the
// user at it, then delete the previous file.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { nowMicros } from '../../core/time.js';
import { isFile } from '../../http/body.js';
import type { GenericReply } from '../../http/surface.js';
import { checkAvatar, safeFilename, withRandomSuffix } from './avatar-rules.js';
import type { Call } from './pipeline.js';
import { REPLY, fieldErrors, userMessage } from './replies.js';

// Attempts at the compare-and-set below before giving up; each retry means another upload of
// the same user landed in between, so more than a few means something is wrong.
const SWAP_ATTEMPTS = 5;

export async function uploadAvatar({ ctx, login, multipart }: Call): Promise<GenericReply> {
  const user = login!.user; // the pipeline answered 401 otherwise
  const body = await multipart();
  const file = body?.kind === 'multipart' ? body.fields.avatar : undefined;
  // Django skips a file part sent without a file name, as a browser does for "no file chosen".
  if (!isFile(file) || file.filename === '') return REPLY.noFile;
  const checked = await checkAvatar(file);
  if (!checked.ok) return fieldErrors({ avatar: checked.errors });

  const name = await freeName(ctx, user.number, safeFilename(file.filename, checked.extension));
  const path = await ctx.media.saveAvatar(user.number, name, checked.image.data);
  const swapped = await pointUserAt(ctx, user.number, path).catch(async (err: unknown) => {
    await ctx.media.remove(path);
    throw err;
  });
  if (!swapped) {
    // The account was deleted meanwhile: leave nothing behind.
    await ctx.media.remove(path);
    return REPLY.notAuthenticated;
  }
  if (swapped.previous !== null && swapped.previous !== path) await removeQuietly(ctx, swapped.previous);
  const url = `/media/avatars/${user.number}/${encodeURIComponent(name)}`;
  return { status: 200, body: userMessage(swapped.user, 'Avatar updated.', { avatar_url: url }) };
}

/** `name`, or `name` with `_` and 7 random letters/digits when a file of that name exists. */
async function freeName(ctx: AppContext, userNumber: number, name: string): Promise<string> {
  let candidate = name;
  while (await ctx.media.exists(`avatars/${userNumber}/${candidate}`)) candidate = withRandomSuffix(name);
  return candidate;
}

/**
 * Sets the avatar only if it is still the one just read, so that of two uploads racing, each
 * learns exactly which file it replaced and deletes it: no file is orphaned, none deleted twice.
 */
async function pointUserAt(ctx: AppContext, userNumber: number, path: string): Promise<{ user: User; previous: string | null } | null> {
  for (let i = 0; i < SWAP_ATTEMPTS; i++) {
    const current = await ctx.accounts.byNumber(userNumber);
    if (!current) return null;
    const previous = current.avatar;
    const user = await ctx.db
      .updateTable('users')
      .set({ avatar: path, updated: nowMicros() })
      .where('number', '=', userNumber)
      .where((eb) => (previous === null ? eb('avatar', 'is', null) : eb('avatar', '=', previous)))
      .returningAll()
      .executeTakeFirst();
    if (user) return { user, previous };
  }
  throw new Error('avatar update kept losing races');
}

// The new avatar is in place; a file that cannot be removed is logged, not failed on.
async function removeQuietly(ctx: AppContext, path: string): Promise<void> {
  try {
    await ctx.media.remove(path);
  } catch (err) {
    ctx.log.warn({ err }, 'could not remove the previous avatar file');
  }
}
