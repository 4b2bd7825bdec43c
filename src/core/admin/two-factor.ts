// Two-factor in the admin (mfa.md §4): what the user object shows of it, and the staff's
// "Turn off two-factor". The reset is one staff action for the UI and the API alike: the TOTP
// secret, any pending enrolment and the recovery codes go in one transaction (with the audit
// entry and, when TOTP was on, the `mfa.disabled` event), with the passkeys and every session of
// the user (v1.md §0.8): all of it or nothing. Then the user is mailed.
import { person, type User } from '../accounts.js';
import type { Aftermath } from '../revocation.js';
import type { AdminDeps } from './deps.js';
import { type Actor, FORBIDDEN, type AdminOutcome } from './outcomes.js';
import { mayTouch } from './permissions.js';

/** The `mfa` of the admin's user object: `{"totp", "recovery_codes_left", "passkeys"}`. */
export interface MfaSummary {
  totp: boolean;
  recoveryCodesLeft: number;
  passkeys: number;
}

const NONE: MfaSummary = Object.freeze({ totp: false, recoveryCodesLeft: 0, passkeys: 0 });

/** The summaries of many users in three grouped queries (a page of the user list), by user number. */
export async function mfaSummaries(d: Pick<AdminDeps, 'db'>, numbers: readonly number[]): Promise<Map<number, MfaSummary>> {
  const out = new Map<number, MfaSummary>();
  if (!numbers.length) return out;
  const list = [...new Set(numbers)];
  const [totp, codes, passkeys] = await Promise.all([
    d.db.selectFrom('mfa_totp').select('user_number').where('user_number', 'in', list).where('enabled_at', 'is not', null).execute(),
    d.db
      .selectFrom('mfa_recovery_codes')
      .select(['user_number', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('user_number', 'in', list)
      .where('used_at', 'is', null)
      .groupBy('user_number')
      .execute(),
    d.db.selectFrom('passkeys').select(['user_number', (eb) => eb.fn.countAll<number | string>().as('n')]).where('user_number', 'in', list).groupBy('user_number').execute(),
  ]);
  for (const n of list) out.set(n, { ...NONE });
  for (const r of totp) out.get(Number(r.user_number))!.totp = true;
  for (const r of codes) out.get(Number(r.user_number))!.recoveryCodesLeft = Number(r.n);
  for (const r of passkeys) out.get(Number(r.user_number))!.passkeys = Number(r.n);
  return out;
}

export async function mfaSummary(d: Pick<AdminDeps, 'db'>, userNumber: number): Promise<MfaSummary> {
  return (await mfaSummaries(d, [userNumber])).get(userNumber) ?? { ...NONE };
}

/**
 * POST /admin/api/users/<id>/mfa/reset/ and the UI's button (mfa.md §4): superuser-only on a
 * superuser. Done whether or not anything was on: the sessions still end and the user is told.
 */
export async function resetTwoFactor(d: AdminDeps, actor: Actor, target: User): Promise<AdminOutcome> {
  if (!mayTouch(actor.user, target)) return FORBIDDEN;
  const by = person(actor.user);
  let ending: Aftermath | undefined;
  await d.mfa.enrolment.adminReset(target, {
    meta: actor.meta,
    actor: by,
    within: async (trx) => {
      await d.passkeys.management.removeAll(target, trx);
      ending = await d.actions.endAllSessionsIn(trx, target, { meta: actor.meta, actor: by, reason: 'revoked', why: 'mfa_reset' });
    },
  });
  if (ending) await d.actions.finishEnding(ending);
  return { ok: true };
}
