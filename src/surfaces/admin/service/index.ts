// The admin's shared services, built once per app and handed to both the UI and the API.
import type { AppContext } from '../../../context.js';
import type { User } from '../../../core/accounts.js';
import type { Profile, ProfileKind } from '../../../core/profiles.js';
import { AdminProfileActions } from './profile-actions.js';
import { AdminQueries, isUuid } from './queries.js';
import { AdminUserActions } from './user-actions.js';

export interface AdminServices {
  ctx: AppContext;
  users: AdminUserActions;
  profiles: AdminProfileActions;
  queries: AdminQueries;
}

export function createServices(ctx: AppContext): AdminServices {
  return { ctx, users: new AdminUserActions(ctx), profiles: new AdminProfileActions(ctx), queries: new AdminQueries(ctx) };
}

/** The user named by a path's `<id>`; a malformed id is simply not found (admin.md §2.2). */
export async function userByPathId(ctx: AppContext, id: string): Promise<User | undefined> {
  return isUuid(id) ? ctx.accounts.byId(id.toLowerCase()) : undefined;
}

/** The profile named by a path's `<id>`, of that kind only. */
export async function profileByPathId(ctx: AppContext, kind: ProfileKind, id: string): Promise<Profile | undefined> {
  return isUuid(id) ? ctx.profiles.get(kind, id.toLowerCase()) : undefined;
}
