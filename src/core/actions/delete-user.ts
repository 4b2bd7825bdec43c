// Deleting a user, from any surface or the admin (v1.md §0.9): every credential ended, the row
// and what hangs on it removed, the audit entry kept with a snapshot of who it was, and
// user.deleted (the row as it was) recorded, all in one transaction (events.md §1); browser
// sessions and the avatar files go once it committed.
import type { User } from '../accounts.js';
import { person } from '../accounts.js';
import type { ActionContext, ActionDeps } from './deps.js';

export interface DeleteContext extends ActionContext {
  /** null: no entry (a registration rolled back because its picture could not be stored). */
  event: 'user.delete' | 'admin.user.delete' | null;
  details?: Record<string, unknown>;
}

export async function deleteUser(d: ActionDeps, user: Pick<User, 'id' | 'number' | 'email' | 'username'>, c: DeleteContext): Promise<void> {
  const after = await d.db.transaction().execute(async (trx) => {
    const r = await d.revocation.deleteUserIn(trx, user);
    if (c.event) await d.audit.record({ event: c.event, meta: c.meta, actor: c.actor ?? person(user), user: person(user), details: c.details }, trx);
    // Gone already (a concurrent delete): that one reported it.
    if (r.deleted) await d.outbox.record(trx, { type: 'user.deleted', user: r.deleted });
    return r.after;
  });
  await d.revocation.finish(after);
}
