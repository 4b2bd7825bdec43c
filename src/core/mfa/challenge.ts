// The second login step (mfa.md §3.1, §3.2, §4 admin login). After a right password for an
// account with TOTP on, the login issues an `mfa_token` instead of a credential; `complete`
// then takes that token and a code and decides the login.
//
// The token is 32 random bytes (base64url); only its SHA-256 digest is stored. It lives five
// minutes, names the user and the kind of login that started it, and dies with its first
// success or its fifth wrong code. A code is checked under the account's lockout like a
// password: a slot is reserved first (Lockout.reserve), so a burst of guesses never checks more
// codes than LOCKOUT_FAILURES allows. Claiming the token, checking and spending the code, the
// streak, last_login and the audit entries are one transaction: a code is never spent without
// the token being used up, nor the other way round, and 20 parallel requests with one right
// code give one login.
import { randomBytes } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import { precompiled } from '../../store/db.js';
import { person, type User } from '../accounts.js';
import { Audit, type RequestMeta } from '../audit.js';
import type { FailureOutcome } from '../lockout.js';
import { sha256Hex } from '../secrets.js';
import { MICROS_PER_MINUTE, isoMicros, nowMicros } from '../time.js';
import { type Issuer, NO_CREDENTIAL, recordLoginSuccess } from '../login.js';
import type { CodeMethod, FactorCodes } from './factor.js';
import type { MfaNotices } from './notices.js';
import type { MfaDeps } from './types.js';

/** The login that asked for the second step; its credential is issued after `complete` succeeds. */
export type ChallengeKind = 'knox' | 'jwt' | 'admin';

/** A little JSON the starting login needs back (e.g. `{ provider: 'google' }` for a social login). */
export type ChallengeContext = Record<string, string | number | boolean | null>;

/** The `methods` of the §3.1 answer. */
export const MFA_METHODS = ['totp', 'recovery_code'] as const;
export const CHALLENGE_TTL_MICROS = 5 * MICROS_PER_MINUTE;
export const MAX_WRONG_CODES = 5;
const MAX_CONTEXT_CHARS = 1024;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export interface IssuedChallenge {
  /** 43 characters; goes to the client once and is never stored or logged. */
  mfaToken: string;
  expires: number;
}

export type PasswordStepOutcome =
  | { required: false }
  /** Answer the §3.1 body with this token. */
  | { required: true; challenge: IssuedChallenge }
  /** The login cannot ask for a code (§3.3): refuse it as the surface's bad-credentials answer. */
  | { required: true; challenge: null };

export type SecondStepOutcome<T = undefined> =
  | { ok: true; user: User; kind: ChallengeKind; context: ChallengeContext | null; method: CodeMethod; recoveryCodesLeft?: number; issued: T }
  | { ok: false; reason: 'invalid_token' | 'wrong_code' | 'inactive' }
  | { ok: false; reason: 'locked'; lockedNow: boolean };

type StepRefusal = Exclude<SecondStepOutcome, { ok: true }>;

/** What a completed step's `issuer` is chosen by: the login it completes and how the code proved it. */
export interface CompletedStep {
  /** The account the step logs in (for an event's snapshot). */
  user: User;
  kind: ChallengeKind;
  method: CodeMethod;
}

export interface CompleteOptions<T = undefined> {
  /** The kinds of login this caller completes; a token of another kind is an unknown token. */
  accept: readonly ChallengeKind[];
  /**
   * The credential of the login the step completes (core/login.ts Issuer), written in the
   * transaction of a success only, with its audit entries and its session.created event. None:
   * the caller's credential is not a database row (the admin's browser session).
   */
  issuer?: (step: CompletedStep) => Issuer<T>;
}

type Settled<T> =
  | { status: 'invalid_token' | 'inactive' }
  | { status: 'wrong_code'; failure: FailureOutcome }
  | { status: 'ok'; kind: ChallengeKind; context: ChallengeContext | null; method: CodeMethod; left?: number; at: number; issued: T };

/** The audit `method` of a login of this kind: the admin UI's password login records `session`. */
function loginMethod(kind: ChallengeKind): string {
  return kind === 'admin' ? 'session' : kind;
}

export class MfaChallenges {
  private readonly clock: () => number;
  /** Every password login asks it: compiled once. */
  private readonly totpEnabledAt;

  constructor(
    private readonly d: MfaDeps,
    private readonly factor: FactorCodes,
    private readonly notices: MfaNotices,
    private readonly count: (event: string) => void,
  ) {
    this.clock = d.clock ?? nowMicros;
    this.totpEnabledAt = precompiled(d.db.selectFrom('mfa_totp').select('enabled_at').where('user_number', '=', 0));
  }

  /**
   * Called by a login once the password (lockout and activity included) has been accepted,
   * before anything of a success happens (no credential, no last_login, no login.success; the
   * login gives its lockout slot back with `release`, so the streak stays as it is).
   * `kind` null: the login cannot ask for a second factor (§3.3); it is audited as a
   * `login.failure` with reason `mfa_required`.
   */
  async afterPassword(user: User, login: { kind: ChallengeKind | null; context?: ChallengeContext; meta: RequestMeta }): Promise<PasswordStepOutcome> {
    const [row] = await this.totpEnabledAt(this.d.db, [user.number]);
    if (row?.enabled_at == null) return { required: false };
    if (login.kind === null) {
      this.d.metrics.logins.inc({ surface: login.meta.surface, result: 'mfa_required' });
      await this.d.audit.record({ event: 'login.failure', meta: login.meta, user: person(user), details: { reason: 'mfa_required' } });
      return { required: true, challenge: null };
    }
    return { required: true, challenge: await this.issue(user, login.kind, login.meta, login.context) };
  }

  /** A new `mfa_token` for `user`; audited as `login.mfa_challenge`. */
  async issue(user: User, kind: ChallengeKind, meta: RequestMeta, context?: ChallengeContext): Promise<IssuedChallenge> {
    const contextJson = context === undefined ? null : JSON.stringify(context);
    if (contextJson !== null && contextJson.length > MAX_CONTEXT_CHARS) throw new RangeError('an MFA challenge context is limited to 1024 characters of JSON');
    const mfaToken = randomBytes(32).toString('base64url');
    const now = this.clock();
    const expires = now + CHALLENGE_TTL_MICROS;
    // The user's spent and expired steps go as a new one comes: their rows never pile up.
    await this.d.db
      .deleteFrom('mfa_challenges')
      .where('user_number', '=', user.number)
      .where((eb) => eb.or([eb('expires', '<=', now), eb('used_at', 'is not', null), eb('wrong_codes', '>=', MAX_WRONG_CODES)]))
      .execute();
    await this.d.db
      .insertInto('mfa_challenges')
      .values({ digest: sha256Hex(mfaToken), user_number: user.number, kind, context: contextJson, created: now, expires, wrong_codes: 0, used_at: null })
      .execute();
    this.d.metrics.logins.inc({ surface: meta.surface, result: 'mfa_challenge' });
    this.count('challenge');
    await this.d.audit.record({ event: 'login.mfa_challenge', meta, user: person(user), details: { method: loginMethod(kind) } });
    return { mfaToken, expires };
  }

  /**
   * POST login/mfa/ (§3.2) and the admin's second page: the whole second step, last_login, the
   * streak, the audit entries, the recovery-code notice and the issuer's credential of `kind`.
   * `accept`: the kinds this route completes (`login/mfa/`: knox and jwt; the admin's second
   * page: admin). If the issuer throws, the step, the code and the streak are as they were and
   * the error is thrown.
   */
  async complete<T = undefined>(mfaToken: string, code: string, meta: RequestMeta, options: CompleteOptions<T>): Promise<SecondStepOutcome<T>> {
    const { d } = this;
    if (!TOKEN_FORMAT.test(mfaToken)) return this.invalidToken(meta);
    const digest = sha256Hex(mfaToken);
    const found = await d.db.selectFrom('mfa_challenges').select(['user_number', 'kind', 'expires', 'used_at', 'wrong_codes']).where('digest', '=', digest).executeTakeFirst();
    if (!found || found.used_at !== null || found.expires <= this.clock() || found.wrong_codes >= MAX_WRONG_CODES) return this.invalidToken(meta);
    // A token is bound to the login that started it: another route's step is unknown here.
    if (!options.accept.includes(found.kind as ChallengeKind)) return this.invalidToken(meta);
    const user = await d.accounts.byNumber(found.user_number);
    if (!user || user.is_active !== 1) return this.inactive(user, found.kind as ChallengeKind, meta);
    if (d.lockout.lockedUntil(user) !== null) return this.refuseLocked(user, meta);
    const slot = await d.lockout.reserve(user.number);
    if (!slot.ok) return this.refuseLocked(user, meta);

    const issuerFor = options.issuer ?? ((() => NO_CREDENTIAL) as unknown as (step: CompletedStep) => Issuer<T>);
    let issuer: Issuer<T> | undefined;
    let settled: Settled<T>;
    try {
      settled = await d.db.transaction().execute((trx) =>
        this.settle(trx, digest, user, code, meta, (step) => {
          issuer = issuerFor(step);
          return issuer.write(trx, step.user);
        }),
      );
    } catch (err) {
      await d.lockout.release(user.number);
      throw err;
    }
    switch (settled.status) {
      case 'invalid_token':
        await d.lockout.release(user.number);
        return this.invalidToken(meta);
      case 'inactive':
        await d.lockout.release(user.number);
        return this.inactive(user, found.kind as ChallengeKind, meta);
      case 'wrong_code': {
        const { failure } = settled;
        if (!failure.locked) {
          d.metrics.logins.inc({ surface: meta.surface, result: 'wrong_code' });
          return { ok: false, reason: 'wrong_code' };
        }
        d.metrics.logins.inc({ surface: meta.surface, result: 'locked' });
        if (failure.lockedNow) d.metrics.lockouts.inc({ surface: meta.surface });
        return { ok: false, reason: 'locked', lockedNow: failure.lockedNow };
      }
      case 'ok': {
        issuer?.committed?.();
        d.metrics.logins.inc({ surface: meta.surface, result: 'success' });
        const done = { ...user, last_login: settled.at, failed_logins: 0, last_failure_at: null, locked_until: null };
        if (settled.method === 'recovery_code') {
          this.count('recovery_code_used');
          this.notices.recoveryCodeUsed(user, settled.left ?? 0);
          return { ok: true, user: done, kind: settled.kind, context: settled.context, method: settled.method, recoveryCodesLeft: settled.left, issued: settled.issued };
        }
        return { ok: true, user: done, kind: settled.kind, context: settled.context, method: settled.method, issued: settled.issued };
      }
    }
  }

  /** Deletes every step that can no longer succeed (for a periodic clean-up; issue() tidies per user). */
  async purgeExpired(): Promise<number> {
    const r = await this.d.db
      .deleteFrom('mfa_challenges')
      .where((eb) => eb.or([eb('expires', '<=', this.clock()), eb('used_at', 'is not', null), eb('wrong_codes', '>=', MAX_WRONG_CODES)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Inside the transaction: claim the step, check and spend the code, settle the lockout slot, audit. */
  private async settle<T>(trx: Transaction<Database>, digest: string, user: User, code: string, meta: RequestMeta, issue: (step: CompletedStep) => Promise<T>): Promise<Settled<T>> {
    const now = this.clock();
    // The claim: of parallel requests for one step, one holds it until it commits or rolls back.
    const claimed = await trx
      .updateTable('mfa_challenges')
      .set({ used_at: now })
      .where('digest', '=', digest)
      .where('used_at', 'is', null)
      .where('expires', '>', now)
      .where('wrong_codes', '<', MAX_WRONG_CODES)
      .returning(['user_number', 'kind', 'context', 'created'])
      .executeTakeFirst();
    if (!claimed || claimed.user_number !== user.number) return { status: 'invalid_token' };
    const kind = claimed.kind as ChallengeKind;
    const account = await trx.selectFrom('users').select('is_active').where('number', '=', user.number).executeTakeFirst();
    if (account?.is_active !== 1) return { status: 'inactive' };
    // A step begun before the current enrolment (TOTP turned off and on again) proves nothing.
    const spent = await this.factor.spend(trx, user.number, code, now, claimed.created);
    if (!spent.ok && spent.reason === 'not_enabled') return { status: 'invalid_token' };
    // The streak and the audit entries commit with the claim and the spent code, or not at all.
    const lockout = this.d.lockout.within(trx);
    const audit = new Audit(trx);
    if (!spent.ok) {
      // The step survives a wrong code until its fifth: the claim is undone and the miss counted.
      await trx
        .updateTable('mfa_challenges')
        .set((eb) => ({ used_at: null, wrong_codes: eb('wrong_codes', '+', 1) }))
        .where('digest', '=', digest)
        .execute();
      const failure = await lockout.fail(user.number);
      await audit.record({ event: 'login.failure', meta, user: person(user), details: { reason: 'wrong_code', method: loginMethod(kind) } });
      if (failure.locked && failure.lockedNow) {
        await audit.record({ event: 'lockout', meta, user: person(user), details: { until: isoMicros(failure.until) } });
      }
      return { status: 'wrong_code', failure };
    }
    await recordLoginSuccess(trx, { lockout: this.d.lockout, audit, outbox: this.d.outbox }, { user, meta, details: { method: loginMethod(kind), mfa: spent.method }, at: now, reserved: true });
    const context = claimed.context === null ? null : (JSON.parse(claimed.context) as ChallengeContext);
    if (spent.method !== 'recovery_code') {
      const issued = await issue({ user, kind, method: spent.method });
      return { status: 'ok', kind, context, method: spent.method, at: now, issued };
    }
    const row = await trx
      .selectFrom('mfa_recovery_codes')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('user_number', '=', user.number)
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    const left = Number(row.n);
    await audit.record({ event: 'mfa.recovery_code_used', meta, user: person(user), details: { left, method: loginMethod(kind) } });
    const issued = await issue({ user, kind, method: spent.method });
    return { status: 'ok', kind, context, method: spent.method, left, at: now, issued };
  }

  private invalidToken(meta: RequestMeta): StepRefusal {
    this.d.metrics.logins.inc({ surface: meta.surface, result: 'invalid_mfa_token' });
    return { ok: false, reason: 'invalid_token' };
  }

  private async inactive(user: User | undefined, kind: ChallengeKind, meta: RequestMeta): Promise<StepRefusal> {
    this.d.metrics.logins.inc({ surface: meta.surface, result: 'inactive' });
    if (user) await this.d.audit.record({ event: 'login.failure', meta, user: person(user), details: { reason: 'inactive', method: loginMethod(kind) } });
    return { ok: false, reason: 'inactive' };
  }

  private async refuseLocked(user: User, meta: RequestMeta): Promise<StepRefusal> {
    this.d.metrics.logins.inc({ surface: meta.surface, result: 'locked' });
    await this.d.audit.record({ event: 'login.locked', meta, user: person(user) });
    return { ok: false, reason: 'locked', lockedNow: false };
  }
}
