// Migration 010: the delivery worker's claim asks, per endpoint, whether a delivery is in flight
// (`status = 'pending' and lease_until > now`). With only (endpoint_id, status, event_id) indexed
// that walked every pending delivery of the endpoint, on every claim: with a backlog of
// thousands per endpoint, each claim read tens of thousands of rows (on SQLite, on the event
// loop). This index answers it with one range look-up.
import type { Kysely, Migration } from 'kysely';

export const m010_webhook_lease_index = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex('webhook_deliveries_in_flight').on('webhook_deliveries').columns(['endpoint_id', 'status', 'lease_until']).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.dropIndex('webhook_deliveries_in_flight').ifExists().execute();
  },
});
