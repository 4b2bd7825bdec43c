// Events (events.md): one object that builds the outbox, the admin's endpoint API, the delivery
// worker, the AMQP publisher (when AMQP_URL is set), the retention sweep and the metrics from
// explicit dependencies, and starts and stops the background parts with the app.
//
//   const events = new Events({ db, dialect, secrets, audit, config, registry: metrics.registry, log });
//   events.start();                                   // after the app is built
//   await events.stop();                              // on close, before the database closes
//   await db.transaction().execute(async (trx) => {   // inside a core action
//     ...the change...
//     await events.outbox.record(trx, { type: 'user.created', user, surface: 'v1' });
//   });
import { createRequire } from 'node:module';
import type { Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Dialect } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import type { Audit } from '../audit.js';
import type { SecretKeys } from '../secrets.js';
import { AddressGuard, type Resolver, systemResolver } from './address-guard.js';
import { AmqpPublisher, type BrokerStatus, type PublisherOptions } from './amqp.js';
import { WebhookEndpoints } from './endpoints.js';
import { type DeliveryResult, EventMetrics } from './metrics.js';
import { type Clock, type EventLog, silentLog, systemClock } from './model.js';
import { Outbox } from './outbox.js';
import { type ReplayRequest, type ReplayResult, replay } from './replay.js';
import { type SweepResult, sweep } from './retention.js';
import { DeliveryThreadHost } from './delivery-thread-host.js';
import { type DeliveryRunner, DeliveryWorker, type WorkerOptions } from './worker.js';

export type EventsConfig = Pick<Config, 'webhookAllowHttp' | 'webhookAllowPrivate' | 'eventRetentionDays' | 'amqpUrl' | 'amqpExchange' | 'amqpLegacyQueue'>;

export interface EventsDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  secrets: SecretKeys;
  audit: Audit;
  config: EventsConfig;
  /** The app's prom-client registry (Metrics.registry); no metrics without one. */
  registry?: Registry;
  log?: EventLog;
  /**
   * Deliver in a thread of its own, on a connection to this database (`databaseUrl`: a SQLite
   * file or a PostgreSQL server). Without it (an in-memory database, the core's tests), or with
   * a clock, resolver or random seam (which cannot cross into a thread), the worker runs in
   * this process.
   */
  thread?: { databaseUrl: string; secretKey: string; timeoutMs: number | null };
  /** Seams for tests: time, DNS, and the worker's and publisher's pacing. */
  clock?: Clock;
  resolver?: Resolver;
  worker?: WorkerOptions;
  publisher?: PublisherOptions;
  /** Pause between retention sweeps (ms); the first runs a minute after start. */
  sweepEveryMs?: number;
  /** In the webhook user-agent; the package version by default. */
  version?: string;
}

function packageVersion(): string {
  try {
    // src/core/events and dist/core/events are both three levels below the package root.
    return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export class Events {
  readonly outbox: Outbox;
  readonly endpoints: WebhookEndpoints;
  readonly worker: DeliveryRunner;
  readonly publisher: AmqpPublisher | null;
  readonly metrics: EventMetrics | null;
  private readonly clock: Clock;
  private readonly log: EventLog;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly d: EventsDeps) {
    this.clock = d.clock ?? systemClock;
    this.log = d.log ?? silentLog;
    this.metrics = d.registry ? new EventMetrics(d.registry, () => this.pendingCount()) : null;
    const amqp = d.config.amqpUrl !== null;
    this.outbox = new Outbox({
      dialect: d.dialect,
      clock: this.clock,
      amqp: { enabled: amqp, legacyQueue: amqp && d.config.amqpLegacyQueue !== null },
      countEvent: this.metrics ? (type) => this.metrics!.events.inc({ type }) : undefined,
    });
    const guard = new AddressGuard(d.config.webhookAllowPrivate, d.resolver ?? systemResolver);
    this.endpoints = new WebhookEndpoints({ db: d.db, secrets: d.secrets, audit: d.audit, guard, outbox: this.outbox, allowHttp: d.config.webhookAllowHttp, clock: this.clock });
    const version = d.version ?? packageVersion();
    const onResult = this.metrics ? (result: DeliveryResult) => this.metrics!.deliveries.inc({ result }) : undefined;
    const { random, ...threadOptions } = d.worker ?? {};
    this.worker =
      d.thread && !d.clock && !d.resolver && !random
        ? new DeliveryThreadHost({
            db: d.db,
            data: { ...d.thread, allowPrivate: d.config.webhookAllowPrivate, version, options: threadOptions },
            onResult,
            log: this.log,
          })
        : new DeliveryWorker({ db: d.db, dialect: d.dialect, secrets: d.secrets, audit: d.audit, guard, version, onResult, log: this.log, clock: this.clock }, d.worker);
    this.publisher = amqp
      ? new AmqpPublisher(
          { db: d.db, dialect: d.dialect, url: d.config.amqpUrl!, exchange: d.config.amqpExchange, legacyQueue: d.config.amqpLegacyQueue, metrics: this.metrics ?? undefined, log: this.log, clock: this.clock },
          d.publisher,
        )
      : null;
  }

  /** Starts delivering, publishing and sweeping in the background. */
  start(): void {
    this.unsubscribe ??= this.outbox.onRecorded(() => {
      this.worker.wake();
      this.publisher?.wake();
    });
    this.worker.start();
    this.publisher?.start();
    if (!this.sweepTimer) this.scheduleSweep(60_000);
  }

  /** Stops claiming; in-flight work finishes or is handed back. Call before the database closes. */
  async stop(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    await Promise.all([this.worker.stop(), this.publisher?.stop(), this.sweeping?.catch(() => {})]);
  }

  /** For /readyz: null when no broker is configured. Reported only; never makes the service unready. */
  brokerStatus(): BrokerStatus | null {
    return this.publisher?.status() ?? null;
  }

  /** Removes what is past retention (events.md §3). Runs on its own every hour once started. */
  sweep(): Promise<SweepResult> {
    return sweep(this.d.db, this.clock.now(), this.d.config.eventRetentionDays);
  }

  /** Schedules kept events again (events.md §5, `gatehouse events replay`). */
  async replay(req: ReplayRequest): Promise<ReplayResult> {
    const r = await replay(this.d.db, req, { now: this.clock.now(), amqp: this.publisher !== null });
    if (r.ok) this.outbox.notify();
    return r;
  }

  /** Pending deliveries plus messages not yet confirmed by the broker (gatehouse_outbox_pending). */
  async pendingCount(): Promise<number> {
    const [d] = await this.d.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').execute();
    const [p] = await this.d.db.selectFrom('event_publications').select((eb) => eb.fn.countAll<number>().as('n')).execute();
    return Number(d.n) + Number(p.n);
  }

  private scheduleSweep(delayMs: number): void {
    this.sweepTimer = setTimeout(() => {
      this.sweeping = this.sweep()
        .then((r) => {
          if (r.deliveries || r.events || r.publications) this.log.info({ ...r }, 'event retention sweep');
        })
        .catch((err) => this.log.error({ err }, 'event retention sweep failed'))
        .finally(() => {
          this.sweeping = null;
          if (this.sweepTimer) this.scheduleSweep(this.d.sweepEveryMs ?? 3_600_000);
        });
    }, delayMs);
    this.sweepTimer.unref();
  }
}

/**
 * An outbox for a process that records events but does not deliver them (the command line:
 * createsuperuser, import-users): the running service's worker and publisher pick the rows up.
 * Its settings must be the service's, so the broker is owed what the service would owe it.
 */
export function commandLineOutbox(dialect: Dialect, config: Pick<EventsConfig, 'amqpUrl'>): Outbox {
  return new Outbox({ dialect, amqp: { enabled: config.amqpUrl !== null, legacyQueue: false } });
}

export { Outbox };
export { AddressGuard, ADDRESS_NOT_ALLOWED, type Resolver } from './address-guard.js';
export type { BrokerState, BrokerStatus } from './amqp.js';
export type { ActedBy, CreateResult, DeliveriesResult, EndpointObject, Page, UpdateResult } from './endpoints.js';
export type { FieldErrors } from './endpoint-input.js';
export { EVENT_TYPES, TEST_EVENT_TYPE, type EventInput, type EventType, type UserSnapshot, userSnapshot } from './model.js';
export type { RecordOptions, RecordedEvent } from './outbox.js';
export type { DeliveryObject, DeliveryStatus } from './rows.js';
export type { ReplayRequest, ReplayResult } from './replay.js';
export type { SweepResult } from './retention.js';
