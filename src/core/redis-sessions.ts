// The shared `sessionid` sessions in Redis (v1.md §0.4, when REDIS_URL is set): one hash per
// session under the digest of its key, expiring with its longest slot, and one set per user
// of the sessions whose login slot points at them, so revocation can find them. Every key
// starts with the deployment's REDIS_PREFIX; an outage raises ServiceUnavailable('redis').
import type { Redis } from 'ioredis';
import { type Session, type SessionSlots, SessionStoreBase, hasSlots, liveSlots, sealStep, sessionEnd, unsealStep } from './browser-sessions.js';
import { sha256Hex } from './secrets.js';
import { nowMicros } from './time.js';
import { redisCall } from '../kv/redis-errors.js';

type Fields = Record<string, string>;

/** `key`: the cookie value, which seals the pending second step (browser-sessions.ts). */
function toFields(s: SessionSlots, key: string): Fields {
  const f: Fields = {};
  if (s.mfaToken != null && s.mfaExpires != null) {
    f.mfa_step = sealStep(key, s.mfaToken);
    f.mfa_expires = String(s.mfaExpires);
  }
  if (s.loginUser !== null && s.loginExpires !== null) {
    f.login_user = String(s.loginUser);
    f.login_expires = String(s.loginExpires);
  }
  if (s.refreshJti !== null && s.refreshExpires !== null) {
    f.refresh_jti = s.refreshJti;
    f.refresh_expires = String(s.refreshExpires);
  }
  return f;
}

/** The slots as stored; `mfaToken` is still sealed (load() opens it with the cookie value). */
function fromFields(f: Fields): SessionSlots {
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  return {
    loginUser: num(f.login_user), loginExpires: num(f.login_expires), refreshJti: f.refresh_jti ?? null, refreshExpires: num(f.refresh_expires),
    mfaToken: f.mfa_step ?? null, mfaExpires: num(f.mfa_expires),
  };
}

export class RedisSessions extends SessionStoreBase {
  constructor(private readonly redis: Redis, private readonly prefix: string) {
    super();
  }

  private keyOf(digest: string): string {
    return `${this.prefix}sess:${digest}`;
  }

  private userSet(userNumber: number): string {
    return `${this.prefix}sess-user:${userNumber}`;
  }

  async load(key: string | undefined): Promise<Session | null> {
    if (!key || key.length > 200) return null;
    const fields = await redisCall(() => this.redis.hgetall(this.keyOf(sha256Hex(key))));
    const stored = fromFields(fields);
    const slots = liveSlots({ ...stored, mfaToken: stored.mfaToken ? unsealStep(key, stored.mfaToken) : null });
    if (!hasSlots(slots)) return null; // Redis expires the hash itself
    return { key, ...slots };
  }

  async save(key: string, slots: SessionSlots): Promise<void> {
    const digest = sha256Hex(key);
    const redisKey = this.keyOf(digest);
    if (!hasSlots(slots)) {
      await redisCall(() => this.redis.del(redisKey));
      return;
    }
    const expiresMs = Math.ceil(sessionEnd(slots) / 1000);
    const tx = this.redis.multi().del(redisKey).hset(redisKey, toFields(slots, key)).pexpireat(redisKey, expiresMs);
    if (slots.loginUser !== null) {
      const set = this.userSet(slots.loginUser);
      // Only an index: stale members are skipped when read, and the set outlives any slot.
      tx.sadd(set, digest).pexpire(set, 15 * 86_400_000);
    }
    await redisCall(() => tx.exec());
  }

  async destroy(key: string): Promise<void> {
    await redisCall(() => this.redis.del(this.keyOf(sha256Hex(key))));
  }

  async endLoginSlotsOf(userNumber: number): Promise<void> {
    const set = this.userSet(userNumber);
    const digests = await redisCall(() => this.redis.smembers(set));
    for (const digest of digests) {
      const redisKey = this.keyOf(digest);
      const fields = await redisCall(() => this.redis.hgetall(redisKey));
      if (fields.login_user !== String(userNumber)) continue;
      const rest = liveSlots({ ...fromFields(fields), loginUser: null, loginExpires: null }, nowMicros());
      if (hasSlots(rest)) await redisCall(() => this.redis.hdel(redisKey, 'login_user', 'login_expires'));
      else await redisCall(() => this.redis.del(redisKey));
    }
    await redisCall(() => this.redis.del(set));
  }

  /** Redis expires sessions itself. */
  async sweep(): Promise<number> {
    return 0;
  }
}
