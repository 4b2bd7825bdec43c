// Small facts about a request that every surface needs.
import { isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditSurface, RequestMeta } from '../core/audit.js';
import type { Config } from '../config.js';

/** Client IP (Fastify applies TRUST_PROXY, v1.md §0.2), User-Agent and surface, for the core. */
export function requestMeta(request: FastifyRequest, surface: AuditSurface): RequestMeta {
  const ua = request.headers['user-agent'];
  return { surface, ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 256) : null };
}

/**
 * The request's cookies, parsed when first asked for: @fastify/cookie is registered without its
 * per-request hook (app.ts), since most requests (a Bearer or knox call) read no cookie at all.
 * Setting a cookie parses them the same way (the plugin's own setCookie).
 */
export function cookiesOf(request: FastifyRequest): Readonly<Record<string, string | undefined>> {
  const parsed = request.cookies as FastifyRequest['cookies'] | null;
  if (parsed) return parsed;
  const header = request.headers.cookie;
  return (request.cookies = header ? request.server.parseCookie(header) : {});
}

/** v1.md §0.3: Secure on every cookie when PUBLIC_URL is https or the request came over HTTPS. */
export function cookieSecure(request: FastifyRequest, config: Pick<Config, 'publicUrl'>): boolean {
  if (config.publicUrl?.startsWith('https://')) return true;
  return request.protocol === 'https';
}

/**
 * The path of a request URL as the router matches it: without the query, percent-decoded (the
 * router decodes `/v1/%75ser/me/` to the `me/` route, so the surface that owns the route must be
 * the one that answers its 404, 405 and failures). A malformed escape leaves the path as sent.
 */
export function routedPath(url: string): string {
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?$/;

/**
 * Whether the host the request names (`Host`, or `X-Forwarded-Host` from a trusted proxy) is a
 * host name, IPv4 address or bracketed IPv6 address with an optional port up to 65535, as
 * RFC 9110 §7.2 requires (and Django's host check allowed). Absent (HTTP/1.0) counts as fine:
 * nothing is built from it then. A malformed one is refused before anything is done (v1.md
 * §0.11), so no view ever builds a URL from it.
 */
export function isValidHost(host: string): boolean {
  if (host === '') return true;
  const m = HOST.exec(host);
  if (!m) return false;
  if (m[1] !== undefined && !isIPv6(m[1])) return false;
  return m[2] === undefined || Number(m[2]) <= 65535;
}

/** Base for absolute links: PUBLIC_URL, else the request's scheme and host. */
export function publicBase(request: FastifyRequest, config: Pick<Config, 'publicUrl'>): string {
  if (config.publicUrl) return config.publicUrl;
  return `${request.protocol}://${request.host}`;
}

/** The request's own origin, for CSRF Origin checks. */
export function requestOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** The site's own origin: PUBLIC_URL's when set, else the request's (v1.md §1.6a). */
export function publicOrigin(request: FastifyRequest, config: Pick<Config, 'publicUrl'>): string {
  if (config.publicUrl) {
    try {
      return new URL(config.publicUrl).origin;
    } catch {
      // config.ts checked it; fall through to the request's own
    }
  }
  return requestOrigin(request);
}

export const EXPIRED_COOKIE_DATE = new Date(0);

export interface CookieOptions {
  httpOnly?: boolean;
  sameSite?: 'lax' | 'strict' | 'none';
  maxAge?: number;
  path?: string;
}

/** Sets a cookie with the Secure rule applied. */
export function setCookie(reply: FastifyReply, config: Pick<Config, 'publicUrl'>, name: string, value: string, opts: CookieOptions): void {
  reply.setCookie(name, value, {
    path: opts.path ?? '/',
    httpOnly: opts.httpOnly,
    sameSite: opts.sameSite,
    maxAge: opts.maxAge,
    expires: opts.maxAge !== undefined ? new Date(Date.now() + opts.maxAge * 1000) : undefined,
    secure: cookieSecure(reply.request, config),
  });
}

/** Clears a cookie: empty value, Max-Age=0 and the 1970 Expires (v1.md §0.4). */
export function clearCookie(reply: FastifyReply, config: Pick<Config, 'publicUrl'>, name: string, opts: Omit<CookieOptions, 'maxAge'> = {}): void {
  reply.setCookie(name, '', {
    path: opts.path ?? '/',
    httpOnly: opts.httpOnly,
    sameSite: opts.sameSite,
    maxAge: 0,
    expires: EXPIRED_COOKIE_DATE,
    secure: cookieSecure(reply.request, config),
  });
}
