// The admin's actions and reads (src/core/admin), handed to both the UI and the JSON API.
import type { AppContext } from '../../../context.js';
import type { AdminProfileActions } from '../../../core/admin/profile-actions.js';
import type { AdminQueries } from '../../../core/admin/queries.js';
import type { AdminUserActions } from '../../../core/admin/user-actions.js';

export interface AdminServices {
  ctx: AppContext;
  users: AdminUserActions;
  profiles: AdminProfileActions;
  queries: AdminQueries;
}

/** One per app: the UI and the API share its queue of flag changes. */
export function createServices(ctx: AppContext): AdminServices {
  const admin = ctx.admin.withOwnQueue();
  return { ctx, users: admin.users, profiles: admin.profiles, queries: admin.queries };
}
