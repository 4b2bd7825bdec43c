// Migration 013: the in-flight look-up of migration 010 kept every delivery ever made in an
// index that leads with the endpoint, so each claim (which sets a lease) and each settle (which
// clears it) rewrote one leaf page of that index per endpoint involved: with 16 endpoints
// progressing together, about 8 pages per claim and 8 more per settle, the largest part of a
// delivery's database writes on SQLite (each dirty page is a write to the WAL at commit). Only
// leased deliveries matter to that look-up, and at most a few dozen are leased at any time: a
// partial index over them is one page, dirtied once per claim and once per settle.
// `lease_until > now` implies `lease_until is not null`, so both databases use it for the claim.
import { type Kysely, type Migration, sql } from 'kysely';

export const m013_webhook_lease_partial = (): Migration => ({
  async up(db: Kysely<any>) {
    await db.schema.createIndex('webhook_deliveries_leased').on('webhook_deliveries').columns(['endpoint_id', 'lease_until']).where(sql.ref('lease_until'), 'is not', null).execute();
    await db.schema.dropIndex('webhook_deliveries_in_flight').execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.createIndex('webhook_deliveries_in_flight').on('webhook_deliveries').columns(['endpoint_id', 'status', 'lease_until']).execute();
    await db.schema.dropIndex('webhook_deliveries_leased').execute();
  },
});
