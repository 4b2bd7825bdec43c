// Signing and verifying JWTs with jose. Each surface has its own codec and key (v1.md §0.12).
// Verified tokens are cached (bounded) because signature checks dominate an authenticated
// request; a cache hit still honours `exp`, and callers still check the denylist every time.
import { randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

export type JwtAlgorithm = 'HS256' | 'EdDSA' | 'RS256';

export interface SigningKey {
  alg: JwtAlgorithm;
  /** Present for asymmetric keys; written into the header and used to pick the verify key. */
  kid?: string;
  privateKey: KeyObject | Uint8Array;
  publicKey: KeyObject | Uint8Array;
  /** A retired key verifies only until then (seconds since the epoch); the current key always. */
  verifyUntil?: number;
}

export type VerifyFailure = 'malformed' | 'signature' | 'expired' | 'not_yet_valid';
export type VerifyResult = { ok: true; payload: JWTPayload } | { ok: false; error: VerifyFailure };

/** 32 lowercase hex characters, the jti format of simplejwt. */
export function newJti(): string {
  return randomBytes(16).toString('hex');
}

interface Verified {
  payload: JWTPayload;
  /** The verifying key's deadline, if it has one. */
  keyUntil: number | undefined;
}

export class JwtCodec {
  private readonly cache = new Map<string, Verified>();

  /**
   * @param current signs new tokens
   * @param retired still verify tokens signed before a key rotation
   */
  constructor(
    private readonly current: SigningKey,
    private readonly retired: SigningKey[] = [],
    private readonly cacheSize = 10_000,
  ) {}

  get algorithm(): JwtAlgorithm {
    return this.current.alg;
  }

  /** Signs `claims` in their insertion order, header `{"alg":…,"typ":"JWT"}` (+ `kid`). */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const header: { alg: string; typ: string; kid?: string } = { alg: this.current.alg, typ: 'JWT' };
    if (this.current.kid) header.kid = this.current.kid;
    return new SignJWT(claims as JWTPayload).setProtectedHeader(header).sign(this.current.privateKey);
  }

  /** A token verified before answers at once, not through a promise (every Bearer request asks). */
  verify(token: string, nowSec = Math.floor(Date.now() / 1000)): VerifyResult | Promise<VerifyResult> {
    const cached = this.cache.get(token);
    if (cached) {
      if (typeof cached.payload.exp === 'number' && cached.payload.exp <= nowSec) return { ok: false, error: 'expired' };
      if (cached.keyUntil !== undefined && cached.keyUntil <= nowSec) return { ok: false, error: 'signature' };
      return { ok: true, payload: cached.payload };
    }
    return this.verifySignature(token, nowSec);
  }

  private async verifySignature(token: string, nowSec: number): Promise<VerifyResult> {
    const key = this.keyFor(token);
    if (!key) return { ok: false, error: 'malformed' };
    // A retired key past its window is no longer trusted, whatever the token's exp says.
    if (key.verifyUntil !== undefined && key.verifyUntil <= nowSec) return { ok: false, error: 'signature' };
    try {
      const { payload } = await jwtVerify(token, key.publicKey, { algorithms: [key.alg], currentDate: new Date(nowSec * 1000) });
      this.remember(token, { payload, keyUntil: key.verifyUntil });
      return { ok: true, payload };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) return { ok: false, error: 'expired' };
      if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'nbf') return { ok: false, error: 'not_yet_valid' };
      if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, error: 'signature' };
      return { ok: false, error: 'malformed' };
    }
  }

  /** Forget a cached token (not needed for revocation, which goes through the denylist). */
  forget(token: string): void {
    this.cache.delete(token);
  }

  /**
   * The key a token names: by `kid`, or, for a token without one (HS256 tokens issued before a
   * switch to EdDSA/RS256), the key of its algorithm. The algorithm is then pinned by jose.
   */
  private keyFor(token: string): SigningKey | null {
    if (!this.retired.length) return this.current;
    const dot = token.indexOf('.');
    if (dot <= 0) return null;
    let header: { kid?: unknown; alg?: unknown };
    try {
      header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown; alg?: unknown };
    } catch {
      return null;
    }
    const all = [this.current, ...this.retired];
    if (header.kid !== undefined) return all.find((k) => k.kid !== undefined && k.kid === header.kid) ?? null;
    return all.find((k) => k.kid === undefined && k.alg === header.alg) ?? null;
  }

  private remember(token: string, verified: Verified): void {
    if (this.cache.size >= this.cacheSize) {
      // Drop the oldest entry: Maps iterate in insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, verified);
  }
}

/** HS256 codec keyed by HKDF(SECRET_KEY, `gatehouse/<surface>/jwt`). */
export function hmacKey(secret: Uint8Array): SigningKey {
  return { alg: 'HS256', privateKey: secret, publicKey: secret };
}
