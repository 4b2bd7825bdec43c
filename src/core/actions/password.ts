// Changing a password and completing a password reset, for every surface and the admin.
// Every change voids the reset and verification tokens mailed to the user (v1.md §0.15); what
// else ends is each caller's spec: v1 spares the credential of the request, the admin spares
// nothing, api-user ends nothing (api-user.md §3.4). A reset is one transaction: the token is
// consumed, the password set, the streak cleared; the address counts as proven only when it is
// still the one the mail went to. Either records user.password_changed (`via`), and
// session.revoked when sessions end, in its own transaction (events.md §1).
import type { User } from '../accounts.js';
import { ciKey, person } from '../accounts.js';
import type { EmailTokenPurpose } from '../email-tokens.js';
import type { Aftermath, Spare } from '../revocation.js';
import { nowMicros } from '../time.js';
import type { ActionContext, ActionDeps } from './deps.js';
import { applyChange, voidMailedTokens } from './update-account.js';
import { lockUser, recordChange } from './user-events.js';

export interface PasswordChangeContext extends ActionContext {
  /** `others`: every session but the one in `spare`; `all`: none spared; `none`: sessions stay. */
  endSessions: 'others' | 'all' | 'none';
  spare?: Spare;
  /** Mail the "Your password was changed" notice. */
  notify: boolean;
  event: 'password.change' | 'admin.user.password';
}

export async function changePassword(d: ActionDeps, user: User, password: string, c: PasswordChangeContext): Promise<User> {
  const byStaff = c.event === 'admin.user.password';
  const r = await applyChange(d, user, { password }, { meta: c.meta, actor: c.actor, audit: 'admin' }, {
    passwordVia: byStaff ? 'admin' : 'change',
    auditEvent: c.event,
    endSessions: c.endSessions === 'none' ? undefined : { reason: byStaff ? 'password_set' : 'password_change', spare: c.endSessions === 'others' ? (c.spare ?? {}) : {} },
  });
  // A password alone never conflicts; the row can only have vanished, which update reports by throwing.
  if (!r.ok) throw new Error(`password change reported a ${r.conflict} conflict`);
  if (c.notify) d.mail.passwordChanged(r.user);
  return r.user;
}

export type ResetPurpose = Extract<EmailTokenPurpose, 'v1-reset' | 'ua-reset'>;

/**
 * The user a reset token was mailed to, while it is usable: unexpired, unused, and the
 * account still has the address the mail went to (any change of address voids it anyway).
 */
export async function resetTokenOwner(d: ActionDeps, token: string, purpose: ResetPurpose): Promise<User | null> {
  const row = await d.emailTokens.find(token, purpose);
  if (!row) return null;
  const user = await d.accounts.byNumber(row.user_number);
  if (!user || user.email_ci === null || user.email_ci !== ciKey(row.email)) return null;
  return user;
}

export type ResetOutcome = { ok: true; user: User } | { ok: false; reason: 'invalid_token' };

class TokenGone extends Error {}

export async function completeReset(d: ActionDeps, token: string, purpose: ResetPurpose, password: string, c: ActionContext): Promise<ResetOutcome> {
  const hash = await d.passwords.hash(password);
  let done: { user: User; after: Aftermath };
  try {
    done = await d.db.transaction().execute(async (trx) => {
      // The consumption is the claim: of two submissions of one token exactly one gets past it.
      const row = await d.emailTokens.consume(token, purpose, trx);
      if (!row) throw new TokenGone();
      const owner = await lockUser(trx, row.user_number);
      if (!owner || owner.email_ci === null || owner.email_ci !== ciKey(row.email)) throw new TokenGone();
      const now = nowMicros();
      const user = await trx
        .updateTable('users')
        .set({ password: hash, updated: now, email_verified: 1, failed_logins: 0, last_failure_at: null, locked_until: null })
        .where('number', '=', owner.number)
        .returningAll()
        .executeTakeFirstOrThrow();
      await voidMailedTokens(trx, owner.number, now);
      await d.audit.record({ event: 'password.reset.complete', meta: c.meta, user: person(owner) }, trx);
      await recordChange(d, trx, owner, user);
      await d.outbox.record(trx, { type: 'user.password_changed', user, via: 'reset' });
      const after = await d.revocation.endAllSessionsIn(trx, user, 'revoked');
      await d.outbox.record(trx, { type: 'session.revoked', user, reason: 'password_reset' });
      return { user, after };
    });
  } catch (err) {
    if (err instanceof TokenGone) return { ok: false, reason: 'invalid_token' };
    throw err;
  }
  await d.revocation.finish(done.after);
  return { ok: true, user: done.user };
}
