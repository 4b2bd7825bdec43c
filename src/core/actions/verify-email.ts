// Proving an address with a mailed token (v1.md §5.7, user-account.md §5.5). Both kinds stay
// usable until they expire, but only while the account still has the address they went to; the
// first proof is audited and reported (user.updated, user.email_verified) once, even when two
// arrive together, in the transaction that sets the flag.
import type { User } from '../accounts.js';
import { ciKey, person } from '../accounts.js';
import type { EmailTokenPurpose } from '../email-tokens.js';
import { nowMicros } from '../time.js';
import type { ActionContext, ActionDeps } from './deps.js';
import { lockUser, recordChange } from './user-events.js';

export type VerifyPurpose = Extract<EmailTokenPurpose, 'v1-verify' | 'ua-confirm'>;

export type VerifyOutcome = { ok: true; user: User; first: boolean } | { ok: false };

export async function verifyEmail(d: ActionDeps, token: string, purpose: VerifyPurpose, c: ActionContext): Promise<VerifyOutcome> {
  const row = await d.emailTokens.find(token, purpose);
  const user = row ? await d.accounts.byNumber(row.user_number) : undefined;
  if (!row || !user || user.email_ci === null || user.email_ci !== ciKey(row.email)) return { ok: false };
  if (user.email_verified === 1) return { ok: true, user, first: false };
  // Conditional, so two concurrent first uses audit once.
  const verified = await d.db.transaction().execute(async (trx) => {
    const before = await lockUser(trx, user.number);
    // The address changed (or the account went) since the look-up: the token proves nothing now.
    if (!before || before.email_ci !== user.email_ci) return 'stale' as const;
    if (before.email_verified !== 0) return null;
    const after = await trx.updateTable('users').set({ email_verified: 1, updated: nowMicros() }).where('number', '=', user.number).where('email_verified', '=', 0).returningAll().executeTakeFirst();
    if (!after) return null;
    await d.audit.record({ event: 'email.verify', meta: c.meta, user: person(after), details: { email: after.email } }, trx);
    await recordChange(d, trx, before, after);
    return after;
  });
  if (verified === 'stale') return { ok: false };
  return { ok: true, user: verified ?? { ...user, email_verified: 1 }, first: verified !== null };
}
