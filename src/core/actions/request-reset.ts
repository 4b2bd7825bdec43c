// Asking for a password reset mail (v1.md §5.4, user-account.md §5.3). The answer to the client
// never depends on what happens here; the audit entry records whether a mail went.
import type { User } from '../accounts.js';
import { person } from '../accounts.js';
import type { ActionContext, ActionDeps } from './deps.js';

/** v1: only an active account gets mail, at most one a minute. */
export async function requestV1Reset(d: ActionDeps, user: User, c: ActionContext): Promise<void> {
  const mail = user.is_active === 1 ? (await d.mail.sendV1Reset(user)).status : 'inactive';
  await d.audit.record({ event: 'password.reset.request', meta: c.meta, user: person(user), details: { mail } });
}

/** user-account: mail when the account has an address and the per-account limit allows it. */
export async function requestUaReset(d: ActionDeps, user: User, c: ActionContext): Promise<void> {
  const mail = (await d.mail.sendUaReset(user)).status;
  await d.audit.record({ event: 'password.reset.request', meta: c.meta, user: person(user), details: { mail } });
}
