// Migration 011: the claim picks, per endpoint, the oldest due delivery by (event_id, created).
// (endpoint_id, status, event_id) gave the order only up to event_id, and PostgreSQL then
// preferred walking the event_id index across every endpoint's deliveries (filtering out
// thousands of rows per endpoint, on each claim). With `created` in the index the whole order
// comes from one range of it, on both databases; the shorter index it extends goes.
import type { Kysely, Migration } from 'kysely';

export const m011_webhook_claim_order = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex('webhook_deliveries_claim_order').on('webhook_deliveries').columns(['endpoint_id', 'status', 'event_id', 'created']).execute();
    await db.schema.dropIndex('webhook_deliveries_endpoint').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'status', 'event_id']).execute();
    await db.schema.dropIndex('webhook_deliveries_claim_order').execute();
  },
});
