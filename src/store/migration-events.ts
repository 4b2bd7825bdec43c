// 006_events: the transactional outbox (events.md). Events, webhook endpoints, one delivery
// row per (endpoint, event) with its retry state and claim lease, and one publication row per
// message still owed to the broker.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './db.js';

export const m006_events = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>) {
    const big = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema
      .createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('occurred', big, (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_occurred').on('events').columns(['occurred']).execute();

    await db.schema
      .createTable('webhook_endpoints')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('events', 'text', (c) => c.notNull())
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('secret', 'text', (c) => c.notNull())
      .addColumn('previous_secret', 'text')
      .addColumn('previous_secret_until', big)
      .addColumn('failing_since', big)
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('updated', big, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('webhook_endpoints_created').on('webhook_endpoints').columns(['created', 'id']).execute();

    await db.schema
      .createTable('webhook_deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
      .addColumn('event_id', 'text', (c) => c.notNull().references('events.id').onDelete('cascade'))
      .addColumn('event_type', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', big)
      .addColumn('last_status_code', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('last_response', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', big)
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('updated', big, (c) => c.notNull())
      .execute();
    // The worker's scans: what is due, and per endpoint the oldest due and what is in flight.
    await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'status', 'event_id']).execute();
    // The admin's list (newest first), retention and replay.
    await db.schema.createIndex('webhook_deliveries_list').on('webhook_deliveries').columns(['endpoint_id', 'created']).execute();
    await db.schema.createIndex('webhook_deliveries_event').on('webhook_deliveries').columns(['event_id']).execute();
    await db.schema.createIndex('webhook_deliveries_settled').on('webhook_deliveries').columns(['status', 'updated']).execute();

    await db.schema
      .createTable('event_publications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('event_id', 'text', (c) => c.notNull().references('events.id').onDelete('cascade'))
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('body', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', big)
      .addColumn('created', big, (c) => c.notNull())
      .addUniqueConstraint('event_publications_once', ['event_id', 'target'])
      .execute();
    await db.schema.createIndex('event_publications_created').on('event_publications').columns(['created']).execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['event_publications', 'webhook_deliveries', 'webhook_endpoints', 'events']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
});
