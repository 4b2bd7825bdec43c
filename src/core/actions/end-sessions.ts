// Ending sessions: "revoke all" (v1.md §0.8) and every surface's logout, each with its audit
// entry. What a logout ends is the credential the request came with; the cookies that carried
// it are the surface's business. "Revoke all" and a session ended by its owner record
// session.revoked in the transaction that ends them (events.md §1); the kv denylist and the
// browser sessions follow once it committed.
import type { User } from '../accounts.js';
import { person } from '../accounts.js';
import type { KeyHolder } from '../account-keys.js';
import type { Session } from '../browser-sessions.js';
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import { type Aftermath, type RevokeReason, type Spare, noAftermath } from '../revocation.js';
import type { ActionContext, ActionDeps } from './deps.js';
import type { SessionRevokeReason } from './user-events.js';

type Person = Pick<User, 'id' | 'number' | 'email' | 'username'>;

export interface EndAllContext extends ActionContext {
  reason?: RevokeReason;
  spare?: Spare;
  /** The staff action that asked for it; absent: the caller records its own entry. */
  event?: 'admin.user.revoke' | 'admin.user.mfa_reset';
  /** session.revoked's `reason`: `admin` when not given (the staff action); other callers say why (`mfa_enabled`, …). */
  why?: SessionRevokeReason;
}

/** Every knox and account token, JWT of every surface, browser login and reset token of the user. */
export async function endAllSessions(d: ActionDeps, user: Person, c: EndAllContext): Promise<void> {
  const after = await d.db.transaction().execute((trx) => endAllSessionsIn(d, trx, user, c));
  await d.revocation.finish(after);
}

/**
 * `endAllSessions` inside a caller's transaction, for a change that must not commit without
 * the sessions ending with it (turning on two-factor, the admin's reset); the caller passes the
 * result to `finishEnding` once it committed.
 */
export async function endAllSessionsIn(d: ActionDeps, trx: Transaction<Database>, user: Person, c: EndAllContext): Promise<Aftermath> {
  const ended = await d.revocation.endAllSessionsIn(trx, user, c.reason ?? 'revoked', c.spare ?? {});
  if (c.event) await d.audit.record({ event: c.event, meta: c.meta, actor: c.actor, user: person(user) }, trx);
  const row = await d.accounts.byNumber(user.number, trx);
  if (row) await d.outbox.record(trx, { type: 'session.revoked', user: row, reason: c.why ?? 'admin' });
  return ended;
}

/** v1 `logout-knox/`: the token used, only. */
export async function logoutKnox(d: ActionDeps, user: Person, tokenId: string, c: ActionContext): Promise<void> {
  await d.knox.delete(tokenId);
  await d.audit.record({ event: 'logout', meta: c.meta, user: person(user), details: { method: 'knox' } });
}

/** v1 `logout-knox-all/`: every knox token of the user; JWT logins stay. */
export async function logoutKnoxAll(d: ActionDeps, user: Person, c: ActionContext): Promise<number> {
  const count = await d.knox.deleteAllOf(user.number);
  await d.audit.record({ event: 'logout', meta: c.meta, user: person(user), details: { method: 'knox-all', count } });
  return count;
}

export interface PresentedAccess { jti: string; exp: number; loginId: string | null }

/**
 * v1 `logout-jwt/` (§3.7): the presented access id denylisted until its exp, its login ended, and
 * the refresh the request's session held blacklisted.
 */
export async function logoutV1Jwt(d: ActionDeps, user: Person, access: PresentedAccess, heldRefreshJti: string | null, c: ActionContext): Promise<void> {
  if (access.jti) await d.revocation.denyAccess(access.jti, access.exp, 'logout');
  if (access.loginId) await d.revocation.endLogin(access.loginId, 'logout');
  if (heldRefreshJti) await d.revocation.revokeRefresh(heldRefreshJti, 'logout');
  await d.audit.record({ event: 'logout', meta: c.meta, user: person(user), details: { method: 'jwt' } });
}

/** `account` logout: the user's one key goes; the next login makes a new one. */
export async function logoutAccountKey(d: ActionDeps, holder: KeyHolder, c: ActionContext): Promise<void> {
  await d.accountKeys.revoke(holder.digest);
  const who = person(holder.user);
  await d.audit.record({ event: 'logout', meta: c.meta, actor: who, user: who, details: { method: 'token' } });
}

/**
 * `users` and admin logout (v1.md §0.4): the whole browser session goes, and with it the v1
 * login whose refresh it held, so that login's tokens stop working too.
 */
export async function logoutBrowserSession(d: ActionDeps, user: Person, session: Session, c: ActionContext): Promise<void> {
  if (session.refreshJti !== null) await d.revocation.endLoginHolding(session.refreshJti, 'logout');
  await d.sessions.destroy(session.key);
  await d.audit.record({ event: 'logout', meta: c.meta, user: person(user), details: { method: 'session' } });
}

/** `user-account` logout (§5.7): the token's id denylisted until its exp. */
export async function logoutUserAccount(d: ActionDeps, user: Person, access: { jti: string | null; exp: number | null }, c: ActionContext): Promise<void> {
  if (access.jti !== null && access.exp !== null) await d.revocation.denyAccess(access.jti, access.exp, 'logout');
  await d.audit.record({ event: 'logout', meta: c.meta, user: person(user), details: { method: 'jwt' } });
}

/** v1 `sessions/<id>/` (§5.8): one of the caller's knox tokens or JWT logins, or null when it is not theirs. */
export async function endOwnSession(d: ActionDeps, user: Person, id: string, live: { knoxIds: string[]; loginIds: string[] }, c: ActionContext): Promise<'knox' | 'jwt' | null> {
  const kind = live.knoxIds.includes(id) ? 'knox' : live.loginIds.includes(id) ? 'jwt' : null;
  if (kind === null) return null;
  const ended = await d.db.transaction().execute(async (trx) => {
    let now: boolean;
    let after = noAftermath();
    if (kind === 'knox') {
      now = await d.knox.delete(id, trx);
    } else {
      const r = await d.revocation.endLoginIn(trx, id, 'revoked');
      now = r.ended;
      after = r.after;
    }
    await d.audit.record({ event: 'sessions.revoke', meta: c.meta, actor: person(user), user: person(user), details: { kind, session: id } }, trx);
    // Ended meanwhile by another request: that one reported it.
    const row = now ? await d.accounts.byNumber(user.number, trx) : undefined;
    if (row) await d.outbox.record(trx, { type: 'session.revoked', user: row, reason: 'session' });
    return after;
  });
  await d.revocation.finish(ended);
  return kind;
}
