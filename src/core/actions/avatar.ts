// Replacing or removing a user's avatar (v1.md §0.10), for every surface. The file is written
// first under a name of its own, then the row is pointed at it by one compare-and-swap that also
// moves `updated`, then the file it replaced is deleted: of two racing uploads each deletes
// exactly the file it replaced, and no failure leaves the row naming a missing file. The swap
// and its user.updated event (events.md §1) commit together.
import { nowMicros } from '../time.js';
import type { ImageFormat } from '../media.js';
import type { User } from '../accounts.js';
import type { ActionDeps } from './deps.js';

/** Attempts at the swap; each retry means another change of the same avatar landed between. */
const SWAP_ATTEMPTS = 5;

export interface AvatarImage { format: ImageFormat; data: Buffer }

export interface AvatarNaming {
  /** The file name under avatars/<number>/. */
  filename: string;
  /** Another name to try while `filename` is taken (users.md §2.5); absent: the name is unique already. */
  whenTaken?: (filename: string) => string;
}

export type AvatarOutcome = { ok: true; user: User; path: string | null } | { ok: false; reason: 'gone' };

/** Writes the image under a name of its own (before any row names it); its media path. */
export async function saveAvatarFile(d: ActionDeps, userNumber: number, image: AvatarImage, naming: AvatarNaming): Promise<string> {
  let name = naming.filename;
  if (naming.whenTaken) {
    while (await d.media.exists(`avatars/${userNumber}/${name}`)) name = naming.whenTaken(naming.filename);
  }
  return d.media.saveAvatar(userNumber, name, image.data);
}

export async function replaceAvatar(d: ActionDeps, user: Pick<User, 'number'>, image: AvatarImage, naming: AvatarNaming): Promise<AvatarOutcome> {
  const path = await saveAvatarFile(d, user.number, image, naming);
  let swapped: Swapped | null;
  try {
    swapped = await swap(d, user.number, path);
  } catch (err) {
    await d.media.remove(path);
    throw err;
  }
  if (!swapped) {
    await d.media.remove(path); // the account went meanwhile: leave nothing behind
    return { ok: false, reason: 'gone' };
  }
  if (swapped.previous !== null && swapped.previous !== path) await removeQuietly(d, swapped.previous);
  return { ok: true, user: swapped.user, path };
}

/** Removes the avatar (the row first, then the file); no avatar is not an error. */
export async function removeAvatar(d: ActionDeps, user: Pick<User, 'number'>): Promise<AvatarOutcome> {
  const swapped = await swap(d, user.number, null);
  if (!swapped) return { ok: false, reason: 'gone' };
  if (swapped.previous !== null) await removeQuietly(d, swapped.previous);
  return { ok: true, user: swapped.user, path: null };
}

interface Swapped { user: User; previous: string | null }

async function swap(d: ActionDeps, userNumber: number, next: string | null): Promise<Swapped | null> {
  for (let i = 0; i < SWAP_ATTEMPTS; i++) {
    const current = await d.accounts.byNumber(userNumber);
    if (!current) return null;
    const previous = current.avatar;
    if (previous === next) return { user: current, previous };
    const user = await d.db.transaction().execute(async (trx) => {
      const swapped = await trx
        .updateTable('users')
        .set({ avatar: next, updated: nowMicros() })
        .where('number', '=', userNumber)
        .where((eb) => (previous === null ? eb('avatar', 'is', null) : eb('avatar', '=', previous)))
        .returningAll()
        .executeTakeFirst();
      if (swapped) await d.outbox.record(trx, { type: 'user.updated', user: swapped, changed: ['avatar'] });
      return swapped;
    });
    if (user) return { user, previous };
  }
  throw new Error('avatar update kept losing races');
}

// The new state is committed; a file that cannot be deleted is reported, not failed on.
export async function removeQuietly(d: ActionDeps, path: string): Promise<void> {
  try {
    await d.media.remove(path);
  } catch (err) {
    d.warn(err, 'could not remove the previous avatar file');
  }
}
