// Proving an address with a mailed token (v1.md §5.7, user-account.md §5.5). Both kinds stay
// usable until they expire, but only while the account still has the address they went to; the
// first proof is audited once, even when two arrive together.
import type { User } from '../accounts.js';
import { ciKey, person } from '../accounts.js';
import type { EmailTokenPurpose } from '../email-tokens.js';
import { nowMicros } from '../time.js';
import type { ActionContext, ActionDeps } from './deps.js';

export type VerifyPurpose = Extract<EmailTokenPurpose, 'v1-verify' | 'ua-confirm'>;

export type VerifyOutcome = { ok: true; user: User; first: boolean } | { ok: false };

export async function verifyEmail(d: ActionDeps, token: string, purpose: VerifyPurpose, c: ActionContext): Promise<VerifyOutcome> {
  const row = await d.emailTokens.find(token, purpose);
  const user = row ? await d.accounts.byNumber(row.user_number) : undefined;
  if (!row || !user || user.email_ci === null || user.email_ci !== ciKey(row.email)) return { ok: false };
  // Conditional, so two concurrent first uses audit once.
  const r = await d.db
    .updateTable('users')
    .set({ email_verified: 1, updated: nowMicros() })
    .where('number', '=', user.number)
    .where('email_verified', '=', 0)
    .executeTakeFirst();
  const first = Number(r.numUpdatedRows) === 1;
  if (first) await d.audit.record({ event: 'email.verify', meta: c.meta, user: person(user), details: { email: user.email } });
  return { ok: true, user: { ...user, email_verified: 1 }, first };
}
