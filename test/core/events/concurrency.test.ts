// Two instances on one database (events.md §3 "Order and concurrency"): each delivery is
// made by exactly one of them, and per endpoint the events still arrive in order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BY, Receiver, freshStore, makeEvents, someUser, usingPostgres, waitFor, type TestStore } from './support.js';

let s: TestStore;
let rx: Receiver;
beforeAll(async () => {
  s = await freshStore();
  rx = await new Receiver().start();
});
afterAll(async () => {
  await rx?.close();
  await s?.close();
});

describe('two workers', () => {
  it('make each delivery exactly once, in order per endpoint', async () => {
    const other = s.openAnother();
    const a = makeEvents(s.db, s.dialect, { worker: { pollMs: 20 } }).events;
    const b = makeEvents(other.db, other.dialect, { worker: { pollMs: 20 } }).events;
    const paths = ['/one', '/two', '/three', '/four'];
    for (const p of paths) {
      const r = await a.endpoints.create({ url: rx.url(p), events: ['*'] }, BY);
      if (!r.ok) throw new Error('setup');
    }
    // Answers take a little while, so both workers are busy at the same time.
    rx.reply = () => ({ status: 200, delayMs: Math.floor(Math.random() * 15) });
    a.start();
    b.start();
    try {
      const ids: string[] = [];
      // Recorded through both instances, while both deliver.
      for (let i = 0; i < 30; i++) {
        const via = i % 2 ? b : a;
        const db = i % 2 ? other.db : s.db;
        ids.push((await via.outbox.record(db, { type: 'user.updated', user: someUser(), changed: ['username'] })).id);
      }
      await waitFor(() => rx.requests.length >= ids.length * paths.length, 30_000, 'every delivery');
      await waitFor(async () => (await s.db.selectFrom('webhook_deliveries').select('id').where('status', '=', 'pending').execute()).length === 0, 10_000, 'all settled');
      // Anything a second worker sent twice would have arrived by now.
      await new Promise((r) => setTimeout(r, 300));
      expect(rx.requests).toHaveLength(ids.length * paths.length);
      const sorted = [...ids].sort();
      for (const p of paths) expect(rx.ids((r) => r.path === p)).toEqual(sorted);
      const rows = await s.db.selectFrom('webhook_deliveries').select(['status', 'attempts']).execute();
      expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
      const made = async (e: typeof a) => (await e.metrics!.deliveries.get()).values.reduce((n, v) => n + v.value, 0);
      const [byA, byB] = [await made(a), await made(b)];
      expect(byA + byB).toBe(ids.length * paths.length);
      // On PostgreSQL every query is real I/O, so the two claim loops interleave and both take
      // part. (Two SQLite handles in one process run their queries synchronously: the worker
      // whose attempt just ended claims the next one before the other's timer can fire.)
      if (usingPostgres) {
        expect(byA).toBeGreaterThan(0);
        expect(byB).toBeGreaterThan(0);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 60_000);
});
