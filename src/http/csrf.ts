// Django-style CSRF for the browser surfaces (users.md §1.3; the admin UI uses the same rules):
// an Origin check, then the `csrftoken` cookie against the X-CSRFToken header or the
// `csrfmiddlewaretoken` form field, compared in constant time.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { randomAlnum, safeEqual } from '../core/secrets.js';
import { requestOrigin, setCookie } from './request.js';

export const CSRF_COOKIE = 'csrftoken';
export const CSRF_HEADER = 'x-csrftoken';
export const CSRF_FORM_FIELD = 'csrfmiddlewaretoken';
const CSRF_MAX_AGE = 31_449_600; // one year, Django's CSRF_COOKIE_AGE
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

export function newCsrfToken(): string {
  return randomAlnum(32);
}

/** The cookie value if it looks like ours (32 letters/digits), else undefined. */
export function csrfCookie(request: FastifyRequest): string | undefined {
  const v = request.cookies?.[CSRF_COOKIE];
  return v && /^[A-Za-z0-9]{32}$/.test(v) ? v : undefined;
}

/** (Re)sends the CSRF cookie: not HttpOnly, SameSite=Lax, Path=/, one year. */
export function setCsrfCookie(reply: FastifyReply, config: Pick<Config, 'publicUrl'>, token: string): void {
  setCookie(reply, config, CSRF_COOKIE, token, { httpOnly: false, sameSite: 'lax', maxAge: CSRF_MAX_AGE });
}

/**
 * The failure reason of users.md §1.3, or null when the request passes. `formToken` is the
 * `csrfmiddlewaretoken` field of an already parsed form body, when the caller has one.
 */
export function csrfFailure(request: FastifyRequest, config: Pick<Config, 'trustedOrigins'>, formToken?: string): string | null {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== requestOrigin(request) && !config.trustedOrigins.includes(origin)) {
    return `Origin checking failed - ${origin} does not match any trusted origins.`;
  }
  const cookie = request.cookies?.[CSRF_COOKIE];
  if (!cookie) return 'CSRF cookie not set.';
  const header = request.headers[CSRF_HEADER];
  const given = typeof header === 'string' ? header : formToken;
  if (given === undefined || given === '') return 'CSRF token missing.';
  return safeEqual(given, cookie) ? null : 'CSRF token incorrect.';
}
