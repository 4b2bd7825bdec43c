// How this surface answers: compact JSON with sorted keys (user-account.md §1.1), the fixed
// answers created once, and the cookies in the original's (Werkzeug's) attribute order.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { cookieSecure } from '../../http/request.js';
import type { IssuedToken } from '../../core/user-account-tokens.js';

/** What a view decides; the route wrapper turns it into the HTTP response. */
export interface Outcome {
  status: number;
  body?: Record<string, unknown>;
  /** An HTML page (the reset form) instead of JSON. */
  html?: string;
  headers?: Record<string, string>;
  /** Set both token cookies for this token (login). */
  token?: IssuedToken;
  /** Clear the four cookies and never re-issue (logout). */
  logout?: boolean;
}

export function msg(status: number, text: string): Outcome {
  return Object.freeze({ status, body: Object.freeze({ msg: text }) });
}

// Answers used in more than one place, created once.
export const NOT_FOUND = msg(404, 'Not Found');
export const METHOD_NOT_ALLOWED = msg(405, 'Method Not Allowed');
export const UNSUPPORTED_MEDIA_TYPE = msg(415, 'Unsupported Media Type');
export const INVALID_JSON = msg(400, 'Invalid JSON');
export const TOO_LARGE = msg(413, 'Request body too large.');
export const INTERNAL_ERROR = msg(500, 'Internal Server Error');
export const WRONG_TOKEN = msg(400, 'Wrong token');
export const CHECK_EMAIL = msg(200, 'Check your email...');
export const ALREADY_AUTHENTICATED = msg(403, 'user is already authenticated');
export const WRONG_CREDENTIALS = msg(401, 'Wrong username or password');

/** Keys sorted at every level, as Flask's jsonify(sort_keys=True) produced them. */
export function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = (v as Record<string, unknown>)[k];
    return out;
  });
}

export const ACCESS_COOKIE = 'access_token_cookie';
export const CSRF_COOKIE = 'csrf_access_token';
const LOGOUT_COOKIES = [ACCESS_COOKIE, CSRF_COOKIE, 'refresh_token_cookie', 'csrf_refresh_token'];

// Browser-session cookies: no Max-Age, no Expires, no SameSite (§2.2); Secure per v1.md §0.3.
function sessionCookie(name: string, value: string, secure: boolean, httpOnly: boolean): string {
  return `${name}=${value}${secure ? '; Secure' : ''}${httpOnly ? '; HttpOnly' : ''}; Path=/`;
}

function expiredCookie(name: string, secure: boolean): string {
  return `${name}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0${secure ? '; Secure' : ''}; Path=/`;
}

export function tokenCookies(request: FastifyRequest, config: Config, t: IssuedToken): string[] {
  const secure = cookieSecure(request, config);
  return [sessionCookie(ACCESS_COOKIE, t.token, secure, true), sessionCookie(CSRF_COOKIE, t.csrf, secure, false)];
}

export function logoutCookies(request: FastifyRequest, config: Config): string[] {
  const secure = cookieSecure(request, config);
  return LOGOUT_COOKIES.map((name) => expiredCookie(name, secure));
}

/** Writes an outcome; `cookies` are Set-Cookie lines decided by the caller. */
export function send(reply: FastifyReply, o: Outcome, cookies: string[] = []): FastifyReply {
  reply.code(o.status);
  for (const [k, v] of Object.entries(o.headers ?? {})) reply.header(k, v);
  if (cookies.length) {
    reply.header('Set-Cookie', cookies);
    // A response that carries a credential is never cached (v1.md §0.13).
    if (!o.logout) reply.header('Cache-Control', 'no-store');
  }
  if (o.html !== undefined) return reply.type('text/html; charset=utf-8').send(o.html);
  if (o.body === undefined) return reply.send();
  return reply.type('application/json').send(sortedJson(o.body));
}
