// Changing a user's own fields, for every surface and the admin: one transaction for the row,
// the events it reports and the sessions it ends, and the rules that follow from a change,
// written once:
// - a new address (not a change of letter case only) is unverified unless the change itself says
//   otherwise (the admin's checkbox), voids every reset and verification token mailed to the old
//   one (v1.md §0.15), and is announced to the old address;
// - a new password is hashed before the transaction, voids those tokens too, and is audited;
// - deactivation ends every session and token of the user (§0.8);
// - the events (events.md §1): user.updated with the names of the fields that really changed,
//   user.email_verified when the address became verified, user.password_changed, and
//   session.revoked when sessions ended, all in the change's transaction. What lives outside
//   the database (the kv denylist, browser sessions in Redis) follows once it committed.
import type { Conflict, User, UserPatch } from '../accounts.js';
import { ciKey, person } from '../accounts.js';
import type { AuditEventName } from '../audit.js';
import { type Aftermath, type Spare, noAftermath } from '../revocation.js';
import { type AvatarImage, type AvatarNaming, removeQuietly, saveAvatarFile } from './avatar.js';
import type { ActionContext, ActionDeps, Db } from './deps.js';
import { type SessionRevokeReason, lockUser, recordChange } from './user-events.js';

export interface AccountChange extends Omit<UserPatch, 'avatar'> {
  /** A new plain password. */
  password?: string;
  /**
   * A new avatar image, or `remove`, as part of the same change (api-user's update): the file is
   * written before the transaction, the row names it in the change's own transaction (one
   * user.updated for everything), and the file it replaced is deleted once that committed.
   */
  newAvatar?: { image: AvatarImage; naming: AvatarNaming } | 'remove';
}

export interface UpdateContext extends ActionContext {
  /**
   * Who records the change: `self` audits an email change as `user.email_change` and a password
   * change as `password.change`; `admin` leaves the entry to the admin action, which records
   * every changed field at once.
   */
  audit: 'self' | 'admin';
}

/** What the password actions add to a change (password.ts): their audit entry, `via`, and the sessions they end. */
export interface ChangeExtras {
  passwordVia?: 'change' | 'admin';
  auditEvent?: AuditEventName;
  endSessions?: { reason: SessionRevokeReason; spare: Spare };
}

export type UpdateOutcome = { ok: true; user: User; emailChanged: boolean; passwordChanged: boolean } | { ok: false; conflict: Conflict };

class Taken extends Error {
  constructor(readonly conflict: Conflict) {
    super(conflict);
  }
}

/** The purposes of tokens mailed to an address: void once the address or the password changes. */
export const MAILED_TOKEN_PURPOSES = ['v1-reset', 'v1-verify', 'ua-confirm', 'ua-reset'] as const;

export async function voidMailedTokens(db: Db, userNumber: number, now: number): Promise<void> {
  await db
    .updateTable('email_tokens')
    .set({ used_at: now })
    .where('user_number', '=', userNumber)
    .where('purpose', 'in', [...MAILED_TOKEN_PURPOSES])
    .where('used_at', 'is', null)
    .execute();
}

export function updateAccount(d: ActionDeps, user: User, change: AccountChange, c: UpdateContext): Promise<UpdateOutcome> {
  return applyChange(d, user, change, c, {});
}

/** The one body of every account change (updateAccount, changePassword). */
export async function applyChange(d: ActionDeps, user: User, change: AccountChange, c: UpdateContext, extras: ChangeExtras): Promise<UpdateOutcome> {
  const { password, newAvatar: avatar, ...fields } = change;
  const patch: UserPatch = { ...fields };
  const emailChanged = fields.email !== undefined && ciKey(fields.email) !== user.email_ci;
  if (emailChanged && fields.emailVerified === undefined) patch.emailVerified = false;
  const hash = password === undefined ? undefined : await d.passwords.hash(password);
  if (Object.keys(patch).length === 0 && hash === undefined && avatar === undefined) return { ok: true, user, emailChanged: false, passwordChanged: false };
  // A new image is on disk before any row names it; it goes again if the change does not commit.
  const newFile = avatar !== undefined && avatar !== 'remove' ? await saveAvatarFile(d, user.number, avatar.image, avatar.naming) : null;
  if (avatar !== undefined) patch.avatar = newFile;

  let saved: { row: User; after: Aftermath; deactivated: boolean; oldFile: string | null };
  try {
    saved = await d.db.transaction().execute(async (trx) => {
      const before = await lockUser(trx, user.number);
      if (!before) throw new Error('user vanished during update');
      // The row is locked: the avatar it names now is the one this change replaces.
      const oldFile = avatar !== undefined && before.avatar !== newFile ? before.avatar : null;
      const r = await d.accounts.update(user.number, patch, trx);
      if (!r.ok) throw new Taken(r.conflict);
      let row = r.user;
      if (hash !== undefined) {
        await d.accounts.setPasswordHash(user.number, hash, trx);
        row = { ...row, password: hash };
      }
      if (emailChanged || hash !== undefined) await voidMailedTokens(trx, user.number, row.updated);
      const who = c.actor ?? person(row);
      if (c.audit === 'self') {
        if (emailChanged) await d.audit.record({ event: 'user.email_change', meta: c.meta, actor: who, user: person(row), details: { old: user.email, new: row.email } }, trx);
        if (hash !== undefined) await d.audit.record({ event: 'password.change', meta: c.meta, actor: who, user: person(row) }, trx);
      }
      if (extras.auditEvent) await d.audit.record({ event: extras.auditEvent, meta: c.meta, actor: who, user: person(row) }, trx);
      await recordChange(d, trx, before, row);
      if (hash !== undefined) await d.outbox.record(trx, { type: 'user.password_changed', user: row, via: extras.passwordVia ?? 'change' });
      // Deactivation ends everything, whatever else the change spares.
      const deactivated = before.is_active === 1 && row.is_active !== 1;
      const ending = deactivated ? { reason: 'deactivated' as const, spare: {} } : extras.endSessions;
      let after = noAftermath();
      if (ending) {
        after = await d.revocation.endAllSessionsIn(trx, row, 'revoked', ending.spare);
        await d.outbox.record(trx, { type: 'session.revoked', user: row, reason: ending.reason });
      }
      return { row, after, deactivated, oldFile };
    });
  } catch (err) {
    if (newFile !== null) await removeQuietly(d, newFile);
    if (err instanceof Taken) return { ok: false, conflict: err.conflict };
    throw err;
  }
  if (saved.oldFile !== null) await removeQuietly(d, saved.oldFile);
  await d.revocation.finish(saved.after);
  if (emailChanged && user.email) d.mail.emailChanged(saved.row, user.email);
  return { ok: true, user: saved.row, emailChanged, passwordChanged: hash !== undefined };
}
