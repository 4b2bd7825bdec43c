// Turning TOTP on and off, and the recovery codes (mfa.md §2). Each operation decides what the
// spec's routes answer, in one transaction (the caller's `within` writes included); the route
// layer parses fields and checks the password first (§2.2, §2.4) and maps the reasons to
// messages. Notices go out after the commit.
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import { Audit } from '../audit.js';
import { person } from '../accounts.js';
import { MICROS_PER_MINUTE, nowMicros } from '../time.js';
import { classifyCode, newRecoveryCodes } from './codes.js';
import { type CodeMethod, type FactorCodes, lockFactor } from './factor.js';
import type { MfaNotices } from './notices.js';
import { accountLabel, matchTotp, newTotpSecret, otpauthUrl, qrSvg } from './totp.js';
import type { AdminOptions, MfaDeps, MfaUser, OperationOptions } from './types.js';

/** A started enrolment waits this long for its first code (§2.2). */
export const PENDING_TTL_MICROS = 10 * MICROS_PER_MINUTE;

export interface MfaStatus {
  totp: boolean;
  recoveryCodesLeft: number;
}

export type StartOutcome =
  | { ok: true; secret: string; otpauthUrl: string; qrSvg: string }
  | { ok: false; reason: 'already_enabled' };

export type ConfirmOutcome = { ok: true; recoveryCodes: string[] } | { ok: false; reason: 'not_started' | 'wrong_code' };

export type DisableOutcome = { ok: true; method: CodeMethod } | { ok: false; reason: 'not_enabled' | 'wrong_code' };

export type RecoveryCodesOutcome = { ok: true; recoveryCodes: string[] } | { ok: false; reason: 'not_enabled' };

export type ResetOutcome = { ok: true; totpWasOn: boolean };

/** The admin reset's `within` also learns whether TOTP was on (an event is recorded only for a change that happened). */
export interface ResetOptions extends Omit<AdminOptions, 'within'> {
  within?: (trx: Transaction<Database>, reset: ResetOutcome) => Promise<void>;
}

/** Carries a refusal out of a transaction, so that a refused operation leaves nothing behind. */
class Refused<T> {
  constructor(readonly outcome: T) {}
}

export class MfaEnrolment {
  private readonly clock: () => number;

  constructor(
    private readonly d: MfaDeps,
    private readonly factor: FactorCodes,
    private readonly notices: MfaNotices,
    private readonly count: (event: string) => void,
  ) {
    this.clock = d.clock ?? nowMicros;
  }

  /** GET mfa/ (§2.1): is TOTP on, and how many unused recovery codes are left. */
  async status(userNumber: number): Promise<MfaStatus> {
    const [row, left] = await Promise.all([
      this.d.db.selectFrom('mfa_totp').select('enabled_at').where('user_number', '=', userNumber).executeTakeFirst(),
      this.recoveryCodesLeft(userNumber),
    ]);
    return { totp: row?.enabled_at != null, recoveryCodesLeft: left };
  }

  /** Is TOTP on for the account (a login must then ask for the second step). */
  async isEnabled(userNumber: number): Promise<boolean> {
    const row = await this.d.db.selectFrom('mfa_totp').select('enabled_at').where('user_number', '=', userNumber).executeTakeFirst();
    return row?.enabled_at != null;
  }

  /** Admin stats `mfa_users` (§4): accounts with TOTP on. */
  async countEnabled(): Promise<number> {
    const row = await this.d.db
      .selectFrom('mfa_totp')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('enabled_at', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * POST mfa/totp/ (§2.2): a new secret, pending for 10 minutes and replacing any earlier one.
   * Logins are unchanged until it is confirmed. The secret is returned only here.
   */
  async start(user: MfaUser, options: Pick<OperationOptions, 'within'> = {}): Promise<StartOutcome> {
    const now = this.clock();
    const secret = newTotpSecret();
    const pending = { pending_secret: this.factor.seal(secret), pending_expires: now + PENDING_TTL_MICROS, updated: now };
    const started = await this.transaction(async (trx) => {
      // One statement decides against a parallel confirm: an enabled row is never touched.
      const written = await trx
        .insertInto('mfa_totp')
        .values({ user_number: user.number, secret: null, enabled_at: null, last_step: null, ...pending })
        .onConflict((oc) => oc.column('user_number').doUpdateSet(pending).where('mfa_totp.enabled_at', 'is', null))
        .returning('user_number')
        .executeTakeFirst();
      if (!written) return { ok: false };
      await options.within?.(trx);
      return { ok: true };
    });
    if (!started.ok) return { ok: false, reason: 'already_enabled' };
    const url = otpauthUrl(this.d.config.mfaIssuer, accountLabel(user), secret);
    return { ok: true, secret, otpauthUrl: url, qrSvg: qrSvg(url) };
  }

  /**
   * POST mfa/totp/confirm/ (§2.3): a right code for the pending secret turns TOTP on, its step
   * becomes the replay floor, and a first set of recovery codes is made and returned. Of two
   * parallel confirms one enables; the other finds nothing pending.
   */
  async confirm(user: MfaUser, code: string, options: OperationOptions): Promise<ConfirmOutcome> {
    const outcome = await this.transaction<ConfirmOutcome>(async (trx) => {
      const now = this.clock();
      const row = await lockFactor(trx, user.number);
      if (!row || row.enabled_at !== null || row.pending_secret === null || row.pending_expires === null || row.pending_expires <= now) {
        return { ok: false, reason: 'not_started' };
      }
      const submitted = classifyCode(code);
      const step = submitted.kind === 'totp' ? await matchTotp(this.factor.unseal(row.pending_secret), submitted.code, Math.floor(now / 1_000_000), null) : null;
      if (step === null) return { ok: false, reason: 'wrong_code' };
      // Only the secret that was checked, still pending and unexpired, is turned on.
      const enabled = await trx
        .updateTable('mfa_totp')
        .set({ secret: row.pending_secret, enabled_at: now, last_step: step, pending_secret: null, pending_expires: null, updated: now })
        .where('user_number', '=', user.number)
        .where('enabled_at', 'is', null)
        .where('pending_secret', '=', row.pending_secret)
        .where('pending_expires', '>', now)
        .executeTakeFirst();
      if (Number(enabled.numUpdatedRows) !== 1) return { ok: false, reason: 'not_started' };
      const recoveryCodes = newRecoveryCodes();
      await this.factor.replaceRecoveryCodes(trx, user.number, recoveryCodes, now);
      await new Audit(trx).record({ event: 'mfa.enable', meta: options.meta, user: person(user) });
      await this.d.outbox.record(trx, { type: 'mfa.enabled', user });
      await options.within?.(trx);
      return { ok: true, recoveryCodes };
    });
    if (outcome.ok) {
      this.count('enable');
      this.notices.enabled(user);
    }
    return outcome;
  }

  /**
   * DELETE mfa/totp/ (§2.4), after the route's "not on" and password checks: a right TOTP code or
   * unused recovery code turns TOTP off and deletes the secret and every recovery code. The code
   * is spent only if everything (the caller's `within` included) commits.
   */
  async disable(user: MfaUser, code: string, options: OperationOptions): Promise<DisableOutcome> {
    const outcome = await this.transaction<DisableOutcome>(async (trx) => {
      const now = this.clock();
      const spent = await this.factor.spend(trx, user.number, code, now);
      if (!spent.ok) return spent;
      await this.removeFactor(trx, user.number);
      await new Audit(trx).record({ event: 'mfa.disable', meta: options.meta, user: person(user), details: { mfa: spent.method } });
      await this.d.outbox.record(trx, { type: 'mfa.disabled', user });
      await options.within?.(trx);
      return { ok: true, method: spent.method };
    });
    if (outcome.ok) {
      this.count('disable');
      this.notices.disabled(user);
    }
    return outcome;
  }

  /** POST mfa/recovery-codes/ (§2.5), after the route's password check: a new set, the old one void. */
  async regenerateRecoveryCodes(user: MfaUser, options: OperationOptions): Promise<RecoveryCodesOutcome> {
    const outcome = await this.transaction<RecoveryCodesOutcome>(async (trx) => {
      const now = this.clock();
      // Takes the factor's row lock first (see lockFactor), so a parallel disable goes first or after.
      const on = await trx
        .updateTable('mfa_totp')
        .set({ updated: now })
        .where('user_number', '=', user.number)
        .where('enabled_at', 'is not', null)
        .returning('user_number')
        .executeTakeFirst();
      if (!on) return { ok: false, reason: 'not_enabled' };
      const recoveryCodes = newRecoveryCodes();
      await this.factor.replaceRecoveryCodes(trx, user.number, recoveryCodes, now);
      await new Audit(trx).record({ event: 'mfa.recovery_codes', meta: options.meta, user: person(user) });
      await options.within?.(trx);
      return { ok: true, recoveryCodes };
    });
    if (outcome.ok) {
      this.count('recovery_codes');
      this.notices.recoveryCodesMade(user);
    }
    return outcome;
  }

  /**
   * The admin's "Turn off two-factor" (§4): the secret, any pending enrolment and the recovery
   * codes are deleted, whether TOTP was on or not. Permissions, passkeys and the end of every
   * session belong to the caller (`within` for what lives in the database).
   */
  async adminReset(user: MfaUser, options: ResetOptions): Promise<ResetOutcome> {
    const outcome = await this.transaction<ResetOutcome>(async (trx) => {
      const totpWasOn = await this.removeFactor(trx, user.number);
      await new Audit(trx).record({ event: 'admin.user.mfa_reset', meta: options.meta, actor: options.actor, user: person(user), details: { totp: totpWasOn } });
      // An event only for a change that happened: TOTP that was on went off.
      if (totpWasOn) await this.d.outbox.record(trx, { type: 'mfa.disabled', user });
      const reset: ResetOutcome = { ok: true, totpWasOn };
      await options.within?.(trx, reset);
      return reset;
    });
    this.count('admin_reset');
    this.notices.disabled(user, true);
    return outcome;
  }

  private async recoveryCodesLeft(userNumber: number): Promise<number> {
    const row = await this.d.db
      .selectFrom('mfa_recovery_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_number', '=', userNumber)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Deletes the factor and its recovery codes; true when TOTP was on. */
  private async removeFactor(trx: Transaction<Database>, userNumber: number): Promise<boolean> {
    const gone = await trx.deleteFrom('mfa_totp').where('user_number', '=', userNumber).returning('enabled_at').executeTakeFirst();
    await trx.deleteFrom('mfa_recovery_codes').where('user_number', '=', userNumber).execute();
    return gone?.enabled_at != null;
  }

  /** Runs `fn` in one transaction, committed only when its outcome is ok. */
  private async transaction<T extends { ok: boolean }>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.d.db.transaction().execute(async (trx) => {
        const outcome = await fn(trx);
        if (!outcome.ok) throw new Refused(outcome);
        return outcome;
      });
    } catch (err) {
      if (err instanceof Refused) return err.outcome as T;
      throw err;
    }
  }
}
