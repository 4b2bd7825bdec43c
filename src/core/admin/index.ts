// The admin's core (admin.md): the staff actions on users and profiles, the lists behind the
// UI and the JSON API, and the dashboard numbers. Both admin sides call these, so permissions,
// guards, side effects and audit entries are decided once.
import type { User } from '../accounts.js';
import type { Profile, ProfileKind } from '../profiles.js';
import type { AdminDeps } from './deps.js';
import { AdminProfileActions } from './profile-actions.js';
import { AdminQueries, isUuid } from './queries.js';
import { type Stats, loadStats } from './stats.js';
import { AdminUserActions } from './user-actions.js';

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

  /** The user named by a path's `<id>`; a malformed id is simply not found (admin.md §2.2). */
  async userByPathId(id: string): Promise<User | undefined> {
    return isUuid(id) ? this.d.accounts.byId(id.toLowerCase()) : undefined;
  }

  /** The profile named by a path's `<id>`, of that kind only. */
  async profileByPathId(kind: ProfileKind, id: string): Promise<Profile | undefined> {
    return isUuid(id) ? this.d.profiles.get(kind, id.toLowerCase()) : undefined;
  }
}
