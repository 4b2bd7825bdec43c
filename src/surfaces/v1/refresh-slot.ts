// The v1 refresh slot of the shared `sessionid` session (v1.md §0.4, §2.3). Only the refresh's
// jti is kept there; the slot lives 14 days from its last write and the cookie is re-sent with
// every write. Other slots of the session (the `users`/admin login slot) are carried along,
// but only when they belong to the same user (§1.6a).
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../context.js';
import { EMPTY_SLOTS, REFRESH_SLOT_MICROS, type Session, type SessionSlots } from '../../core/browser-sessions.js';
import { nowMicros } from '../../core/time.js';
import { rotateSession, writeSession } from '../../http/session-cookie.js';

function slotsOf(session: Session | null): SessionSlots {
  if (!session) return EMPTY_SLOTS;
  return {
    loginUser: session.loginUser, loginExpires: session.loginExpires, refreshJti: session.refreshJti, refreshExpires: session.refreshExpires,
    // The admin's pending second step, if any, waits on (mfa.md §4).
    mfaToken: session.mfaToken ?? null, mfaExpires: session.mfaExpires ?? null,
  };
}

function withRefresh(slots: SessionSlots, jti: string | null): SessionSlots {
  return { ...slots, refreshJti: jti, refreshExpires: jti === null ? null : nowMicros() + REFRESH_SLOT_MICROS };
}

/**
 * login-jwt: the new refresh goes into a session under a fresh id (against session fixation).
 * A session that held another user's refresh or login slot is not carried over at all.
 */
export async function holdNewRefresh(ctx: AppContext, reply: FastifyReply, session: Session | null, owner: { id: string; number: number }, jti: string): Promise<void> {
  const heldBy = session?.refreshJti ? await ctx.v1Logins.ownerOfRefresh(session.refreshJti) : null;
  const foreign = (heldBy !== null && heldBy !== owner.id) || (session?.loginUser != null && session.loginUser !== owner.number);
  await rotateSession(ctx, reply, session?.key ?? null, withRefresh(foreign ? EMPTY_SLOTS : slotsOf(session), jti));
}

/** token/refresh: the slot now names `jti`. */
export async function setRefresh(ctx: AppContext, reply: FastifyReply, session: Session, jti: string): Promise<void> {
  await writeSession(ctx, reply, session.key, withRefresh(slotsOf(session), jti));
}

/** The slot is emptied; with no other slot left the session goes and the cookie is cleared. */
export async function clearRefresh(ctx: AppContext, reply: FastifyReply, session: Session): Promise<void> {
  await writeSession(ctx, reply, session.key, withRefresh(slotsOf(session), null));
}
