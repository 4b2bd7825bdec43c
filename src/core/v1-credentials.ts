// v1 credentials (v1.md §1.5, §1.6), used by the v1 surface and the admin JSON API: knox
// `Token` and v1 `Bearer` JWTs, with the exact failure answers of the original. The hot path
// is one indexed query (knox join users, or users by id) plus a cached signature check.
//
// The denylist (§1.6) is checked here, first, for every header whatever its scheme word, on every
// route that takes v1 credentials (those that ignore the header included): there is no path
// spelling or route that reaches a v1 view without passing through this check.
import type { JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import type { Kv } from '../kv/kv.js';
import type { Database } from '../store/schema.js';
import type { Accounts, User } from './accounts.js';
import type { VerifyResult } from './jwt.js';
import type { KnoxToken, KnoxTokens } from './knox.js';
import type { V1Keys } from './v1-keys.js';
import { MICROS_PER_SECOND, nowMicros } from './time.js';

export type V1Auth =
  | { kind: 'none' }
  | { kind: 'knox'; user: User; token: KnoxToken }
  | { kind: 'jwt'; user: User; token: string; jti: string; exp: number; iat: number; loginId: string | null };

/** The body of a v1 401: a bare string, or the objects simplejwt sent. */
export type V1AuthError = string | { detail: string; code: string };

/** `denylisted`: the second word is a revoked v1 access JWT (§1.6), answered without WWW-Authenticate. */
export type V1AuthResult = { ok: true; auth: V1Auth } | { ok: false; error: V1AuthError; denylisted?: true };

export const V1_ERRORS = {
  noCredentials: 'Invalid token header. No credentials provided.',
  spaces: 'Invalid token header. Token string should not contain spaces.',
  invalidToken: 'Invalid token.',
  inactiveKnox: 'User inactive or deleted.',
  badBearerHeader: { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' },
  invalidJwt: 'Token is invalid or expired',
  wrongType: 'Token has wrong type',
  noUserId: { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' },
  userNotFound: 'User not found',
  userInactive: { detail: 'User is inactive', code: 'user_inactive' },
} as const;

/** The schemes a route accepts; with neither, only the denylist is checked (credential-less routes). */
export interface SchemesAllowed { knox: boolean; bearer: boolean }

const NONE: V1AuthResult = { ok: true, auth: { kind: 'none' } };
const NOT_LISTED: { denylisted: boolean; verified?: VerifyResult } = { denylisted: false };

/** Whether the second word may be a JWT (three dot-separated parts): only those can be denylisted. */
function mayBeJwt(words: string[]): boolean {
  return words.length >= 2 && words[1].includes('.');
}
const DENYLISTED: V1AuthResult = { ok: false, error: 'Invalid token.', denylisted: true };

const LAST_USED_EVERY_MICROS = 60 * MICROS_PER_SECOND;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `Authorization` split on runs of whitespace, as Python's str.split(). */
export function authWords(header: string | undefined): string[] {
  if (!header) return [];
  // eslint-disable-next-line no-control-regex -- Python's split() also splits on these separators
  return header.split(/[\s\u001c-\u001f\u0085]+/u).filter(Boolean);
}

export class V1Credentials {
  /** jti -> login id; immutable facts, bounded. */
  private readonly loginOfJti = new Map<string, string | null>();
  /** login id -> when last_used was last written by this instance. */
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly kv: Kv,
    private readonly accounts: Accounts,
    private readonly knox: KnoxTokens,
    private readonly keys: V1Keys,
  ) {}

  /** §1.6: the second word is a v1 access JWT whose jti is denylisted. Any scheme word. */
  async isDenylisted(header: string | undefined): Promise<boolean> {
    const words = authWords(header);
    return mayBeJwt(words) && (await this.denylistCheck(words)).denylisted;
  }

  /**
   * The request's v1 credential, in the order of §1.2: the denylist first (any scheme word),
   * then the schemes the route accepts. With no scheme allowed, only the denylist is checked.
   */
  async authenticate(header: string | undefined, allowed: SchemesAllowed): Promise<V1AuthResult> {
    const words = authWords(header);
    if (words.length === 0) return NONE;
    // Only a JWT can be denylisted; a knox token (64 hex) is not even looked at by the check.
    const listed = mayBeJwt(words) ? await this.denylistCheck(words) : NOT_LISTED;
    if (listed.denylisted) return DENYLISTED;
    const scheme = words[0];
    if (scheme.toLowerCase() === 'token' && allowed.knox) return await this.knoxAuth(words);
    if (scheme === 'Bearer' && allowed.bearer) return await this.bearerAuth(words, listed.verified);
    return NONE;
  }

  /** The denylist verdict of what `mayBeJwt`, and the signature check it needed (reused by the Bearer check). */
  private async denylistCheck(words: string[]): Promise<{ denylisted: boolean; verified?: VerifyResult }> {
    const pending = this.keys.codec.verify(words[1]);
    const verified = pending instanceof Promise ? await pending : pending;
    if (!verified.ok || verified.payload.token_type !== 'access' || typeof verified.payload.jti !== 'string') return { denylisted: false, verified };
    const denied = this.kv.isDenied(verified.payload.jti);
    return { denylisted: denied instanceof Promise ? await denied : denied, verified };
  }

  private async knoxAuth(words: string[]): Promise<V1AuthResult> {
    if (words.length === 1) return { ok: false, error: V1_ERRORS.noCredentials };
    if (words.length > 2) return { ok: false, error: V1_ERRORS.spaces };
    const r = await this.knox.check(words[1]);
    if (!r.ok) return { ok: false, error: r.reason === 'inactive' ? V1_ERRORS.inactiveKnox : V1_ERRORS.invalidToken };
    return { ok: true, auth: { kind: 'knox', user: r.user, token: r.token } };
  }

  private async bearerAuth(words: string[], verified: VerifyResult | undefined): Promise<V1AuthResult> {
    if (words.length !== 2) return { ok: false, error: V1_ERRORS.badBearerHeader };
    const token = words[1];
    const v = verified ?? (await this.keys.codec.verify(token));
    if (!v.ok) return { ok: false, error: V1_ERRORS.invalidJwt };
    const claims = v.payload;
    if (claims.token_type !== 'access') return { ok: false, error: claims.token_type === undefined ? V1_ERRORS.invalidJwt : V1_ERRORS.wrongType };
    if (claims.user_id === undefined || claims.user_id === null) return { ok: false, error: V1_ERRORS.noUserId };
    const userId = String(claims.user_id);
    const user = UUID.test(userId) ? await this.accounts.byId(userId.toLowerCase()) : undefined;
    if (!user) return { ok: false, error: V1_ERRORS.userNotFound };
    if (user.is_active !== 1) return { ok: false, error: V1_ERRORS.userInactive };
    const jti = typeof claims.jti === 'string' ? claims.jti : '';
    const known = this.loginIdOf(jti);
    const loginId = known instanceof Promise ? await known : known;
    const touching = loginId ? this.touchLogin(loginId) : undefined;
    if (touching) await touching;
    return { ok: true, auth: { kind: 'jwt', user, token, jti, exp: numberClaim(claims, 'exp'), iat: numberClaim(claims, 'iat'), loginId } };
  }

  /** The login a token belongs to; known ones at once (every Bearer request asks). */
  private loginIdOf(jti: string): string | null | Promise<string | null> {
    if (!jti) return null;
    const cached = this.loginOfJti.get(jti);
    if (cached !== undefined) return cached;
    return this.loadLoginId(jti);
  }

  private async loadLoginId(jti: string): Promise<string | null> {
    const row = await this.db.selectFrom('jwt_tokens').select('login_id').where('jti', '=', jti).executeTakeFirst();
    const loginId = row?.login_id ?? null;
    if (this.loginOfJti.size >= 50_000) this.loginOfJti.delete(this.loginOfJti.keys().next().value!);
    this.loginOfJti.set(jti, loginId);
    return loginId;
  }

  /** v1.md §2.2: a login's last_used moves with each request, written at most once a minute (the write's promise then). */
  private touchLogin(loginId: string): Promise<unknown> | undefined {
    const now = nowMicros();
    const last = this.lastUsedWritten.get(loginId);
    if (last !== undefined && now - last < LAST_USED_EVERY_MICROS) return undefined;
    if (this.lastUsedWritten.size >= 50_000) this.lastUsedWritten.delete(this.lastUsedWritten.keys().next().value!);
    this.lastUsedWritten.set(loginId, now);
    return this.db.updateTable('jwt_logins').set({ last_used: now }).where('id', '=', loginId).execute();
  }
}

function numberClaim(claims: JWTPayload, name: string): number {
  const v = claims[name];
  return typeof v === 'number' ? v : 0;
}
