// One password login, the same for every surface: lockout first, then the password (or the
// same time spent on a dummy hash for an unknown account), then the streak, last_login,
// audit and metrics. Surfaces only map the outcome onto their own answers.
//
// The attempt is counted toward the lockout streak before the password is hashed (Lockout.reserve)
// and uncounted by a success, so a parallel burst verifies at most LOCKOUT_FAILURES guesses.
//
// A surface hands its credential's writer to the login (an Issuer): the credential is written
// in the success's own transaction, so login.success and session.created commit with the
// session they report, or not at all (events.md §1), in one commit instead of two.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Accounts, User } from './accounts.js';
import { person } from './accounts.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Outbox } from './events/outbox.js';
import type { Lockout } from './lockout.js';
import type { Metrics } from './metrics.js';
import type { PasswordHasher } from './passwords.js';
import { charLength } from './text.js';
import { isoMicros, nowMicros } from './time.js';

export type LoginMethod = 'knox' | 'jwt' | 'token' | 'session';

/**
 * The kind of login a second step completes (mfa.md §3.1): v1's two, the admin UI's, or null for
 * a surface that cannot ask for a code, whose login then fails for an account with two-factor on.
 */
export type SecondFactorKind = 'knox' | 'jwt' | 'admin' | null;

/** The two-factor gate every password login passes through (core/mfa challenges). */
export interface SecondFactorGate {
  afterPassword(user: User, login: { kind: SecondFactorKind; meta: RequestMeta }): Promise<{ required: false } | { required: true; challenge: { mfaToken: string; expires: number } | null }>;
}

/** No surface accepts a longer password; a longer one fails without being hashed (v1.md §0.5). */
export const PASSWORD_MAX_LENGTH = 128;

/**
 * Writes one login's credential (a token row, a login family) inside the transaction that
 * records the success, after the user's row was written there (on PostgreSQL its row lock is
 * held). `committed` runs once that transaction committed: counters, nothing that can fail the
 * login. One per login: it may remember what it wrote.
 */
export interface Issuer<T, U extends Partial<User> = User> {
  write(trx: Kysely<Database>, user: U): Promise<T>;
  committed?(): void;
}

/** For a login whose credential is not a database row (a browser session, started after the commit). */
export const NO_CREDENTIAL: Issuer<undefined> = { write: async () => undefined };

export type LoginOutcome<T = undefined> =
  | { ok: true; user: User; issued: T }
  /** The password was right; the account has two-factor on: the second step's token, or null where the surface cannot ask. */
  | { ok: false; reason: 'mfa_required'; user: User; challenge: { mfaToken: string; expires: number } | null }
  | { ok: false; reason: 'unknown_account' }
  | { ok: false; reason: 'password_too_long'; user: User }
  | { ok: false; reason: 'locked'; user: User; lockedNow: boolean }
  | { ok: false; reason: 'wrong_password' | 'inactive'; user: User };

export interface LoginDeps {
  db: Kysely<Database>;
  accounts: Accounts;
  passwords: PasswordHasher;
  lockout: Lockout;
  audit: Audit;
  metrics: Metrics;
  /** Records session.created in the login's own transaction (events.md §1). */
  outbox: Pick<Outbox, 'record'>;
  secondFactor: SecondFactorGate;
  /** Whether the account has a second factor of its own (TOTP on, or a usable passkey): ADMIN_REQUIRE_MFA. */
  hasSecondFactor: (userNumber: number) => Promise<boolean>;
  /** Failures of background work (rehash) go here instead of failing the login. */
  onBackgroundError: (err: unknown) => void;
}

export interface LoginAttempt {
  user: User | undefined;
  password: string;
  /** What the client typed to name the account, kept in the audit entry when it names nobody. */
  identifier: string;
  method: LoginMethod;
  meta: RequestMeta;
  /** The admin login refuses non-staff accounts without recording anything (admin.md §2.3). */
  requireStaff?: boolean;
  /**
   * The second step this login can ask for when the account has two-factor on; absent or null:
   * none, and the login fails after the password check (mfa.md §3.3).
   */
  secondFactor?: SecondFactorKind;
  /**
   * A policy that refuses an account without a second factor of its own (ADMIN_REQUIRE_MFA,
   * mfa.md §4): after the right password, such a login fails as `second_factor_missing`,
   * audited as a `login.failure` with reason `mfa_required`, without counting toward lockout.
   */
  requireSecondFactor?: boolean;
}

/** The outcomes only some logins can have: the admin's staff rule and its two-factor policy. */
export type PolicyRefusal = { ok: false; reason: 'not_staff' | 'second_factor_missing'; user: User };

/**
 * What every successful login records, inside the transaction that also writes its credential:
 * the user's row (streak and lock cleared, `last_login`; the lockout slot given back when the
 * attempt reserved one), `login.success` and `session.created`. The row comes first: on
 * PostgreSQL its lock orders concurrent logins of one account. Used by `Login` for passwords,
 * passkeys and providers, and by the second step (mfa/challenge.ts).
 */
export async function recordLoginSuccess(
  trx: Kysely<Database>,
  d: { lockout: Lockout; audit: Audit; outbox: Pick<Outbox, 'record'> },
  s: { user: User; meta: RequestMeta; details: { method: string } & Record<string, unknown>; at: number; reserved: boolean },
): Promise<void> {
  await d.lockout.loggedIn(s.user.number, s.at, s.reserved, trx);
  await d.audit.record({ event: 'login.success', meta: s.meta, user: person(s.user), details: s.details }, trx);
  await d.outbox.record(trx, { type: 'session.created', user: s.user, surface: s.meta.surface, method: s.details.method });
}

export class Login {
  constructor(private readonly d: LoginDeps) {}

  attempt(a: LoginAttempt): Promise<LoginOutcome | PolicyRefusal>;
  attempt<T>(a: LoginAttempt, issuer: Issuer<T>): Promise<LoginOutcome<T> | PolicyRefusal>;
  async attempt<T>(a: LoginAttempt, issuer: Issuer<T | undefined> = NO_CREDENTIAL): Promise<LoginOutcome<T | undefined> | PolicyRefusal> {
    const { d } = this;
    const surface = a.meta.surface;
    const tooLong = charLength(a.password) > PASSWORD_MAX_LENGTH;
    if (!a.user) {
      // The same time as a real check, except for a password no account can have (never hashed).
      if (!tooLong) await d.passwords.verifyDummy(a.password);
      d.metrics.logins.inc({ surface, result: 'unknown_account' });
      await d.audit.record({ event: 'login.failure', meta: a.meta, details: { reason: 'unknown_account', identifier: a.identifier.slice(0, 254) } });
      return { ok: false, reason: 'unknown_account' };
    }
    const user = a.user;
    if (d.lockout.lockedUntil(user) !== null) return this.refuseLocked(user, a.meta);
    if (tooLong) {
      d.metrics.logins.inc({ surface, result: 'wrong_password' });
      await d.audit.record({ event: 'login.failure', meta: a.meta, user: person(user), details: { reason: 'password_too_long' } });
      return { ok: false, reason: 'password_too_long', user };
    }
    const slot = await d.lockout.reserve(user.number);
    if (!slot.ok) return this.refuseLocked(user, a.meta);
    let verdict;
    try {
      verdict = await d.passwords.verify(a.password, user.password);
    } catch (err) {
      await d.lockout.release(user.number);
      throw err;
    }
    const failure = !verdict.ok ? 'wrong_password' : user.is_active !== 1 ? 'inactive' : null;
    if (failure) return this.fail(user, failure, a.meta);
    if (a.requireStaff && user.is_staff !== 1) {
      await d.lockout.release(user.number);
      return { ok: false, reason: 'not_staff', user };
    }

    if (verdict.needsRehash) await this.rehash(user.number, a.password);
    // The second factor is part of the login, on every surface (mfa.md §3): the password alone
    // settles nothing for an account with two-factor on.
    const gate = await d.secondFactor.afterPassword(user, { kind: a.secondFactor ?? null, meta: a.meta });
    if (gate.required) {
      await d.lockout.release(user.number);
      return { ok: false, reason: 'mfa_required', user, challenge: gate.challenge };
    }
    if (a.requireSecondFactor && !(await this.ownsSecondFactor(user))) {
      await d.lockout.release(user.number);
      d.metrics.logins.inc({ surface, result: 'mfa_required' });
      await d.audit.record({ event: 'login.failure', meta: a.meta, user: person(user), details: { reason: 'mfa_required' } });
      return { ok: false, reason: 'second_factor_missing', user };
    }
    let settled;
    try {
      settled = await this.settle(user, a.meta, { method: a.method }, true, issuer);
    } catch (err) {
      // Nothing of the success committed: the slot is given back, the streak is as it was.
      await d.lockout.release(user.number);
      throw err;
    }
    return { ok: true, ...settled };
  }

  /**
   * A login proven another way (a passkey, a provider): last_login, the streak cleared, audit
   * login.success with `details`, session.created, and the issuer's credential, together.
   */
  async recordSuccess<T>(user: User, meta: RequestMeta, details: { method: string } & Record<string, unknown>, issuer: Issuer<T>): Promise<{ user: User; issued: T }> {
    return this.settle(user, meta, details, false, issuer);
  }

  /** The success, in one transaction: the row, the audit entry, the event and the credential commit together. */
  private async settle<T>(user: User, meta: RequestMeta, details: { method: string } & Record<string, unknown>, reserved: boolean, issuer: Issuer<T>): Promise<{ user: User; issued: T }> {
    const { d } = this;
    const now = nowMicros();
    const settled: User = { ...user, last_login: now, failed_logins: 0, last_failure_at: null, locked_until: null };
    const issued = await d.db.transaction().execute(async (trx) => {
      await recordLoginSuccess(trx, d, { user, meta, details, at: now, reserved });
      return issuer.write(trx, settled);
    });
    d.metrics.logins.inc({ surface: meta.surface, result: 'success' });
    issuer.committed?.();
    return { user: settled, issued };
  }

  /**
   * Whether `password` is the user's current one, for actions that ask for it again (password
   * change, account deletion, two-factor). Not a login: nothing counts toward lockout; the
   * user bucket limits guessing there (v1.md §5.3).
   */
  async checkPassword(user: Pick<User, 'password'>, password: string): Promise<boolean> {
    if (charLength(password) > PASSWORD_MAX_LENGTH) return false;
    return (await this.d.passwords.verify(password, user.password)).ok;
  }

  /**
   * Whether the account has a password at all (an account made by a social login may not): the
   * actions that ask for the password again (two-factor, mfa.md §2.2) skip it otherwise.
   */
  hasUsablePassword(user: Pick<User, 'password'>): boolean {
    return this.d.passwords.isUsable(user.password);
  }

  /** The account has a second factor of its own; a failure to check lets nobody through. */
  private async ownsSecondFactor(user: User): Promise<boolean> {
    try {
      return await this.d.hasSecondFactor(user.number);
    } catch (err) {
      await this.d.lockout.release(user.number);
      throw err;
    }
  }

  private async refuseLocked(user: User, meta: RequestMeta): Promise<LoginOutcome> {
    this.d.metrics.logins.inc({ surface: meta.surface, result: 'locked' });
    await this.d.audit.record({ event: 'login.locked', meta, user: person(user) });
    return { ok: false, reason: 'locked', user, lockedNow: false };
  }

  /** Settles the attempt's slot as a failure; the one that reaches the limit answers "locked". */
  private async fail(user: User, reason: 'wrong_password' | 'inactive', meta: RequestMeta): Promise<LoginOutcome> {
    const { d } = this;
    const outcome = await d.lockout.fail(user.number);
    await d.audit.record({ event: 'login.failure', meta, user: person(user), details: { reason } });
    if (outcome.locked) {
      d.metrics.logins.inc({ surface: meta.surface, result: 'locked' });
      if (outcome.lockedNow) {
        d.metrics.lockouts.inc({ surface: meta.surface });
        await d.audit.record({ event: 'lockout', meta, user: person(user), details: { until: isoMicros(outcome.until) } });
      }
      return { ok: false, reason: 'locked', user, lockedNow: outcome.lockedNow };
    }
    d.metrics.logins.inc({ surface: meta.surface, result: reason });
    return { ok: false, reason, user };
  }

  /**
   * Imported hashes (and weaker argon2 parameters) become argon2id at the current cost. Awaited,
   * so the next login already finds the new hash; a failure here never fails the login.
   */
  private async rehash(userNumber: number, password: string): Promise<void> {
    try {
      await this.d.accounts.setPasswordHash(userNumber, await this.d.passwords.hash(password));
    } catch (err) {
      this.d.onBackgroundError(err);
    }
  }
}
