// One password login, the same for every surface: lockout first, then the password (or the
// same time spent on a dummy hash for an unknown account), then the streak, last_login,
// audit and metrics. Surfaces only map the outcome onto their own answers.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Accounts, User } from './accounts.js';
import { person } from './accounts.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Lockout } from './lockout.js';
import type { Metrics } from './metrics.js';
import type { PasswordHasher } from './passwords.js';
import { isoMicros, nowMicros } from './time.js';

export type LoginMethod = 'knox' | 'jwt' | 'token' | 'session';

export type LoginOutcome =
  | { ok: true; user: User }
  | { ok: false; reason: 'unknown_account' }
  | { ok: false; reason: 'locked'; user: User; lockedNow: boolean }
  | { ok: false; reason: 'wrong_password' | 'inactive'; user: User };

export interface LoginDeps {
  db: Kysely<Database>;
  accounts: Accounts;
  passwords: PasswordHasher;
  lockout: Lockout;
  audit: Audit;
  metrics: Metrics;
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
}

export class Login {
  constructor(private readonly d: LoginDeps) {}

  async attempt(a: LoginAttempt): Promise<LoginOutcome | { ok: false; reason: 'not_staff'; user: User }> {
    const { d } = this;
    const surface = a.meta.surface;
    if (!a.user) {
      await d.passwords.verifyDummy(a.password);
      d.metrics.logins.inc({ surface, result: 'unknown_account' });
      await d.audit.record({ event: 'login.failure', meta: a.meta, details: { reason: 'unknown_account', identifier: a.identifier.slice(0, 254) } });
      return { ok: false, reason: 'unknown_account' };
    }
    const user = a.user;
    if (d.lockout.lockedUntil(user) !== null) {
      d.metrics.logins.inc({ surface, result: 'locked' });
      await d.audit.record({ event: 'login.locked', meta: a.meta, user: person(user) });
      return { ok: false, reason: 'locked', user, lockedNow: false };
    }
    const verdict = await d.passwords.verify(a.password, user.password);
    const failure = !verdict.ok ? 'wrong_password' : user.is_active !== 1 ? 'inactive' : null;
    if (failure) return this.fail(user, failure, a.meta);
    if (a.requireStaff && user.is_staff !== 1) return { ok: false, reason: 'not_staff', user };

    const now = nowMicros();
    await d.db
      .updateTable('users')
      .set({ last_login: now, failed_logins: 0, last_failure_at: null, locked_until: null })
      .where('number', '=', user.number)
      .execute();
    if (verdict.needsRehash) await this.rehash(user.number, a.password);
    d.metrics.logins.inc({ surface, result: 'success' });
    await d.audit.record({ event: 'login.success', meta: a.meta, user: person(user), details: { method: a.method } });
    return { ok: true, user: { ...user, last_login: now, failed_logins: 0, last_failure_at: null, locked_until: null } };
  }

  private async fail(user: User, reason: 'wrong_password' | 'inactive', meta: RequestMeta): Promise<LoginOutcome> {
    const { d } = this;
    const outcome = await d.lockout.recordFailure(user.number);
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
