// Request throttling over the shared sliding windows of kv (v1.md §1.7). Surfaces pick the
// bucket and the key (client IP or user) and word the refusal themselves.
import type { Rate } from '../config.js';
import type { Kv } from '../kv/kv.js';

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSec: number };

const ALLOWED: ThrottleVerdict = { allowed: true };

export class Throttle {
  constructor(private readonly kv: Kv) {}

  /**
   * Records a request in `scope`/`key` unless its window is full; `rate` null means off, answered
   * at once (not through a promise: with throttling off, every request still asks).
   */
  check(scope: string, key: string, rate: Rate | null): ThrottleVerdict | Promise<ThrottleVerdict> {
    if (rate === null) return ALLOWED;
    return this.hit(`${scope}:${key}`, rate);
  }

  private async hit(bucket: string, rate: Rate): Promise<ThrottleVerdict> {
    const r = await this.kv.hit(bucket, rate.limit, rate.periodMs);
    if (r.allowed) return { allowed: true };
    return { allowed: false, retryAfterSec: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
  }
}

/** DRF's wording: "…Expected available in 1 second." / "…in N seconds." */
export function throttleMessage(retryAfterSec: number): string {
  return `Request was throttled. Expected available in ${retryAfterSec} second${retryAfterSec === 1 ? '' : 's'}.`;
}
