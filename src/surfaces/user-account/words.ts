// How this surface answers: `{"msg": …}` bodies (keys sorted by the style's `after`,
// user-account.md §1.1), the fixed answers created once, and the cookies in the original's
// (Werkzeug's) attribute order (§2.2).
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { IssuedToken } from '../../core/user-account-tokens.js';
import { cookieSecure } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';

export function msg(status: number, text: string): GenericReply {
  return Object.freeze({ status, body: Object.freeze({ msg: text }) });
}

// Answers used in more than one place, created once.
export const UNSUPPORTED_MEDIA_TYPE = msg(415, 'Unsupported Media Type');
export const INVALID_JSON = msg(400, 'Invalid JSON');
export const WRONG_TOKEN = msg(400, 'Wrong token');
export const CHECK_EMAIL = msg(200, 'Check your email...');

/**
 * `value` with the keys of every object in it sorted, as Flask's jsonify(sort_keys=True)
 * produced them (JSON.stringify keeps insertion order).
 */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(object).sort().map((k) => [k, sortedKeys(object[k])]));
}

export const ACCESS_COOKIE = 'access_token_cookie';
const CSRF_ACCESS_COOKIE = 'csrf_access_token';
const LOGOUT_COOKIES = [ACCESS_COOKIE, CSRF_ACCESS_COOKIE, 'refresh_token_cookie', 'csrf_refresh_token'];

// Browser-session cookies: no Max-Age, no Expires, no SameSite (§2.2); Secure per v1.md §0.3.
function sessionCookie(name: string, value: string, secure: boolean, httpOnly: boolean): string {
  return `${name}=${value}${secure ? '; Secure' : ''}${httpOnly ? '; HttpOnly' : ''}; Path=/`;
}

function expiredCookie(name: string, secure: boolean): string {
  return `${name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0${secure ? '; Secure' : ''}; Path=/`;
}

/** Set-Cookie lines carrying `t` (login and re-issue). */
export function tokenCookies(request: FastifyRequest, config: Config, t: IssuedToken): string[] {
  const secure = cookieSecure(request, config);
  return [sessionCookie(ACCESS_COOKIE, t.token, secure, true), sessionCookie(CSRF_ACCESS_COOKIE, t.csrf, secure, false)];
}

/** Set-Cookie lines clearing the four cookies (logout). */
export function logoutCookies(request: FastifyRequest, config: Config): string[] {
  const secure = cookieSecure(request, config);
  return LOGOUT_COOKIES.map((name) => expiredCookie(name, secure));
}
