// Publishing to the machine's real RabbitMQ (events.md §4), on exchange and queue names of
// this test's own. An outage is a TCP proxy of ours that is cut and restored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMQP_URL, TcpProxy, amqpConsumer, cleanupAfterEach, freshStore, makeEvents, someUser, waitFor, type TestStore } from './support.js';
import { startApp } from '../../helpers/app.js';

let s: TestStore;
beforeAll(async () => {
  s = await freshStore();
});
const cleanups = cleanupAfterEach();
afterAll(async () => {
  await s?.close();
});

const owed = async () => (await s.db.selectFrom('event_publications').selectAll().execute()).length;

describe('publishing', () => {
  it('sends each event to the topic exchange (routing key = type, persistent, JSON, message_id, timestamp) once confirmed', async () => {
    const consumer = await amqpConsumer(true);
    cleanups.push(() => consumer.close());
    const { events, registry } = makeEvents(s.db, s.dialect, { config: { amqpUrl: AMQP_URL, amqpExchange: consumer.exchange, amqpLegacyQueue: consumer.legacyQueue } });
    events.start();
    cleanups.push(() => events.stop());
    await waitFor(() => events.brokerStatus()?.state === 'up', 10_000, 'the broker connection');

    const legacyBody = { id: '5f0c', email: 'a@example.com', full_name: 'A', profile_pic: null };
    const created = await events.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'api-user' }, { legacy: legacyBody });
    const deleted = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => consumer.events.length === 2 && consumer.legacyMessages.length === 1, 10_000, 'the messages');

    const stored = await s.db.selectFrom('events').selectAll().orderBy('id').execute();
    for (const [i, e] of [created, deleted].entries()) {
      const m = consumer.events.find((x) => x.properties.messageId === e.id)!;
      expect(m.routingKey).toBe(e.type);
      expect(m.body).toBe(stored[i].body);
      expect(m.properties).toMatchObject({ contentType: 'application/json', deliveryMode: 2, messageId: e.id, timestamp: Math.floor(e.occurred / 1_000_000) });
    }
    const legacy = consumer.legacyMessages[0];
    expect(JSON.parse(legacy.body)).toEqual(legacyBody);
    expect(legacy.properties).toMatchObject({ contentType: 'user.created', deliveryMode: 2, messageId: created.id });

    await waitFor(async () => (await owed()) === 0, 5000, 'the outbox to empty');
    expect(await registry.metrics()).toContain('gatehouse_amqp_published_total 3');
  });

  it('while the broker is away, events wait in the outbox (recording is unaffected) and go once it is back', async () => {
    const consumer = await amqpConsumer();
    cleanups.push(() => consumer.close());
    const proxy = await new TcpProxy('127.0.0.1', Number(new URL(AMQP_URL).port || 5672)).start();
    cleanups.push(() => proxy.close());
    const url = new URL(AMQP_URL);
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    const { events } = makeEvents(s.db, s.dialect, { config: { amqpUrl: url.toString(), amqpExchange: consumer.exchange }, publisher: { backoffMs: { initial: 100, max: 400 } } });
    events.start();
    cleanups.push(() => events.stop());
    await waitFor(() => events.brokerStatus()?.state === 'up', 10_000, 'the broker connection');
    const before = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => consumer.events.length === 1, 10_000, 'the first message');

    proxy.cut();
    await waitFor(() => events.brokerStatus()?.state === 'down' || events.brokerStatus()?.state === 'connecting', 10_000, 'the outage to be noticed');
    const during: string[] = [];
    for (let i = 0; i < 5; i++) during.push((await events.outbox.record(s.db, { type: 'user.updated', user: someUser(), changed: ['email'] })).id);
    expect(await owed()).toBe(5);
    expect(events.brokerStatus()?.state).not.toBe('up');

    proxy.restore();
    await waitFor(() => new Set(consumer.ids()).size === 6, 15_000, 'the waiting messages');
    expect(new Set(consumer.ids())).toEqual(new Set([before.id, ...during]));
    expect(events.brokerStatus()?.state).toBe('up');
    await waitFor(async () => (await owed()) === 0, 5000, 'the outbox to empty');
  }, 40_000);
});

describe('in the app', () => {
  it('an unreachable broker is reported and leaves the HTTP service answering', async () => {
    const app = await startApp({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', AMQP_EXCHANGE: `gh.test.unused` });
    cleanups.push(() => app.close());
    await waitFor(() => app.ctx.events.brokerStatus()?.state === 'down', 10_000, 'the broker to be reported down');
    expect(app.ctx.events.brokerStatus()?.error).toBeTruthy();
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  });
});
