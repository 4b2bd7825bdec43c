// The events an account change reports (events.md §1), worked out from the row before and
// after the change, and recorded through the change's own transaction: a change that rolls back
// leaves none, and a field that did not really change is not named.
import type { User } from '../accounts.js';
import type { EventInput } from '../events/model.js';
import type { ActionDeps, Db } from './deps.js';

/**
 * Why a user's sessions ended (`session.revoked`'s `reason`): a password change (the
 * credential of the request spared), a completed reset, a password set by staff, the account
 * deactivated, a staff "revoke sessions", one session ended by its owner (v1 `sessions/<id>/`),
 * two-factor turned on, or reset by staff.
 */
export type SessionRevokeReason = 'password_change' | 'password_reset' | 'password_set' | 'deactivated' | 'admin' | 'session' | 'mfa_enabled' | 'mfa_reset';

/** The user fields `user.updated` may name, with the column each is read from; never a secret. */
const REPORTED_FIELDS: ReadonlyArray<readonly [string, keyof User]> = [
  ['email', 'email'],
  ['username', 'username'],
  ['full_name', 'full_name'],
  ['phone', 'phone'],
  ['contacts', 'contacts'],
  ['picture', 'picture'],
  ['avatar', 'avatar'],
  ['email_verified', 'email_verified'],
  ['is_active', 'is_active'],
  ['is_staff', 'is_staff'],
  ['is_superuser', 'is_superuser'],
];

/** The names of the fields whose value differs, in a fixed order. */
export function changedFields(before: User, after: User): string[] {
  return REPORTED_FIELDS.filter(([, column]) => before[column] !== after[column]).map(([name]) => name);
}

/**
 * The row as it is now, locked until the transaction ends (PostgreSQL; SQLite has one writer):
 * a no-op UPDATE takes the row lock on both databases without dialect-specific SQL, so a
 * concurrent change of the same user waits, and the before/after comparison is exact.
 */
export function lockUser(db: Db, userNumber: number): Promise<User | undefined> {
  return db.updateTable('users').set((eb) => ({ updated: eb.ref('updated') })).where('number', '=', userNumber).returningAll().executeTakeFirst();
}

/** `user.updated` (fields) and `user.email_verified` (the address became verified), as the change warrants. */
export function changeEvents(before: User, after: User): EventInput[] {
  const events: EventInput[] = [];
  const changed = changedFields(before, after);
  if (changed.length) events.push({ type: 'user.updated', user: after, changed });
  if (before.email_verified !== 1 && after.email_verified === 1) events.push({ type: 'user.email_verified', user: after });
  return events;
}

/** Records `changeEvents` through the change's transaction. */
export async function recordChange(d: Pick<ActionDeps, 'outbox'>, trx: Db, before: User, after: User): Promise<void> {
  for (const e of changeEvents(before, after)) await d.outbox.record(trx, e);
}
