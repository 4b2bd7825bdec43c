// Where the admin login's pending second step waits (mfa.md §4): in the shared `sessionid`
// session, for the 5 minutes its `mfa_token` lives. The browser only ever holds the session
// cookie; the token stays server-side (sealed in the store, core/browser-sessions.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import { EMPTY_SLOTS, type Session, type SessionSlots } from '../../../core/browser-sessions.js';
import { loadSession, rotateSession, writeSession } from '../../../http/session-cookie.js';

function slotsOf(s: SessionSlots): SessionSlots {
  return { loginUser: s.loginUser, loginExpires: s.loginExpires, refreshJti: s.refreshJti, refreshExpires: s.refreshExpires, mfaToken: s.mfaToken ?? null, mfaExpires: s.mfaExpires ?? null };
}

/**
 * After the right password: the step goes into the session under a new session id (a session
 * id planted before the password step is worth nothing after it); its other slots are kept.
 */
export async function holdSecondStep(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, step: { mfaToken: string; expires: number }): Promise<void> {
  const old = await loadSession(ctx, request);
  const slots: SessionSlots = { ...(old ? slotsOf(old) : EMPTY_SLOTS), mfaToken: step.mfaToken, mfaExpires: step.expires };
  await rotateSession(ctx, reply, old?.key ?? null, slots);
}

/** The session and its pending step's token, or null when none is waiting (or it expired). */
export async function pendingSecondStep(ctx: AppContext, request: FastifyRequest): Promise<{ session: Session; mfaToken: string } | null> {
  const session = await loadSession(ctx, request);
  return session?.mfaToken ? { session, mfaToken: session.mfaToken } : null;
}

/** The step is over without a login (locked, expired, used up): it leaves the session. */
export async function dropSecondStep(ctx: AppContext, reply: FastifyReply, session: Session): Promise<void> {
  await writeSession(ctx, reply, session.key, { ...slotsOf(session), mfaToken: null, mfaExpires: null });
}
