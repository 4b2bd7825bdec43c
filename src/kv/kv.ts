// Shared short-lived state: throttle windows, one-shot claims (mail limits) and the JWT
// denylist. In-process for one instance; Redis when REDIS_URL is set, so every instance
// sees the same counters and revocations.

export interface HitResult {
  allowed: boolean;
  /** When refused: milliseconds until the oldest recorded hit leaves the window. */
  retryAfterMs: number;
}

export interface Kv {
  readonly kind: 'memory' | 'redis';
  /**
   * Sliding window (v1.md §1.7): accepted hits within `windowMs` are kept; a hit is refused,
   * and not recorded, once `limit` of them are in the window.
   */
  hit(key: string, limit: number, windowMs: number): Promise<HitResult>;
  /** Forget a window (tests and admin tooling). */
  resetHits(key: string): Promise<void>;
  /** Takes `key` for `ttlMs` if nobody holds it: 0 when taken now, else the ms its holder has left. */
  claim(key: string, ttlMs: number): Promise<number>;
  /** Denylists a JWT id until `expSec` (its `exp`, seconds since the epoch). */
  deny(jti: string, expSec: number): Promise<void>;
  /** In-process stores answer at once (every Bearer request asks). */
  isDenied(jti: string): boolean | Promise<boolean>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
