// The confirmed factor of a user, as the operations that take a code see it: one code checked
// and spent inside the caller's transaction. A TOTP step is spent by one conditional UPDATE
// that only moves the replay floor forward, a recovery code by one that only marks an unused
// code used; so of two parallel requests with the same code exactly one gets a row back, and
// nothing is spent when the caller's transaction rolls back.
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { SecretKeys } from '../secrets.js';
import { classifyCode, type RecoveryCodeDigests } from './codes.js';
import { matchTotp } from './totp.js';

/** Sealed with its own derived key, so no other sealed value of the service opens with it. */
const SEAL_INFO = 'gatehouse/mfa/totp';

/**
 * Reads the user's factor row and takes its row lock (PostgreSQL; on SQLite it makes the
 * transaction a writer at once, so it never has to upgrade). Every transaction that touches a
 * user's factor or recovery codes starts here (or with another write to this row): one lock
 * order, the step's row (if any), then this row, then the codes, then the user, and parallel
 * operations queue instead of deadlocking.
 */
export function lockFactor(trx: Transaction<Database>, userNumber: number) {
  return trx
    .updateTable('mfa_totp')
    .set((eb) => ({ updated: eb.ref('updated') }))
    .where('user_number', '=', userNumber)
    .returning(['secret', 'enabled_at', 'last_step', 'pending_secret', 'pending_expires'])
    .executeTakeFirst();
}

export type CodeMethod = 'totp' | 'recovery_code';

export type SpendOutcome = { ok: true; method: CodeMethod } | { ok: false; reason: 'not_enabled' | 'wrong_code' };

export class FactorCodes {
  constructor(private readonly secrets: SecretKeys, private readonly digests: RecoveryCodeDigests) {}

  seal(secret: string): string {
    return this.secrets.seal(SEAL_INFO, secret);
  }

  /** A sealed secret that no longer opens means SECRET_KEY changed: an operator error, not a wrong code. */
  unseal(sealed: string): string {
    const secret = this.secrets.unseal(SEAL_INFO, sealed);
    if (secret === null) throw new Error('a TOTP secret cannot be unsealed: SECRET_KEY differs from the one it was sealed with');
    return secret;
  }

  /**
   * Checks `raw` (a TOTP code or a recovery code, as typed) against the user's confirmed factor
   * and spends it. `factorSince`: refuse a factor confirmed after this time (µs), for a login
   * step that began before the current enrolment.
   */
  async spend(trx: Transaction<Database>, userNumber: number, raw: string, now: number, factorSince?: number): Promise<SpendOutcome> {
    const row = await lockFactor(trx, userNumber);
    if (!row || row.enabled_at === null || row.secret === null) return { ok: false, reason: 'not_enabled' };
    if (factorSince !== undefined && row.enabled_at > factorSince) return { ok: false, reason: 'not_enabled' };
    const submitted = classifyCode(raw);
    if (submitted.kind === 'totp') {
      const step = await matchTotp(this.unseal(row.secret), submitted.code, Math.floor(now / 1_000_000), row.last_step);
      if (step === null) return { ok: false, reason: 'wrong_code' };
      const moved = await trx
        .updateTable('mfa_totp')
        .set({ last_step: step })
        .where('user_number', '=', userNumber)
        .where('enabled_at', 'is not', null)
        .where((eb) => eb.or([eb('last_step', 'is', null), eb('last_step', '<', step)]))
        .executeTakeFirst();
      return Number(moved.numUpdatedRows) === 1 ? { ok: true, method: 'totp' } : { ok: false, reason: 'wrong_code' };
    }
    if (submitted.kind === 'recovery_code') {
      const used = await trx
        .updateTable('mfa_recovery_codes')
        .set({ used_at: now })
        .where('user_number', '=', userNumber)
        .where('digest', '=', this.digests.digest(userNumber, submitted.code))
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(used.numUpdatedRows) === 1 ? { ok: true, method: 'recovery_code' } : { ok: false, reason: 'wrong_code' };
    }
    return { ok: false, reason: 'wrong_code' };
  }

  /** Replaces the user's recovery codes with the set `codes` (as shown to the user): the old set is void. */
  async replaceRecoveryCodes(trx: Transaction<Database>, userNumber: number, codes: string[], now: number): Promise<void> {
    await trx.deleteFrom('mfa_recovery_codes').where('user_number', '=', userNumber).execute();
    await trx
      .insertInto('mfa_recovery_codes')
      .values(codes.map((c) => ({ user_number: userNumber, digest: this.digests.digest(userNumber, c), created: now, used_at: null })))
      .execute();
  }
}
