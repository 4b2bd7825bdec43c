// The admin's core (admin.md): the staff actions on users and profiles, the lists behind the
// UI and the JSON API, and the dashboard numbers. Both admin sides call these, so permissions,
// guards, side effects and audit entries are decided once.
import type { User } from '../accounts.js';
import type { Profile, ProfileKind } from '../profiles.js';
import type { AdminDeps } from './deps.js';
import { AdminProfileActions } from './profile-actions.js';
import { AdminQueries, isUuid } from './queries.js';
import { type Stats, loadStats } from './stats.js';
import { type MfaSummary, mfaSummaries, mfaSummary } from './two-factor.js';
import { AdminUserActions } from './user-actions.js';

export type { MfaSummary } from './two-factor.js';

export class AdminCore {
  readonly users: AdminUserActions;
  readonly profiles: AdminProfileActions;
  readonly queries: AdminQueries;

  constructor(private readonly d: AdminDeps) {
    this.users = new AdminUserActions(d);
    this.profiles = new AdminProfileActions(d);
    this.queries = new AdminQueries(d);
  }

  /**
   * The same actions behind a queue of their own, as a second instance would run them: on
   * PostgreSQL they still meet the other queues at the shared advisory lock (serial-lock.ts).
   */
  withOwnQueue(): AdminCore {
    return new AdminCore(this.d);
  }

  stats(): Promise<Stats> {
    return loadStats(this.d);
  }

  /**
   * ADMIN_REQUIRE_MFA (mfa.md §4): whether this staff user is refused the admin (UI and API)
   * for want of a second factor. Always false when the policy is off.
   */
  async refusedByMfaPolicy(user: Pick<User, 'number'>): Promise<boolean> {
    return this.d.requireMfa && !(await this.d.hasSecondFactor(user.number));
  }

  /** The two-factor state the user object shows (mfa.md §4). */
  mfaOf(userNumber: number): Promise<MfaSummary> {
    return mfaSummary(this.d, userNumber);
  }

  /** The same for a page of users, by number, in three queries. */
  mfaOfMany(userNumbers: readonly number[]): Promise<Map<number, MfaSummary>> {
    return mfaSummaries(this.d, userNumbers);
  }

  /** The user named by a path's `<id>`; a malformed id is simply not found (admin.md §2.2). */
  async userByPathId(id: string): Promise<User | undefined> {
    return isUuid(id) ? this.d.accounts.byId(id.toLowerCase()) : undefined;
  }

  /** The profile named by a path's `<id>`, of that kind only. */
  async profileByPathId(kind: ProfileKind, id: string): Promise<Profile | undefined> {
    return isUuid(id) ? this.d.profiles.get(kind, id.toLowerCase()) : undefined;
  }
}
