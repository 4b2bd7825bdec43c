// Retention (events.md §3) and replay (§5), the latter also through the command line
// `gatehouse events replay --since <ts> [--endpoint <id>]`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BY, OffsetClock, Receiver, cleanupAfterEach, freshStore, makeEvents, someUser, waitFor, type TestStore } from './support.js';
import { isoMicros } from '../../../src/core/time.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const DAY = 86_400_000;

let s: TestStore;
beforeAll(async () => {
  s = await freshStore();
});
const cleanups = cleanupAfterEach(async () => {
  await s.db.deleteFrom('webhook_endpoints').execute();
  await s.db.deleteFrom('events').execute();
});
afterAll(async () => {
  await s?.close();
});

const eventIds = async () => (await s.db.selectFrom('events').select('id').orderBy('id').execute()).map((r) => r.id);
const deliveryRows = () => s.db.selectFrom('webhook_deliveries').select(['event_id', 'endpoint_id', 'status']).execute();

describe('retention sweep', () => {
  it('keeps succeeded deliveries and their events EVENT_RETENTION_DAYS, failed ones 30 days, pending ones until settled', async () => {
    const clock = new OffsetClock();
    const { events } = makeEvents(s.db, s.dialect, { clock, config: { eventRetentionDays: 7, amqpUrl: 'amqp://127.0.0.1:1' } });
    const ep = await events.endpoints.create({ url: 'http://127.0.0.1:9/hook', events: ['*'] }, BY);
    const off = await events.endpoints.create({ url: 'http://127.0.0.1:9/off', events: ['user.locked'] }, BY);
    if (!ep.ok || !off.ok) throw new Error('setup');
    const record = () => events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    const settle = (eventId: string, status: string) => s.db.updateTable('webhook_deliveries').set({ status, next_attempt_at: null, updated: clock.now() }).where('event_id', '=', eventId).execute();
    await s.db.deleteFrom('event_publications').execute();

    const ok = await record();
    await settle(ok.id, 'succeeded');
    const bad = await record();
    await settle(bad.id, 'failed');
    const waiting = await record();
    const unsent = await events.outbox.record(s.db, { type: 'user.locked', user: someUser(), until: clock.now() });
    await s.db.updateTable('webhook_endpoints').set({ enabled: 0 }).where('id', '=', off.endpoint.id).execute();
    await s.db.updateTable('webhook_deliveries').set({ status: 'succeeded' }).where('event_id', '=', unsent.id).where('endpoint_id', '=', ep.endpoint.id).execute();
    const bare = await events.outbox.record(s.db, { type: 'mfa.enabled', user: someUser() });
    await s.db.deleteFrom('webhook_deliveries').where('event_id', '=', bare.id).execute();
    await s.db.deleteFrom('event_publications').where('event_id', '!=', bare.id).execute();

    clock.advance(6 * DAY);
    expect(await events.sweep()).toEqual({ deliveries: 0, publications: 0, events: 0 });

    clock.advance(DAY + 1000);
    // The succeeded delivery and its event go; the event with nothing left but a publication
    // stays until the broker took it (or 30 days passed).
    expect(await events.sweep()).toEqual({ deliveries: 2, publications: 0, events: 1 });
    expect(await eventIds()).toEqual([bad.id, waiting.id, unsent.id, bare.id].sort());

    clock.advance(23 * DAY);
    // Failed deliveries, a disabled endpoint's pending ones, and the unconfirmed publication go
    // after 30 days; a pending delivery of an enabled endpoint stays.
    const r = await events.sweep();
    expect(r).toEqual({ deliveries: 2, publications: 1, events: 3 });
    expect(await eventIds()).toEqual([waiting.id]);
    expect(await deliveryRows()).toEqual([{ event_id: waiting.id, endpoint_id: ep.endpoint.id, status: 'pending' }]);
  });
});

describe('replay', () => {
  async function setup() {
    const rx = await new Receiver().start();
    cleanups.push(() => rx.close());
    const { events } = makeEvents(s.db, s.dialect);
    const a = await events.endpoints.create({ url: rx.url('/a'), events: ['*'] }, BY);
    const b = await events.endpoints.create({ url: rx.url('/b'), events: ['user.created'] }, BY);
    if (!a.ok || !b.ok) throw new Error('setup');
    events.start();
    cleanups.push(() => events.stop());
    const old = await events.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'v1' });
    await new Promise((r) => setTimeout(r, 5));
    const cut = Date.now() * 1000;
    await new Promise((r) => setTimeout(r, 5));
    const newer = [
      await events.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'v1' }),
      await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() }),
    ];
    await events.endpoints.sendTest(a.endpoint.id);
    await waitFor(() => rx.requests.length === 6, 5000, 'the first deliveries');
    await waitFor(async () => (await deliveryRows()).every((d) => d.status === 'succeeded'), 5000, 'all settled');
    return { rx, events, a: a.endpoint, b: b.endpoint, old, newer, cut };
  }

  it('sends the kept events since a time again to every subscribed endpoint (never the test events)', async () => {
    const { rx, events, newer, cut } = await setup();
    rx.requests.length = 0;
    const r = await events.replay({ since: cut });
    expect(r).toEqual({ ok: true, events: 2, deliveries: 3, publications: 0 });
    await waitFor(() => rx.requests.length === 3, 5000, 'the replay');
    expect(rx.ids((q) => q.path === '/a')).toEqual(newer.map((e) => e.id));
    expect(rx.ids((q) => q.path === '/b')).toEqual([newer[0].id]);
    // A second replay while they are still pending does not double them.
    await events.worker.stop();
    expect(await events.replay({ since: cut })).toMatchObject({ deliveries: 3 });
    expect(await events.replay({ since: cut })).toMatchObject({ deliveries: 0 });
  });

  it('from the command line, for one endpoint', async () => {
    const { rx, a, b, old, newer, cut } = await setup();
    rx.requests.length = 0;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `const { main } = await import(${JSON.stringify(path.join(ROOT, 'src/main.ts'))}); process.exitCode = await main(process.argv.slice(1));`, ...args], {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: s.url, DATA_DIR: s.dir, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });

    const one = run('events', 'replay', '--since', isoMicros(cut), '--endpoint', b.id);
    expect(one.stderr).toBe('');
    expect(one.stdout.trim()).toBe(`scheduled 1 webhook deliveries for 2 events since ${isoMicros(cut)}`);
    expect(one.status).toBe(0);
    await waitFor(() => rx.requests.length === 1, 5000, 'the replayed delivery');
    expect(rx.ids()).toEqual([newer[0].id]);

    const all = run('events', 'replay', '--since', isoMicros(old.occurred));
    expect(all.stdout.trim()).toBe(`scheduled 5 webhook deliveries for 3 events since ${isoMicros(old.occurred)}`);
    await waitFor(() => rx.requests.length === 6, 5000, 'the second replay');
    expect(rx.ids((q) => q.path === '/a')).toEqual([old.id, ...newer.map((e) => e.id)]);
    void a;

    const bad = run('events', 'replay', '--since', 'yesterday');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('gatehouse: --since: expected an ISO 8601 timestamp such as 2024-07-16T20:00:00Z, got "yesterday"\n');
    const unknown = run('events', 'replay', '--since', isoMicros(cut), '--endpoint', '00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('gatehouse: --endpoint: no webhook endpoint with id "00000000-0000-4000-8000-000000000000"\n');
  }, 60_000);
});
