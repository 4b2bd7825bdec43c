// "Who is logged in" for the browser surfaces that share the login slot of the `sessionid`
// session (v1.md §0.4): a sliding 2-hour slot, a new session id at login, and a logout that
// ends the whole session. Any surface with a Django-style session login builds on this.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { User } from '../core/accounts.js';
import type { RequestMeta } from '../core/audit.js';
import { EMPTY_SLOTS, LOGIN_SLOT_MICROS, type Session, type SessionSlots } from '../core/browser-sessions.js';
import { nowMicros } from '../core/time.js';
import { newCsrfToken, setCsrfCookie } from './csrf.js';
import type { Stage } from './route.js';
import { clearSessionCookie, loadSession, sendSessionCookie, sessionCookieValue, writeSession } from './session-cookie.js';

export interface LoggedIn {
  /** The session as saved by this request (slot already extended). */
  session: Session;
  user: User;
}

/**
 * The logged-in user of this request, or null. A live login slot for an existing, active user
 * counts; the slot is then extended by two hours and the cookie re-sent (the slot slides with
 * every request that carries it). A slot pointing at a missing or inactive user is dropped, so
 * it cannot come back to life if the account is re-activated.
 */
async function currentLogin(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<LoggedIn | null> {
  const session = await loadSession(ctx, request);
  if (!session) {
    // The cookie names a session that is gone (expired, logged out, revoked): tell the browser.
    if (sessionCookieValue(request) !== undefined) clearSessionCookie(ctx, reply);
    return null;
  }
  if (session.loginUser === null) return null;
  const user = await ctx.accounts.byNumber(session.loginUser);
  if (!user || user.is_active !== 1) {
    await writeSession(ctx, reply, session.key, { ...slotsOf(session), loginUser: null, loginExpires: null });
    return null;
  }
  const now = nowMicros();
  const slots: SessionSlots = { ...slotsOf(session), loginExpires: now + LOGIN_SLOT_MICROS };
  await ctx.sessions.save(session.key, slots);
  sendSessionCookie(ctx, reply, session.key, slots, now);
  return { session: { key: session.key, ...slots }, user };
}

/**
 * The route stage of the browser surfaces: who is logged in (`call.auth`), for every route that
 * takes the session. A route declared `credential: 'none'` never reads or re-sends it, so its
 * answers carry no cookie and may be cached (the users media).
 */
export const sessionLoginStage: Stage<LoggedIn | null> = async (call) => {
  if (call.route.credential !== 'none') call.auth = await currentLogin(call.ctx, call.request, call.reply);
  return undefined;
};

/**
 * Logs `user` in: a new session id (against fixation) holding a fresh login slot and whatever
 * v1 refresh slot the old session had, and a new CSRF token, as Django's login() rotates it.
 */
export async function startLogin(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, user: Pick<User, 'number'>): Promise<Session> {
  const old = await loadSession(ctx, request);
  const now = nowMicros();
  const slots: SessionSlots = {
    ...(old ? slotsOf(old) : EMPTY_SLOTS),
    loginUser: user.number,
    loginExpires: now + LOGIN_SLOT_MICROS,
    // A login settles any second step the session was waiting for (the admin's, mfa.md §4).
    mfaToken: null,
    mfaExpires: null,
  };
  const key = await ctx.sessions.rotate(old?.key ?? null, slots);
  sendSessionCookie(ctx, reply, key, slots, now);
  setCsrfCookie(reply, ctx.config, newCsrfToken());
  return { key, ...slots };
}

/**
 * Logout: the whole session goes, and with it the v1 JWT login whose refresh it held
 * (v1.md §0.4: "the v1 login held there ends"), so that login's tokens stop working too.
 */
export async function endLogin(ctx: AppContext, reply: FastifyReply, login: LoggedIn, meta: RequestMeta): Promise<void> {
  await ctx.actions.logoutBrowserSession(login.user, login.session, { meta });
  clearSessionCookie(ctx, reply);
}

function slotsOf(s: SessionSlots): SessionSlots {
  return { loginUser: s.loginUser, loginExpires: s.loginExpires, refreshJti: s.refreshJti, refreshExpires: s.refreshExpires, mfaToken: s.mfaToken ?? null, mfaExpires: s.mfaExpires ?? null };
}
