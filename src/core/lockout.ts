// The one failure streak per account shared by every surface (v1.md §0.7). It lives on the
// user row: every instance sees it through the database, it survives restarts, and the admin
// can list and filter locked accounts. Each change is one atomic UPDATE, so concurrent
// failures can't lose a count or lock twice.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { User } from './accounts.js';
import { MICROS_PER_MINUTE, nowMicros } from './time.js';

export interface LockoutPolicy { failures: number; minutes: number }

export type FailureOutcome =
  | { locked: false; streak: number }
  | { locked: true; lockedNow: boolean; until: number };

export class Lockout {
  constructor(private readonly db: Kysely<Database>, readonly policy: LockoutPolicy) {}

  get enabled(): boolean {
    return this.policy.failures > 0;
  }

  private get windowMicros(): number {
    return this.policy.minutes * MICROS_PER_MINUTE;
  }

  /** Locked until (µs), or null when the account may try. */
  lockedUntil(user: Pick<User, 'locked_until'>, now = nowMicros()): number | null {
    if (!this.enabled) return null;
    return user.locked_until !== null && user.locked_until > now ? user.locked_until : null;
  }

  /** The streak as it stands now: a streak whose last failure is older than the window is forgotten. */
  currentStreak(user: Pick<User, 'failed_logins' | 'last_failure_at'>, now = nowMicros()): number {
    if (user.last_failure_at === null || user.last_failure_at <= now - this.windowMicros) return 0;
    return user.failed_logins;
  }

  /**
   * Records one failure. The failure that brings the streak to the limit locks the account
   * until that failure plus the window; an account already locked is left untouched.
   */
  async recordFailure(userNumber: number): Promise<FailureOutcome> {
    if (!this.enabled) return { locked: false, streak: 0 };
    const now = nowMicros();
    const forgetBefore = now - this.windowMicros;
    const next = sql<number>`case when last_failure_at is null or last_failure_at <= ${forgetBefore} then 1 else failed_logins + 1 end`;
    const row = await this.db
      .updateTable('users')
      .set({
        failed_logins: next,
        last_failure_at: now,
        locked_until: sql<number | null>`case when (${next}) >= ${this.policy.failures} then cast(${now + this.windowMicros} as bigint) else null end`,
      })
      .where('number', '=', userNumber)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
      .returning(['failed_logins', 'locked_until'])
      .executeTakeFirst();
    if (!row) {
      // Someone else's failure locked it first.
      const u = await this.db.selectFrom('users').select('locked_until').where('number', '=', userNumber).executeTakeFirst();
      return u?.locked_until ? { locked: true, lockedNow: false, until: u.locked_until } : { locked: false, streak: 0 };
    }
    if (row.locked_until !== null) return { locked: true, lockedNow: true, until: row.locked_until };
    return { locked: false, streak: row.failed_logins };
  }

  /** Success, admin unlock and completed resets clear the streak and any lock. */
  async clear(userNumber: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ failed_logins: 0, last_failure_at: null, locked_until: null })
      .where('number', '=', userNumber)
      .where((eb) => eb.or([eb('failed_logins', '!=', 0), eb('locked_until', 'is not', null)]))
      .execute();
  }
}
