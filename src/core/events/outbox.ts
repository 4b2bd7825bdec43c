// The transactional outbox (events.md §1, DESIGN "Events come from core actions"). A core
// action calls `record(trx, event)` inside its own transaction: the event, one pending
// delivery per enabled endpoint subscribed to its type (or to `*`) and, when a broker is
// configured, its publication are written through that transaction, so a change that rolls
// back leaves no event, and one that commits cannot lose it. Nothing is sent here: the
// delivery worker and the publisher pick the rows up in the background.
import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { Database, EventPublicationsTable } from '../../store/schema.js';
import { type Dialect, precompiled, precompiledInsert } from '../../store/db.js';
import { EventIds } from './ids.js';
import { type Clock, type EventInput, TEST_EVENT_TYPE, envelopeBody, eventData, systemClock } from './model.js';
import { newDelivery, subscribes } from './rows.js';

/** Rows per INSERT in `recordMany`: 14 columns × 200 stays far below both databases' parameter limits. */
const MANY_CHUNK = 200;

export interface OutboxOptions {
  dialect: Dialect;
  clock?: Clock;
  /** Whether publications are owed to the broker (AMQP_URL) and to the legacy queue (AMQP_LEGACY_QUEUE). */
  amqp: { enabled: boolean; legacyQueue: boolean };
  /** Counts recorded events by type (gatehouse_events_total). */
  countEvent?: (type: string) => void;
}

export interface RecordOptions {
  /**
   * Seed 001 compatibility (events.md §4): the 201 body of `/api/user/register`, published as
   * it is to AMQP_LEGACY_QUEUE. Only meaningful with a `user.created` event; ignored when no
   * legacy queue is configured.
   */
  legacy?: unknown;
}

export interface RecordedEvent {
  id: string;
  type: string;
  occurred: number;
  /** Webhook deliveries scheduled for it. */
  deliveries: number;
}

/** The enabled endpoints, whose subscriptions an event is matched against. */
function subscribersQuery(db: Kysely<Database>, dialect: Dialect) {
  const q = db.selectFrom('webhook_endpoints').select(['id', 'events']).where('enabled', '=', 1);
  // PostgreSQL: KEY SHARE keeps an endpoint from being deleted before this transaction ends,
  // so its deliveries' foreign keys hold and the caller's change never fails for a webhook.
  return dialect === 'postgres' ? q.forKeyShare() : q;
}

export class Outbox {
  private readonly ids = new EventIds();
  private readonly clock: Clock;
  private readonly listeners = new Set<() => void>();
  // Every recorded event runs these two (a login among them): compiled once, on first use,
  // through whichever handle comes first (every handle of one store compiles alike).
  private insertEventRow?: ReturnType<typeof precompiledInsert<'events'>>;
  private subscribers?: ReturnType<typeof precompiled<{ id: string; events: string }>>;

  constructor(private readonly o: OutboxOptions) {
    this.clock = o.clock ?? systemClock;
  }

  /**
   * Records one event through `db`, which should be the caller's transaction (given the root
   * handle, it opens one of its own). Returns once the rows are written, not delivered. Throws
   * only what the database throws, which the caller's transaction then rolls back with the
   * change.
   */
  async record(db: Kysely<Database>, event: EventInput, options: RecordOptions = {}): Promise<RecordedEvent> {
    if (!db.isTransaction) return db.transaction().execute((trx) => this.record(trx, event, options));
    const recorded = await this.insertEvent(db, event.type, eventData(event));
    this.subscribers ??= precompiled(subscribersQuery(db, this.o.dialect));
    const endpoints = await this.subscribers(db, [1]);
    const targets = endpoints.filter((e) => subscribes(e.events, event.type));
    if (targets.length) {
      await db.insertInto('webhook_deliveries').values(targets.map((e) => newDelivery(e.id, recorded.id, event.type, recorded.occurred))).execute();
    }
    const publications: Insertable<EventPublicationsTable>[] = [];
    if (this.o.amqp.enabled) publications.push(publication(recorded.id, 'exchange', null, recorded.occurred));
    if (this.o.amqp.legacyQueue && options.legacy !== undefined && event.type === 'user.created') {
      publications.push(publication(recorded.id, 'legacy', JSON.stringify(options.legacy), recorded.occurred));
    }
    if (publications.length) await db.insertInto('event_publications').values(publications).execute();
    this.o.countEvent?.(event.type);
    // Nothing owed to anyone (no subscribed endpoint, no broker): no one to wake. A login with
    // no webhooks configured would otherwise cost the worker a look at the database each time.
    if (targets.length || publications.length) this.notifySoon();
    return { ...recorded, deliveries: targets.length };
  }

  /**
   * Records many events with few statements (the importer's batches): the same rows as
   * `record` for each, in order. `db` must be inside the caller's transaction (a Kysely
   * transaction, or a connection the caller has begun one on); legacy messages are never owed.
   */
  async recordMany(db: Kysely<Database>, events: readonly EventInput[]): Promise<number> {
    if (events.length === 0) return 0;
    const endpoints = await subscribersQuery(db, this.o.dialect).execute();
    const rows = events.map((event) => {
      const occurred = this.clock.now();
      return { id: this.ids.next(occurred / 1000), type: event.type, occurred, body: envelopeBody(event.type, occurred, eventData(event)) };
    });
    const deliveries = rows.flatMap((r) => endpoints.filter((e) => subscribes(e.events, r.type)).map((e) => newDelivery(e.id, r.id, r.type, r.occurred)));
    const publications = this.o.amqp.enabled ? rows.map((r) => publication(r.id, 'exchange', null, r.occurred)) : [];
    for (let i = 0; i < rows.length; i += MANY_CHUNK) await db.insertInto('events').values(rows.slice(i, i + MANY_CHUNK)).execute();
    for (let i = 0; i < deliveries.length; i += MANY_CHUNK) await db.insertInto('webhook_deliveries').values(deliveries.slice(i, i + MANY_CHUNK)).execute();
    for (let i = 0; i < publications.length; i += MANY_CHUNK) await db.insertInto('event_publications').values(publications.slice(i, i + MANY_CHUNK)).execute();
    for (const r of rows) this.o.countEvent?.(r.type);
    if (deliveries.length || publications.length) this.notifySoon();
    return rows.length;
  }

  /** A `webhook.test` event for one endpoint only (admin "test"): never published, never fanned out. */
  async recordTest(db: Kysely<Database>, endpointId: string): Promise<RecordedEvent> {
    const recorded = await this.insertEvent(db, TEST_EVENT_TYPE, {});
    await db.insertInto('webhook_deliveries').values(newDelivery(endpointId, recorded.id, TEST_EVENT_TYPE, recorded.occurred)).execute();
    this.notifySoon();
    return { ...recorded, deliveries: 1 };
  }

  /** Called when something was recorded or rescheduled, so the background parts look at once. */
  onRecorded(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Wakes the worker and the publisher. `record` does it itself; a listener that runs before
   * the caller's transaction committed finds nothing and the next poll (well under a second)
   * picks the rows up.
   */
  notify(): void {
    for (const l of this.listeners) l();
  }

  private notifySoon(): void {
    if (this.listeners.size) setImmediate(() => this.notify());
  }

  private async insertEvent(db: Kysely<Database>, type: string, data: Record<string, unknown>): Promise<Omit<RecordedEvent, 'deliveries'>> {
    const occurred = this.clock.now();
    const id = this.ids.next(occurred / 1000);
    this.insertEventRow ??= precompiledInsert(db, 'events', ['id', 'type', 'occurred', 'body']);
    await this.insertEventRow(db, { id, type, occurred, body: envelopeBody(type, occurred, data) });
    return { id, type, occurred };
  }
}

function publication(eventId: string, target: 'exchange' | 'legacy', body: string | null, now: number): Insertable<EventPublicationsTable> {
  return { id: randomUUID(), event_id: eventId, target, body, attempts: 0, last_error: null, lease_owner: null, lease_until: null, created: now };
}
