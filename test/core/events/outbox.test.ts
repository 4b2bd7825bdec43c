// Outbox.record (events.md §1): written in the caller's transaction, with one delivery per
// enabled endpoint subscribed to the type or to `*`, and a broker publication when one is
// configured. A rolled-back change leaves no event, delivery or publication behind.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BY, freshStore, makeEvents, someUser, type TestStore } from './support.js';
import { EVENT_ID_PATTERN } from '../../../src/core/events/ids.js';

let s: TestStore;
beforeAll(async () => {
  s = await freshStore();
});
afterAll(async () => {
  await s?.close();
});
beforeEach(async () => {
  await s.db.deleteFrom('webhook_endpoints').execute();
  await s.db.deleteFrom('events').execute();
});

const counts = async () => ({
  events: (await s.db.selectFrom('events').selectAll().execute()).length,
  deliveries: (await s.db.selectFrom('webhook_deliveries').selectAll().execute()).length,
  publications: (await s.db.selectFrom('event_publications').selectAll().execute()).length,
});

describe('record', () => {
  it('writes the event, a delivery per subscribed enabled endpoint and a publication, in the transaction', async () => {
    const { events } = makeEvents(s.db, s.dialect, { config: { amqpUrl: 'amqp://guest:guest@127.0.0.1:1' } });
    const all = await events.endpoints.create({ url: 'http://127.0.0.1:9/all', events: ['*'] }, BY);
    const created = await events.endpoints.create({ url: 'http://127.0.0.1:9/created', events: ['user.created'] }, BY);
    await events.endpoints.create({ url: 'http://127.0.0.1:9/deleted', events: ['user.deleted'] }, BY);
    await events.endpoints.create({ url: 'http://127.0.0.1:9/off', events: ['*'], enabled: false }, BY);
    if (!all.ok || !created.ok) throw new Error('setup');
    const user = someUser();

    const recorded = await s.db.transaction().execute((trx) => events.outbox.record(trx, { type: 'user.created', user, surface: 'v1' }));
    expect(recorded.id).toMatch(EVENT_ID_PATTERN);
    expect(recorded.deliveries).toBe(2);

    const row = await s.db.selectFrom('events').selectAll().where('id', '=', recorded.id).executeTakeFirstOrThrow();
    expect(row.type).toBe('user.created');
    const body = JSON.parse(row.body);
    expect(Object.keys(body)).toEqual(['type', 'timestamp', 'data']);
    expect(body.type).toBe('user.created');
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(body.data).toEqual({ user: { id: user.id, number: user.number, email: user.email, username: user.username, full_name: user.full_name, email_verified: false, is_active: true, is_staff: false }, surface: 'v1' });

    const deliveries = await s.db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', recorded.id).execute();
    expect(deliveries.map((d) => d.endpoint_id).sort()).toEqual([all.endpoint.id, created.endpoint.id].sort());
    for (const d of deliveries) {
      expect(d).toMatchObject({ status: 'pending', attempts: 0, event_type: 'user.created', next_attempt_at: recorded.occurred, lease_owner: null });
    }
    const pubs = await s.db.selectFrom('event_publications').selectAll().execute();
    expect(pubs).toEqual([expect.objectContaining({ event_id: recorded.id, target: 'exchange', body: null })]);
    expect(await events.pendingCount()).toBe(3);
  });

  it('a change that rolls back leaves no event, delivery or publication', async () => {
    const { events } = makeEvents(s.db, s.dialect, { config: { amqpUrl: 'amqp://guest:guest@127.0.0.1:1', amqpLegacyQueue: 'posts' } });
    await events.endpoints.create({ url: 'http://127.0.0.1:9/all', events: ['*'] }, BY);
    const user = someUser();
    await expect(
      s.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ id: user.id, email: user.email, email_ci: user.email, username: null, username_ci: null, password: null, full_name: '', phone: null, contacts: null, avatar: null, picture: null, email_verified: 0, is_active: 1, is_staff: 0, is_superuser: 0, created: 1, updated: 1, last_login: null, failed_logins: 0, last_failure_at: null, locked_until: null }).execute();
        await events.outbox.record(trx, { type: 'user.created', user, surface: 'api-user' }, { legacy: { email: user.email } });
        throw new Error('the change failed after the event was recorded');
      }),
    ).rejects.toThrow('the change failed');
    expect(await counts()).toEqual({ events: 0, deliveries: 0, publications: 0 });
    expect(await s.db.selectFrom('users').selectAll().where('id', '=', user.id).execute()).toEqual([]);
  });

  it('keeps the event without endpoints or broker (for replay), and publishes nothing without AMQP_URL', async () => {
    const { events } = makeEvents(s.db, s.dialect);
    const r = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    expect(r.deliveries).toBe(0);
    expect(await counts()).toEqual({ events: 1, deliveries: 0, publications: 0 });
  });

  it('queues the seed-001 legacy message only for user.created with AMQP_LEGACY_QUEUE set', async () => {
    const legacy = makeEvents(s.db, s.dialect, { config: { amqpUrl: 'amqp://127.0.0.1:1', amqpLegacyQueue: 'posts' } }).events;
    const plain = makeEvents(s.db, s.dialect, { config: { amqpUrl: 'amqp://127.0.0.1:1' } }).events;
    const body = { id: 'u1', email: 'a@example.com', full_name: 'A' };
    const a = await legacy.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'api-user' }, { legacy: body });
    const b = await legacy.outbox.record(s.db, { type: 'user.deleted', user: someUser() }, { legacy: body });
    const c = await plain.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'api-user' }, { legacy: body });
    const pubs = await s.db.selectFrom('event_publications').select(['event_id', 'target', 'body']).execute();
    const key = (p: { event_id: string; target: string }) => `${p.event_id} ${p.target}`;
    const expected = [
      { event_id: a.id, target: 'exchange', body: null },
      { event_id: a.id, target: 'legacy', body: JSON.stringify(body) },
      { event_id: b.id, target: 'exchange', body: null },
      { event_id: c.id, target: 'exchange', body: null },
    ];
    expect(pubs.sort((x, y) => key(x).localeCompare(key(y)))).toEqual(expected.sort((x, y) => key(x).localeCompare(key(y))));
  });

  it('counts recorded events by type (gatehouse_events_total)', async () => {
    const { events, registry } = makeEvents(s.db, s.dialect);
    await events.outbox.record(s.db, { type: 'session.created', user: someUser(), surface: 'v1', method: 'jwt' });
    await events.outbox.record(s.db, { type: 'session.created', user: someUser(), surface: 'v1', method: 'knox' });
    const text = await registry.metrics();
    expect(text).toContain('gatehouse_events_total{type="session.created"} 2');
    expect(text).toContain('gatehouse_outbox_pending 0');
  });

  it('ids sort in recording order', async () => {
    const { events } = makeEvents(s.db, s.dialect);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) ids.push((await events.outbox.record(s.db, { type: 'user.updated', user: someUser(), changed: ['full_name'] })).id);
    expect([...ids].sort()).toEqual(ids);
  });
});
