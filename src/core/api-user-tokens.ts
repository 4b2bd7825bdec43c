// The api-user JWT pair (api-user.md §2): HS256 under this surface's own key (v1.md §0.12),
// simplejwt's claims and checks, every token recorded so "revoke all" and deletion reach it,
// and rotation that lets exactly one of many parallel refreshes of one token win.
import type { JWTPayload } from 'jose';
import type { User } from './accounts.js';
import type { Issuer } from './login.js';
import { type IssuedToken, type Revocation, recordedTokens } from './revocation.js';
import { JwtCodec, hmacKey, newJti } from './jwt.js';
import type { SecretKeys } from './secrets.js';
import { nowSeconds } from './time.js';

export type TokenType = 'access' | 'refresh';

const DAY = 86_400;
/** The seed-era lifetimes: access 1 day, refresh 30 days. */
export const LIFETIME: Record<TokenType, number> = { access: DAY, refresh: 30 * DAY };

/** simplejwt's TokenError messages, in the order its Token.verify() checked them. */
export const TOKEN_MESSAGES = {
  invalid: 'Token is invalid or expired',
  noExp: "Token has no 'exp' claim",
  noId: 'Token has no id',
  noType: 'Token has no type',
  wrongType: 'Token has wrong type',
  blacklisted: 'Token is blacklisted',
} as const;

export type TokenMessage = (typeof TOKEN_MESSAGES)[keyof typeof TOKEN_MESSAGES];

export type Checked = { ok: true; payload: JWTPayload & { jti: string } } | { ok: false; message: TokenMessage };

export interface TokenPair {
  refresh: string;
  access: string;
}

/** The api-user JWT pair: issue, check, rotate. */
export class ApiUserTokens {
  private readonly codec: JwtCodec;

  constructor(secrets: SecretKeys, private readonly revocation: Revocation) {
    this.codec = new JwtCodec(hmacKey(secrets.derive('gatehouse/api-user/jwt')));
  }

  /** A login's pair, recorded in the login's transaction (both recorded before they are handed out). */
  issuer(): Issuer<TokenPair, Pick<User, 'id'>> {
    return recordedTokens(this.revocation, (user) => this.make(user.id, newJti()));
  }

  /** A new refresh and its access token, sharing `iat`, signed but not yet recorded. */
  private async make(userId: string, refreshJti: string): Promise<{ value: TokenPair; tokens: IssuedToken[] }> {
    const iat = nowSeconds();
    const refresh = this.record('refresh', refreshJti, userId, iat);
    const access = this.record('access', newJti(), userId, iat);
    const [r, a] = await Promise.all([this.sign(refresh), this.sign(access)]);
    return { value: { refresh: r, access: a }, tokens: [refresh, access] };
  }

  /**
   * Signature, expiry and simplejwt's claim checks, then revocation: an access token's jti in
   * the shared denylist, a refresh token's record blacklisted (or missing: fail closed).
   */
  async check(token: string, expected: TokenType): Promise<Checked> {
    const verified = await this.codec.verify(token);
    if (!verified.ok) return fail('invalid');
    const p = verified.payload;
    if (p.exp === undefined) return fail('noExp');
    if (typeof p.jti !== 'string') return fail('noId');
    if (p.token_type === undefined) return fail('noType');
    if (p.token_type !== expected) return fail('wrongType');
    const revoked = expected === 'access' ? await this.revocation.isDenied(p.jti) : !(await this.revocation.refreshUsable(p.jti, 'api-user'));
    if (revoked) return fail('blacklisted');
    return { ok: true, payload: p as JWTPayload & { jti: string } };
  }

  /**
   * Refresh with rotation: the presented token is blacklisted as "rotated" by one conditional
   * update, so of N parallel refreshes of one token exactly one wins; the others answer
   * "Token is blacklisted", as does any later reuse. The new pair is recorded in the same
   * transaction: a rotation that fails leaves the presented refresh as it was.
   */
  async rotate(token: string): Promise<{ ok: true; pair: TokenPair } | { ok: false; message: TokenMessage }> {
    const checked = await this.check(token, 'refresh');
    if (!checked.ok) return checked;
    const userId = checked.payload.user_id;
    // Only tokens we signed get here, and ours always name a user.
    if (typeof userId !== 'string') return fail('invalid');
    const replacement = newJti();
    const made = await this.make(userId, replacement);
    if (!(await this.revocation.rotateRefresh(checked.payload.jti, replacement, made.tokens))) return fail('blacklisted');
    return { ok: true, pair: made.value };
  }

  private record(type: TokenType, jti: string, userId: string, iat: number): IssuedToken {
    return { jti, surface: 'api-user', type, userId, iat, exp: iat + LIFETIME[type] };
  }

  // Claims in simplejwt's order: token_type, exp, iat, jti, user_id.
  private sign(t: IssuedToken): Promise<string> {
    return this.codec.sign({ token_type: t.type, exp: t.exp, iat: t.iat, jti: t.jti, user_id: t.userId });
  }
}

function fail(key: keyof typeof TOKEN_MESSAGES): { ok: false; message: TokenMessage } {
  return { ok: false, message: TOKEN_MESSAGES[key] };
}
