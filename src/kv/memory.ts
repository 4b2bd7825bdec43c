import type { HitResult, Kv } from './kv.js';

/** One process's state. Expired entries are swept once a minute so memory stays bounded. */
export class MemoryKv implements Kv {
  readonly kind = 'memory' as const;
  private readonly windows = new Map<string, { hits: number[]; windowMs: number }>();
  private readonly claims = new Map<string, number>(); // key -> until (ms)
  private readonly denied = new Map<string, number>(); // jti -> exp (s)
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly now: () => number = Date.now) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async hit(key: string, limit: number, windowMs: number): Promise<HitResult> {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w) {
      w = { hits: [], windowMs };
      this.windows.set(key, w);
    }
    w.windowMs = windowMs;
    const from = now - windowMs;
    let drop = 0;
    while (drop < w.hits.length && w.hits[drop] <= from) drop++;
    if (drop) w.hits.splice(0, drop);
    if (w.hits.length >= limit) return { allowed: false, retryAfterMs: w.hits[0] + windowMs - now };
    w.hits.push(now);
    return { allowed: true, retryAfterMs: 0 };
  }

  async resetHits(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async claim(key: string, ttlMs: number): Promise<number> {
    const now = this.now();
    const until = this.claims.get(key);
    if (until !== undefined && until > now) return until - now;
    this.claims.set(key, now + ttlMs);
    return 0;
  }

  async deny(jti: string, expSec: number): Promise<void> {
    if (expSec * 1000 > this.now()) this.denied.set(jti, expSec);
  }

  isDenied(jti: string): boolean {
    const exp = this.denied.get(jti);
    return exp !== undefined && exp * 1000 > this.now();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = this.now();
    for (const [k, w] of this.windows) if (!w.hits.length || w.hits[w.hits.length - 1] <= now - w.windowMs) this.windows.delete(k);
    for (const [k, until] of this.claims) if (until <= now) this.claims.delete(k);
    for (const [k, exp] of this.denied) if (exp * 1000 <= now) this.denied.delete(k);
  }
}
