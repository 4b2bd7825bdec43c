// Issuing access tokens (user-account.md §2.1): HS256 with this surface's own key (v1.md §0.12),
// the original's claim order, 60 minutes, no refresh tokens. Every token is recorded so the
// core's "revoke all" (v1.md §0.8) can denylist it.
import { randomUUID } from 'node:crypto';
import type { User } from './accounts.js';
import { JwtCodec, hmacKey } from './jwt.js';
import type { Issuer } from './login.js';
import { type IssuedToken as TokenRecord, type Revocation, recordedTokens } from './revocation.js';
import type { SecretKeys } from './secrets.js';

export const ACCESS_TTL_SECONDS = 60 * 60;
/** A verified token with less than this left is replaced on the response (§2.5). */
export const REISSUE_WINDOW_SECONDS = 30 * 60;
export const JWT_KEY_INFO = 'gatehouse/user-account/jwt';

export interface IssuedToken {
  token: string;
  csrf: string;
  jti: string;
  exp: number;
}

/** user-account access tokens: issued here; decoded by the surface the way the original did. */
export class UserAccountTokens {
  /** The HS256 key, for the surface's own decoding (it reproduces the original's error texts). */
  readonly key: Buffer;
  private readonly codec: JwtCodec;

  constructor(secrets: SecretKeys, private readonly revocation: Revocation) {
    this.key = secrets.derive(JWT_KEY_INFO);
    this.codec = new JwtCodec(hmacKey(this.key));
  }

  /** Revoked by its logout or by "revoke all" (v1.md §0.8). */
  isRevoked(jti: string): boolean | Promise<boolean> {
    return this.revocation.isDenied(jti);
  }

  async issue(user: Pick<User, 'id' | 'number'>): Promise<IssuedToken> {
    const made = await this.make(user);
    await this.revocation.recordTokens(made.tokens);
    return made.value;
  }

  /** A login's token, recorded in the login's transaction. */
  issuer(): Issuer<IssuedToken, Pick<User, 'id' | 'number'>> {
    return recordedTokens(this.revocation, (user) => this.make(user));
  }

  private async make(user: Pick<User, 'id' | 'number'>): Promise<{ value: IssuedToken; tokens: TokenRecord[] }> {
    const now = Math.floor(Date.now() / 1000);
    const jti = randomUUID();
    const csrf = randomUUID();
    const exp = now + ACCESS_TTL_SECONDS;
    // Insertion order is the wire order: fresh, iat, jti, type, sub, nbf, csrf, exp.
    const token = await this.codec.sign({ fresh: false, iat: now, jti, type: 'access', sub: user.number, nbf: now, csrf, exp });
    return { value: { token, csrf, jti, exp }, tokens: [{ jti, surface: 'user-account', type: 'access', userId: user.id, iat: now, exp }] };
  }
}
