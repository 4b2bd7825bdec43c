// The v1 JWT denylist on Redis without a look-up per Bearer request.
//
// Every denial is one script that sets the key and publishes the jti on a channel, atomically.
// Each instance subscribes to that channel on a connection of its own and keeps two local
// memories: ids it knows are denied (heard on the channel, its own, or found in Redis), and ids
// Redis said were not denied while the current subscription was live. A "not denied" answer is
// reused only after a PING on the subscription, sent after the request arrived, has come back:
// Redis delivers to a subscriber in order, so by then every denial Redis made before the request
// has reached this instance and moved its id to "denied". So a revocation anywhere is refused
// everywhere as exactly as with a look-up per request, at the cost of one PING per event-loop
// turn shared by all the requests of that turn. When the subscription is down nothing is reused
// and every check asks Redis; when Redis does not answer (stopped, frozen) the check fails
// closed (503). Denials are never undone, so "denied" needs no invalidation; both memories are
// bounded.
import { Redis, type RedisOptions } from 'ioredis';
import { redisCall } from './redis-errors.js';

/** Sets `KEYS[1]` until `ARGV[1]` (seconds) and publishes `ARGV[3]` on `ARGV[2]`, as one step. */
export const DENY_SCRIPT = `
redis.call('SET', KEYS[1], '1', 'EXAT', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`;

const MAX_ENTRIES = 100_000;

export class RedisDenylistMirror {
  readonly channel: string;
  private readonly sub: Redis;
  /** Moves whenever the subscription is (re)established or lost: older "not denied" answers are void. */
  private generation = 0;
  private subscribed = false;
  private readonly denied = new Map<string, true>();
  private readonly clear = new Map<string, number>();
  /** The PING of this event-loop turn, shared by every check made during it. */
  private pendingSync: Promise<number> | null = null;
  private closed = false;

  constructor(url: string, clientOptions: RedisOptions, readonly prefix: string, private readonly deadlineMs: number, onConnectionError: (err: Error) => void = () => {}) {
    this.channel = prefix + 'deny';
    this.sub = new Redis(url, { ...clientOptions, enableAutoPipelining: false, lazyConnect: true, autoResubscribe: false, connectionName: 'gatehouse-denylist' });
    this.sub.on('error', onConnectionError);
    this.sub.on('ready', () => void this.subscribe());
    for (const event of ['close', 'end', 'reconnecting']) this.sub.on(event, () => this.lost());
    this.sub.on('message', (channel: string, jti: string) => {
      if (channel === this.channel) this.markDenied(jti);
    });
  }

  /** Connects in the background; until subscribed, every check goes to Redis. */
  start(): void {
    this.sub.connect().catch(() => {
      // retried by the client's own reconnection; checks go to Redis meanwhile
    });
  }

  /** Heard on the channel, or this instance's own denial (counted before Redis answers). */
  markDenied(jti: string): void {
    this.clear.delete(jti);
    if (this.denied.size >= MAX_ENTRIES) this.denied.delete(this.denied.keys().next().value!);
    this.denied.set(jti, true);
  }

  isKnownDenied(jti: string): boolean {
    return this.denied.has(jti);
  }

  /** The generation a look-up starting now belongs to, or -1 while not subscribed. */
  ticket(): number {
    return this.subscribed ? this.generation : -1;
  }

  /** Redis said `jti` was not denied under `ticket`'s subscription. */
  wasClear(jti: string, ticket: number): boolean {
    return ticket >= 0 && this.clear.get(jti) === ticket;
  }

  /**
   * Resolves with the generation under which every denial Redis made before this call has been
   * heard (a PING sent after the current event-loop turn came back on the subscription), or -1
   * when the subscription changed meanwhile. Rejects with an outage when the PING fails or gets
   * no answer within the deadline.
   */
  synced(): Promise<number> {
    if (!this.pendingSync) {
      const generation = this.generation;
      this.pendingSync = new Promise((resolve, reject) => {
        setImmediate(() => {
          this.pendingSync = null;
          redisCall(() => this.sub.ping(), this.deadlineMs).then(() => resolve(this.subscribed && generation === this.generation ? generation : -1), reject);
        });
      });
    }
    return this.pendingSync;
  }

  /** What Redis answered for a look-up that started with `ticket`. */
  learned(jti: string, denied: boolean, ticket: number): void {
    if (denied) return this.markDenied(jti);
    if (ticket < 0 || ticket !== this.generation || !this.subscribed || this.denied.has(jti)) return;
    if (this.clear.size >= MAX_ENTRIES) this.clear.delete(this.clear.keys().next().value!);
    this.clear.set(jti, ticket);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lost();
    await this.sub.quit().catch(() => this.sub.disconnect());
  }

  private async subscribe(): Promise<void> {
    try {
      await this.sub.subscribe(this.channel);
    } catch {
      return; // the connection went again; the next 'ready' subscribes
    }
    if (this.closed || this.sub.status !== 'ready') return;
    // Whatever was denied while nobody listened is unknown: a new generation, nothing reused.
    this.generation++;
    this.clear.clear();
    this.subscribed = true;
  }

  private lost(): void {
    if (!this.subscribed && this.clear.size === 0) return;
    this.subscribed = false;
    this.generation++;
    this.clear.clear();
  }
}
