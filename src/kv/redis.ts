import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { HitResult, Kv } from './kv.js';
import { DENY_SCRIPT, RedisDenylistMirror } from './redis-denylist.js';
import { REDIS_DEADLINE_MS, redisCall } from './redis-errors.js';

// The window is pruned, counted and extended in one script so concurrent instances can't
// both take the last slot. Redis's own clock is used so instances need not agree on time.
const HIT_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
`;

const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'NX') then return 0 end
local left = redis.call('PTTL', KEYS[1])
if left < 1 then return 1 end
return left
`;

export interface RedisOptions {
  /** A command without an answer after this long fails, as does connecting (v1.md §0.13: 2 s). */
  timeoutMs?: number;
  /** Told about connection failures; the client reconnects on its own, forever. */
  onConnectionError?: (err: Error) => void;
}

/** Reconnection delays: quick at first, then every 2 s until Redis is back. */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 2000);
}

/**
 * The Redis client options of every instance. Commands never wait for a connection: while it is
 * down they fail at once (no offline queue), and a command that gets no answer (a frozen
 * server) fails after the deadline, so a request answers 503 instead of hanging.
 */
function redisClientOptions(timeoutMs: number) {
  return {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    enableAutoPipelining: true,
  };
}

export class RedisKv implements Kv {
  readonly kind = 'redis' as const;

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    /** Each call's deadline: no answer by then is an outage. */
    readonly deadlineMs = REDIS_DEADLINE_MS,
    /** The denylist's local mirror (redis-denylist.ts); without it every check asks Redis. */
    private readonly mirror: RedisDenylistMirror | null = null,
  ) {
    redis.defineCommand('ghHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    redis.defineCommand('ghClaim', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
    redis.defineCommand('ghDeny', { numberOfKeys: 1, lua: DENY_SCRIPT });
  }

  /**
   * Connects eagerly so a wrong REDIS_URL stops the start instead of failing every request. Once
   * started, a lost connection is re-established in the background, forever.
   */
  static async connect(url: string, prefix: string, options: RedisOptions = {}): Promise<RedisKv> {
    const timeoutMs = options.timeoutMs ?? REDIS_DEADLINE_MS;
    const redis = new Redis(url, { lazyConnect: true, ...redisClientOptions(timeoutMs) });
    // Without a listener an 'error' event would end the process; failures surface on commands and /readyz.
    redis.on('error', options.onConnectionError ?? (() => {}));
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect(); // stop the background reconnection of a client nobody will use
      throw err;
    }
    const mirror = new RedisDenylistMirror(url, redisClientOptions(timeoutMs), prefix, timeoutMs, options.onConnectionError);
    mirror.start();
    return new RedisKv(redis, prefix, timeoutMs, mirror);
  }

  async hit(key: string, limit: number, windowMs: number): Promise<HitResult> {
    const member = randomBytes(8).toString('hex');
    const [ok, wait] = (await redisCall(() => (this.redis as any).ghHit(this.prefix + 'hit:' + key, windowMs, limit, member), this.deadlineMs)) as [number, number];
    return { allowed: ok === 1, retryAfterMs: Number(wait) };
  }

  async resetHits(key: string): Promise<void> {
    await redisCall(() => this.redis.del(this.prefix + 'hit:' + key), this.deadlineMs);
  }

  async claim(key: string, ttlMs: number): Promise<number> {
    return Number(await redisCall(() => (this.redis as any).ghClaim(this.prefix + 'claim:' + key, Math.max(1, Math.ceil(ttlMs))), this.deadlineMs));
  }

  async deny(jti: string, expSec: number): Promise<void> {
    if (expSec * 1000 <= Date.now()) return;
    this.mirror?.markDenied(jti);
    const channel = this.mirror?.channel ?? this.prefix + 'deny';
    await redisCall(() => (this.redis as any).ghDeny(this.prefix + 'deny:' + jti, expSec, channel, jti), this.deadlineMs);
  }

  async isDenied(jti: string): Promise<boolean> {
    const m = this.mirror;
    if (m) {
      if (m.isKnownDenied(jti)) return true;
      const ticket = m.ticket();
      // Known clear under the live subscription: once it has caught up with Redis, the local
      // answer is Redis's answer (redis-denylist.ts).
      if (m.wasClear(jti, ticket) && (await m.synced()) === ticket) return m.isKnownDenied(jti);
    }
    const ticket = m?.ticket() ?? -1;
    const denied = (await redisCall(() => this.redis.exists(this.prefix + 'deny:' + jti), this.deadlineMs)) === 1;
    m?.learned(jti, denied, ticket);
    return denied;
  }

  async ping(): Promise<void> {
    await redisCall(() => this.redis.ping(), this.deadlineMs);
  }

  async close(): Promise<void> {
    await this.mirror?.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
