// Reading the access token of a request as the original (flask-jwt-extended, locations
// ["headers", "cookies"]) did, with its answers (user-account.md §2.3, §2.4):
// the Authorization header first, then the cookie; the double-submit CSRF check for a cookie
// token on unsafe methods; then decoding, revocation and the user.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { safeEqual } from '../../core/secrets.js';
import type { GenericReply } from '../../http/surface.js';
import { decodeAccessToken, pyInt, type Claims } from './jwt-decode.js';
import { ACCESS_COOKIE, msg } from './words.js';

/** An access token that passed every check of §2 on this request, and its user. */
export interface VerifiedToken {
  user: User;
  claims: Claims;
  jti: string | null;
  exp: number | null;
}

/** `none`: no token was presented (only possible when the route's token is optional). */
export type TokenReading = { kind: 'ok'; token: VerifiedToken } | { kind: 'none' } | { kind: 'error'; answer: GenericReply };

const BEARER_EXPECTED = "Expected 'Authorization: Bearer <JWT>'";
const MISSING_HEADER = 'Missing Authorization Header';
const MISSING_BEARER = `Missing 'Bearer' type in 'Authorization' header. ${BEARER_EXPECTED}`;
const MISSING_COOKIE = `Missing cookie "${ACCESS_COOKIE}"`;

const BAD_HEADER = msg(422, `Bad Authorization header. ${BEARER_EXPECTED}`);
const MISSING_CSRF = msg(401, 'Missing CSRF token');
const CSRF_MISMATCH = msg(401, 'CSRF double submit tokens do not match');
const EXPIRED = msg(403, 'Token has expired');
const REVOKED = msg(401, 'Token has been revoked');
const REFRESH_NOT_ALLOWED = msg(422, 'Only non-refresh tokens are allowed');
const CSRF_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Python's str.split()/strip() whitespace (Werkzeug hands headers over as latin-1 text).
// eslint-disable-next-line no-control-regex -- Python counts \x1c-\x1f as whitespace too
const PY_WS = /[\s\u001c-\u001f\u0085]+/u;
// eslint-disable-next-line no-control-regex -- as above
const PY_WS_EDGES = /^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/gu;
// eslint-disable-next-line no-control-regex -- as above
const PY_COMMA = /,[\s\u001c-\u001f\u0085]*/u;

type Found = { token: Buffer; csrf: string | null } | { missing: string } | { answer: GenericReply };

/** _decode_jwt_from_headers: strip, split on commas, exactly one `Bearer …` field of two words. */
function fromHeader(request: FastifyRequest): Found {
  const raw = request.headers.authorization ?? '';
  const value = raw.replace(PY_WS_EDGES, '').replace(/^,+|,+$/g, '');
  if (!value) return { missing: MISSING_HEADER };
  // An empty field ("a,,b") made the original crash on split()[0]; here it simply doesn't match.
  const fields = value.split(PY_COMMA).filter((f) => f.replace(PY_WS_EDGES, '').split(PY_WS)[0] === 'Bearer');
  if (fields.length !== 1) return { missing: MISSING_BEARER };
  const parts = fields[0].replace(PY_WS_EDGES, '').split(PY_WS);
  if (parts.length !== 2) return { answer: BAD_HEADER };
  return { token: Buffer.from(parts[1], 'utf8'), csrf: null };
}

/** _decode_jwt_from_cookies: the cookie, and for unsafe methods the X-CSRF-TOKEN header. */
function fromCookie(request: FastifyRequest): Found {
  const value = rawCookie(request.headers.cookie, ACCESS_COOKIE);
  if (!value) return { missing: MISSING_COOKIE };
  let csrf: string | null = null;
  if (CSRF_METHODS.has(request.method)) {
    const header = request.headers['x-csrf-token'];
    csrf = (Array.isArray(header) ? header[0] : header) ?? null;
    if (!csrf) return { answer: MISSING_CSRF };
  }
  // Werkzeug decoded cookie values as UTF-8 (bad bytes replaced) before PyJWT re-encoded them.
  return { token: Buffer.from(Buffer.from(value, 'latin1').toString('utf8'), 'utf8'), csrf };
}

/**
 * The first value of a cookie, as sent (no URL-decoding: the original did none), with
 * surrounding quotes removed.
 */
function rawCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return null;
}

/** The request's access token, read and checked; `optional`: no token at all is `none` instead of the 401 "Missing JWT …". */
export async function readAccessToken(ctx: AppContext, request: FastifyRequest, optional: boolean): Promise<TokenReading> {
  const header = fromHeader(request);
  const found = 'missing' in header ? fromCookie(request) : header;
  if ('answer' in found) return { kind: 'error', answer: found.answer };
  if ('missing' in found) {
    if (optional) return { kind: 'none' };
    const detail = `${(header as { missing: string }).missing}; ${found.missing}`;
    return { kind: 'error', answer: msg(401, `Missing JWT in headers or cookies (${detail})`) };
  }
  return verify(ctx, found.token, found.csrf);
}

async function verify(ctx: AppContext, token: Buffer, csrf: string | null): Promise<TokenReading> {
  const decoded = decodeAccessToken(token, ctx.userAccountTokens.key, Date.now() / 1000);
  if (!decoded.ok) return { kind: 'error', answer: msg(422, decoded.reason) };
  const { claims } = decoded;
  const early = postDecodeChecks(claims, csrf) ?? (decoded.expired ? EXPIRED : null);
  if (early) return { kind: 'error', answer: early };
  if ((claims.type ?? 'access') === 'refresh') return { kind: 'error', answer: REFRESH_NOT_ALLOWED };

  const jti = typeof claims.jti === 'string' ? claims.jti : null;
  if (jti !== null && (await ctx.userAccountTokens.isRevoked(jti))) return { kind: 'error', answer: REVOKED };
  const user = await loadUser(ctx, claims.sub);
  if (!user) return { kind: 'error', answer: msg(401, `Error loading the user ${pyStr(claims.sub)}`) };
  const exp = 'exp' in claims ? pyInt(claims.exp) : null;
  return { kind: 'ok', token: { user, claims, jti, exp } };
}

async function loadUser(ctx: AppContext, sub: unknown): Promise<User | null> {
  if (typeof sub !== 'number' || !Number.isSafeInteger(sub)) return null;
  const user = await ctx.accounts.byNumber(sub);
  return user && user.is_active === 1 ? user : null;
}

/** What flask-jwt-extended checked after PyJWT: the identity claim, then the CSRF pair. */
function postDecodeChecks(claims: Claims, csrf: string | null): GenericReply | null {
  if (!('sub' in claims)) return msg(422, 'Missing claim: sub');
  if (csrf === null) return null;
  if (!('csrf' in claims)) return msg(422, 'Missing claim: csrf');
  // The original crashed (500) on a non-string or non-ASCII value; that is simply a mismatch.
  const inToken = claims.csrf;
  return typeof inToken === 'string' && safeEqual(inToken, csrf) ? null : CSRF_MISMATCH;
}

/** Python's str() of the identity, for "Error loading the user <identity>". */
function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (v === null || v === undefined) return 'None';
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}
