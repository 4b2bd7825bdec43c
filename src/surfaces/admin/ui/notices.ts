// One-time notices after an action (admin.md §2.1 "Forms"): the action answers 302 and names
// the notice in a short-lived cookie; the next page shows it once and clears the cookie. Only
// a code travels in the cookie, never text, so nothing a client sets can reach the page.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../../config.js';
import { clearCookie, cookiesOf, setCookie } from '../../../http/request.js';
import { MESSAGES } from '../../../core/admin/permissions.js';

const COOKIE = 'admin_notice';
const COOKIE_PATH = '/admin/';

export type NoticeLevel = 'success' | 'error';
export interface Notice { level: NoticeLevel; text: string }

const NOTICES = {
  'user.updated': { level: 'success', text: 'The user was changed.' },
  'user.password': { level: 'success', text: 'The password was changed. Every session and token of the user has ended.' },
  'user.unlocked': { level: 'success', text: 'The user was unlocked.' },
  'user.revoked': { level: 'success', text: 'Every session and token of the user has ended.' },
  'user.mfa_reset': { level: 'success', text: 'Two-factor authentication was turned off and the passkeys removed. Every session and token of the user has ended.' },
  'login.mfa_expired': { level: 'error', text: 'The sign-in took too long or was used up. Log in again.' },
  'user.reset_sent': { level: 'success', text: 'A password reset email was sent.' },
  'user.no_email': { level: 'error', text: MESSAGES.noEmail },
  'user.reset_too_soon': { level: 'error', text: MESSAGES.resetTooSoon },
  'user.deleted': { level: 'success', text: 'The user was deleted.' },
  'guard.last_superuser': { level: 'error', text: MESSAGES.lastSuperuser },
  'guard.own_account': { level: 'error', text: MESSAGES.ownAccount },
  'profile.updated': { level: 'success', text: 'The profile was changed.' },
  'profile.deleted': { level: 'success', text: 'The profile was deleted.' },
  'logged_out': { level: 'success', text: 'You are logged out.' },
} as const satisfies Record<string, Notice>;

export type NoticeCode = keyof typeof NOTICES;

/** The notice code for a guard's message (the guards' words live in permissions.ts). */
export function guardNotice(message: string): NoticeCode {
  return message === MESSAGES.lastSuperuser ? 'guard.last_superuser' : 'guard.own_account';
}

export function setNotice(reply: FastifyReply, config: Pick<Config, 'publicUrl'>, code: NoticeCode): void {
  setCookie(reply, config, COOKIE, code, { httpOnly: true, sameSite: 'lax', maxAge: 60, path: COOKIE_PATH });
}

/** The pending notice, if any; it is cleared, so it shows once. */
export function takeNotice(request: FastifyRequest, reply: FastifyReply, config: Pick<Config, 'publicUrl'>): Notice | null {
  const code = cookiesOf(request)[COOKIE];
  if (code === undefined) return null;
  clearCookie(reply, config, COOKIE, { httpOnly: true, sameSite: 'lax', path: COOKIE_PATH });
  return Object.prototype.hasOwnProperty.call(NOTICES, code) ? NOTICES[code as NoticeCode] : null;
}
