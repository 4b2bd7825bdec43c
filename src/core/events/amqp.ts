// Publishing the outbox to an AMQP 0-9-1 broker (events.md §4) with amqplib: a durable topic
// exchange, the event type as routing key, persistent messages, publisher confirms. A message
// leaves the outbox only once the broker confirmed it. While the broker is away the rows wait
// and this loop reconnects with growing pauses; nothing here ever blocks or fails a request.
import amqp from 'amqplib';
import type { ConfirmChannel } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Dialect } from '../../store/db.js';
import { redactUrl } from '../../config.js';
import { claimPublications } from './claims.js';
import type { EventMetrics } from './metrics.js';
import { type Clock, type EventLog, silentLog, systemClock } from './model.js';
import { BackgroundLoop } from './background-loop.js';

export type BrokerState = 'connecting' | 'up' | 'down' | 'stopped';

export interface BrokerStatus {
  state: BrokerState;
  /** When the state began (µs). */
  since: number;
  /** Why the last connection failed or broke (never the URL's password). */
  error: string | null;
}

export interface PublisherDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  url: string;
  exchange: string;
  legacyQueue: string | null;
  metrics?: EventMetrics;
  log?: EventLog;
  clock?: Clock;
}

export interface PublisherOptions {
  pollMs?: number;
  leaseMs?: number;
  batchSize?: number;
  confirmTimeoutMs?: number;
  connectTimeoutMs?: number;
  heartbeatSec?: number;
  /** First and longest pause between reconnection attempts (ms). */
  backoffMs?: { initial: number; max: number };
}

interface Row {
  id: string;
  target: string;
  body: string | null;
  event_id: string;
  type: string;
  event_body: string;
  occurred: number;
}

class ConfirmTimeout extends Error {}

export class AmqpPublisher extends BackgroundLoop {
  readonly owner = randomUUID();
  private readonly o: Required<PublisherOptions>;
  private readonly clock: Clock;
  private readonly log: EventLog;
  private state: BrokerStatus;
  private broken = false;

  constructor(private readonly d: PublisherDeps, options: PublisherOptions = {}) {
    super();
    this.o = {
      pollMs: options.pollMs ?? 500,
      leaseMs: options.leaseMs ?? 30_000,
      batchSize: options.batchSize ?? 100,
      confirmTimeoutMs: options.confirmTimeoutMs ?? 10_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      heartbeatSec: options.heartbeatSec ?? 10,
      backoffMs: options.backoffMs ?? { initial: 500, max: 30_000 },
    };
    this.clock = d.clock ?? systemClock;
    this.log = d.log ?? silentLog;
    this.state = { state: 'stopped', since: this.clock.now(), error: null };
  }

  /** For /readyz: reported, never a reason to answer 503. */
  status(): BrokerStatus {
    return { ...this.state };
  }

  /** Finishes the batch awaiting confirms, gives back what is unconfirmed, closes the connection. */
  async stop(): Promise<void> {
    if (await this.endLoop()) this.setState('stopped', null);
  }

  private setState(state: BrokerState, error: string | null): void {
    if (this.state.state !== state) this.state = { state, since: this.clock.now(), error };
    else this.state.error = error ?? this.state.error;
  }

  private connectUrl(): string {
    const u = new URL(this.d.url);
    if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(this.o.heartbeatSec));
    return u.toString();
  }

  protected async loop(): Promise<void> {
    let pause = this.o.backoffMs.initial;
    while (!this.stopping) {
      let conn: amqp.ChannelModel | null = null;
      this.broken = false;
      try {
        this.setState('connecting', null);
        conn = await amqp.connect(this.connectUrl(), { timeout: this.o.connectTimeoutMs });
        const lost = (err?: Error) => {
          if (this.broken) return;
          this.broken = true;
          if (err) this.setState('down', err.message);
          this.wake();
        };
        conn.on('error', lost);
        conn.on('close', lost);
        const ch = await conn.createConfirmChannel();
        ch.on('error', lost);
        ch.on('close', () => lost());
        await ch.assertExchange(this.d.exchange, 'topic', { durable: true });
        if (this.d.legacyQueue) await ch.assertQueue(this.d.legacyQueue, { durable: true });
        this.setState('up', null);
        this.log.info({ exchange: this.d.exchange }, 'amqp publisher connected');
        pause = this.o.backoffMs.initial;
        let dbFailures = 0;
        while (!this.stopping && !this.broken) {
          let sent: number;
          try {
            sent = await this.publishBatch(ch);
            dbFailures = 0;
          } catch (err) {
            if (err instanceof ConfirmTimeout || this.broken) throw err;
            // The database, not the broker, failed: keep the connection and look again later.
            if (dbFailures === 0) this.log.error({ err }, 'amqp publisher: reading the outbox failed');
            dbFailures += 1;
            await this.sleeper.sleep(Math.min(this.o.pollMs * 2 ** dbFailures, 5_000), false);
            continue;
          }
          if (sent === 0) await this.sleeper.sleep(this.o.pollMs);
        }
        if (this.broken && !this.stopping) throw new Error(this.state.error ?? 'connection closed');
      } catch (err) {
        const message = redactUrl((err as Error)?.message ?? String(err));
        this.setState('down', message);
        this.log.warn({ error: message }, 'amqp publisher: broker unavailable, will retry');
      } finally {
        this.broken = true;
        await this.releaseClaims();
        if (conn) await conn.close().catch(() => {});
      }
      if (this.stopping) break;
      await this.sleeper.sleep(pause * (0.8 + 0.4 * Math.random()), false);
      pause = Math.min(pause * 2, this.o.backoffMs.max);
    }
  }

  /** Publishes one batch and waits for the broker's confirms; how many rows it handled. */
  private async publishBatch(ch: ConfirmChannel): Promise<number> {
    const now = this.clock.now();
    const ids = await claimPublications(this.d.db, this.d.dialect, { owner: this.owner, now, leaseUntil: now + this.o.leaseMs * 1000, limit: this.o.batchSize });
    if (ids.length === 0) return 0;
    const rows: Row[] = await this.d.db
      .selectFrom('event_publications as p')
      .innerJoin('events as e', 'e.id', 'p.event_id')
      .select(['p.id', 'p.target', 'p.body', 'e.id as event_id', 'e.type', 'e.body as event_body', 'e.occurred'])
      .where('p.id', 'in', ids)
      .where('p.lease_owner', '=', this.owner)
      .orderBy('p.event_id')
      .execute();
    const confirms = rows.map((row) => this.publishOne(ch, row));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new ConfirmTimeout('no confirm from the broker in time')), this.o.confirmTimeoutMs)));
    let results: boolean[];
    try {
      results = await Promise.race([Promise.all(confirms), deadline]);
    } finally {
      clearTimeout(timer);
    }
    const confirmed = rows.filter((_, i) => results[i]).map((r) => r.id);
    const refused = rows.filter((_, i) => !results[i]).map((r) => r.id);
    if (confirmed.length) {
      await this.d.db.deleteFrom('event_publications').where('id', 'in', confirmed).where('lease_owner', '=', this.owner).execute();
      this.d.metrics?.amqpPublished.inc(confirmed.length);
    }
    if (refused.length) {
      await this.d.db.updateTable('event_publications').set({ lease_owner: null, lease_until: null, last_error: 'refused by the broker (nack)' }).where('id', 'in', refused).where('lease_owner', '=', this.owner).execute();
      // A broker that refuses (a full queue, an alarm) is not asked again at once.
      await this.sleeper.sleep(this.o.pollMs, false);
    }
    return rows.length;
  }

  /** Resolves true once the broker confirmed the message, false when it refused it. */
  private publishOne(ch: ConfirmChannel, row: Row): Promise<boolean> {
    return new Promise((resolve) => {
      const props = { persistent: true, messageId: row.event_id, timestamp: Math.floor(row.occurred / 1_000_000) };
      const done = (err: unknown) => resolve(!err);
      try {
        if (row.target === 'legacy') {
          if (!this.d.legacyQueue) return resolve(true); // no longer configured: nothing is owed
          ch.sendToQueue(this.d.legacyQueue, Buffer.from(row.body ?? '', 'utf8'), { ...props, contentType: 'user.created' }, done);
        } else {
          ch.publish(this.d.exchange, row.type, Buffer.from(row.event_body, 'utf8'), { ...props, contentType: 'application/json' }, done);
        }
      } catch {
        resolve(false); // the channel closed under us; the loop reconnects
      }
    });
  }

  /** After a broken connection nothing in flight is known to be published: all of it goes again. */
  private async releaseClaims(): Promise<void> {
    try {
      await this.d.db.updateTable('event_publications').set({ lease_owner: null, lease_until: null }).where('lease_owner', '=', this.owner).execute();
    } catch (err) {
      this.log.warn({ err }, 'amqp publisher: could not release claims (they lapse on their own)');
    }
  }
}
