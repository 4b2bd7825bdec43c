// The `sessionid` cookie over core/browser-sessions (v1.md §0.4): every response that touches
// the session re-sends the cookie with Max-Age = the longest slot's remaining life, or clears
// it when no slot is left.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { type Session, type SessionSlots, hasSlots, remainingSeconds } from '../core/browser-sessions.js';
import { clearCookie, cookiesOf, setCookie } from './request.js';

const SESSION_COOKIE = 'sessionid';

export function sessionCookieValue(request: FastifyRequest): string | undefined {
  return cookiesOf(request)[SESSION_COOKIE];
}

export async function loadSession(ctx: AppContext, request: FastifyRequest): Promise<Session | null> {
  return ctx.sessions.load(sessionCookieValue(request));
}

/** Saves `slots` under `key` (a new key when null) and sets or clears the cookie. Returns the key in use. */
export async function writeSession(ctx: AppContext, reply: FastifyReply, key: string | null, slots: SessionSlots): Promise<string | null> {
  if (!hasSlots(slots)) {
    if (key) await ctx.sessions.destroy(key);
    clearSessionCookie(ctx, reply);
    return null;
  }
  const useKey = key ?? ctx.sessions.newKey();
  await ctx.sessions.save(useKey, slots);
  sendSessionCookie(ctx, reply, useKey, slots);
  return useKey;
}

/** A new session id for the same slots (login), cookie re-sent. */
export async function rotateSession(ctx: AppContext, reply: FastifyReply, oldKey: string | null, slots: SessionSlots): Promise<string> {
  const key = await ctx.sessions.rotate(oldKey, slots);
  sendSessionCookie(ctx, reply, key, slots);
  return key;
}

/**
 * The cookie for `key`, with Max-Age = the longest slot's remaining life counted from `now`
 * (pass the instant a slot was set, so a fresh login slot says exactly 7200 rather than the
 * 7199 that the milliseconds spent saving it would round down to).
 */
export function sendSessionCookie(ctx: AppContext, reply: FastifyReply, key: string, slots: SessionSlots, now?: number): void {
  setCookie(reply, ctx.config, SESSION_COOKIE, key, { httpOnly: true, sameSite: 'lax', maxAge: remainingSeconds(slots, now) });
}

export function clearSessionCookie(ctx: AppContext, reply: FastifyReply): void {
  clearCookie(reply, ctx.config, SESSION_COOKIE, { httpOnly: true, sameSite: 'lax' });
}
