// The claim (core/events/claims.ts) and the index it asks "is a delivery of this endpoint in
// flight?" (migration 013): only leased deliveries are in it, a live lease holds its endpoint
// back, a lapsed one does not, and settling takes the delivery out of it again.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimDeliveries, claimStatement } from '../../../src/core/events/claims.js';
import { newDelivery } from '../../../src/core/events/rows.js';
import { freshStore, usingPostgres, type TestStore } from './support.js';

let s: TestStore;
beforeAll(async () => {
  s = await freshStore();
});
afterAll(async () => {
  await s?.close();
});

const NOW = 1_800_000_000_000_000;

async function endpoint(): Promise<string> {
  const id = randomUUID();
  await s.db.insertInto('webhook_endpoints').values({ id, url: 'https://example.com/hook', events: '["*"]', description: '', enabled: 1, secret: 'sealed', previous_secret: null, previous_secret_until: null, failing_since: null, created: NOW, updated: NOW }).execute();
  return id;
}

let eventNo = 0;
async function delivery(endpointId: string): Promise<string> {
  const eventId = `evt_${String(++eventNo).padStart(26, '0')}`;
  await s.db.insertInto('events').values({ id: eventId, type: 'user.updated', occurred: NOW, body: '{}' }).execute();
  const row = newDelivery(endpointId, eventId, 'user.updated', NOW - 1);
  await s.db.insertInto('webhook_deliveries').values(row).execute();
  return row.id as string;
}

/** How many deliveries the partial index holds (SQLite: counted through it). */
async function leasedInIndex(): Promise<number> {
  if (usingPostgres) {
    const r = await sql<{ n: string }>`select count(*) as n from webhook_deliveries where lease_until is not null`.execute(s.db);
    return Number(r.rows[0].n);
  }
  const r = await sql<{ n: number }>`select count(*) as n from webhook_deliveries indexed by webhook_deliveries_leased where lease_until is not null`.execute(s.db);
  return r.rows[0].n;
}

describe('claiming deliveries', () => {
  it('holds an endpoint back while one of its deliveries is leased, not after the lease lapsed', async () => {
    const a = await endpoint();
    const b = await endpoint();
    const a1 = await delivery(a);
    const a2 = await delivery(a);
    const b1 = await delivery(b);
    expect(await leasedInIndex()).toBe(0);

    const first = await claimDeliveries(s.db, s.dialect, { owner: 'w1', now: NOW, leaseUntil: NOW + 1_000, limit: 10 });
    expect(first.sort()).toEqual([a1, b1].sort());
    expect(await leasedInIndex()).toBe(2);
    // a1 and b1 are in flight: nothing else of a or b may go.
    expect(await claimDeliveries(s.db, s.dialect, { owner: 'w2', now: NOW + 500, leaseUntil: NOW + 1_500, limit: 10 })).toEqual([]);

    // b1 settles (its lease cleared, as the worker does): b has nothing left; a1's lease lapses,
    // so a1 itself is due again (oldest first), and a2 still waits behind it.
    await s.db.updateTable('webhook_deliveries').set({ status: 'succeeded', next_attempt_at: null, lease_owner: null, lease_until: null }).where('id', '=', b1).execute();
    expect(await leasedInIndex()).toBe(1);
    expect(await claimDeliveries(s.db, s.dialect, { owner: 'w2', now: NOW + 1_000, leaseUntil: NOW + 2_000, limit: 10 })).toEqual([a1]);
    const owner = await s.db.selectFrom('webhook_deliveries').select(['lease_owner']).where('id', '=', a1).executeTakeFirstOrThrow();
    expect(owner.lease_owner).toBe('w2');
    // a2 goes once a1 has settled.
    await s.db.updateTable('webhook_deliveries').set({ status: 'succeeded', next_attempt_at: null, lease_owner: null, lease_until: null }).where('id', '=', a1).execute();
    expect(await claimDeliveries(s.db, s.dialect, { owner: 'w2', now: NOW + 1_100, leaseUntil: NOW + 2_000, limit: 10 })).toEqual([a2]);
    expect(await leasedInIndex()).toBe(1);
  });

  it.skipIf(usingPostgres)('asks whether an endpoint is busy through the index of leased deliveries only (SQLite plan)', async () => {
    const q = claimStatement({ owner: 'w', now: NOW, leaseUntil: NOW + 1, limit: 4 }, null, s.dialect).compile(s.db);
    const rows = (await s.db.executeQuery<{ detail: string }>({ ...q, sql: `explain query plan ${q.sql}` })).rows;
    const details = rows.map((r) => r.detail).join('\n');
    expect(details).toMatch(/USING (COVERING )?INDEX webhook_deliveries_leased \(endpoint_id=\? AND lease_until>\?\)/);
    expect(details).not.toContain('webhook_deliveries_in_flight');
  });
});
