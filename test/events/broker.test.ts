// Publishing to RabbitMQ (events.md §4) from a running app, on the machine's broker with names
// of the test's own, through a TCP hop the test can cut: the topic exchange (routing key = type,
// persistent, JSON, message_id = the event id, timestamp), seed 001's legacy queue fed with the
// exact 201 body of /api/user/register (and nothing else), and a broker outage that neither the
// HTTP service nor the webhooks notice, after which every waiting event is published.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { png } from '../helpers/images.js';
import { AMQP_URL, TcpProxy, amqpConsumer } from '../core/events/support.js';
import { SignedReceiver, type TestApp, addEndpoint, startEventsApp, superuser, waitFor } from './support.js';

let t: TestApp;
let proxy: TcpProxy;
let rx: SignedReceiver;
let consumer: Awaited<ReturnType<typeof amqpConsumer>>;

beforeAll(async () => {
  [proxy, rx, consumer] = await Promise.all([new TcpProxy('127.0.0.1', Number(new URL(AMQP_URL).port || 5672)).start(), new SignedReceiver().start(), amqpConsumer(true)]);
  const broker = new URL(AMQP_URL);
  broker.hostname = '127.0.0.1';
  broker.port = String(proxy.port);
  t = await startEventsApp(
    { AMQP_URL: broker.toString(), AMQP_EXCHANGE: consumer.exchange, AMQP_LEGACY_QUEUE: consumer.legacyQueue! },
    { publisher: { pollMs: 100, backoffMs: { initial: 100, max: 500 } } },
  );
  const ep = await addEndpoint(t, await superuser(t), { url: rx.url('/all'), events: ['*'] });
  rx.trust('/all', ep.secret);
  await waitFor(async () => (await request(t.url, 'GET', '/readyz')).json.checks.broker === 'ok', 10_000, 'the broker connection');
});
afterAll(async () => {
  await t?.close();
  await consumer?.close();
  await Promise.all([rx?.close(), proxy?.close()]);
});

let seq = 0;
const tag = () => `${++seq}${Math.random().toString(36).slice(2, 8)}`;

async function apiUserRegister(withPicture = false): Promise<{ status: number; json: any; text: string }> {
  const email = `amqp-${tag()}@example.com`;
  if (!withPicture) return request(t.url, 'POST', '/api/user/register', { json: { email, full_name: 'Broker User', password: 'Admin,123' } });
  const form = new FormData();
  form.append('email', email);
  form.append('full_name', 'Pictured');
  form.append('password', 'Admin,123');
  form.append('profile_pic', new Blob([new Uint8Array(await png(16, 16))], { type: 'image/png' }), 'me.png');
  return request(t.url, 'POST', '/api/user/register', { body: form });
}

const messageAbout = (id: string) => consumer.events.find((m) => m.routingKey === 'user.created' && JSON.parse(m.body).data.user.id === id);

describe('the topic exchange', () => {
  it('every event, routed by type, persistent JSON with the event id as message_id, the same id as the webhook', async () => {
    const r = await apiUserRegister();
    expect(r.status, r.text).toBe(201);
    const m = (await waitFor(() => messageAbout(r.json.id), 10_000, 'the broker message'))!;
    const hook = await rx.one('user.created', r.json.id, '/all');
    expect(m.body).toBe(hook.body);
    expect(m.properties).toMatchObject({ contentType: 'application/json', deliveryMode: 2, messageId: hook.id });
    const stamp = Date.parse(JSON.parse(m.body).timestamp) / 1000;
    expect(Math.abs(Number(m.properties.timestamp) - stamp)).toBeLessThan(1);
    expect(JSON.parse(m.body)).toMatchObject({ type: 'user.created', data: { surface: 'api-user', user: { id: r.json.id, email: r.json.email } } });
  });
});

describe('seed 001 compatibility: AMQP_LEGACY_QUEUE', () => {
  it('gets the 201 body of /api/user/register, as it was answered, with content type user.created', async () => {
    for (const pictured of [false, true]) {
      const r = await apiUserRegister(pictured);
      expect(r.status, r.text).toBe(201);
      const legacy = (await waitFor(() => consumer.legacyMessages.find((x) => JSON.parse(x.body).id === r.json.id), 10_000, 'the legacy message'))!;
      expect(legacy.body).toBe(JSON.stringify(r.json));
      expect(Object.keys(JSON.parse(legacy.body))).toEqual(['id', 'full_name', 'email', 'profile_pic']);
      expect(legacy.properties).toMatchObject({ contentType: 'user.created', deliveryMode: 2 });
      if (pictured) {
        expect(r.json.profile_pic).toBe(`${t.url}/api/user/media/${r.json.id}.png`);
        expect((await request(t.url, 'GET', new URL(r.json.profile_pic).pathname)).status).toBe(200);
      }
    }
  });

  it('only for /api/user/register: other registrations reach the exchange, not the queue', async () => {
    const name = `v1-${tag()}`;
    const v1 = await request(t.url, 'POST', '/v1/user/register/', { json: { email: `${name}@example.com`, username: name, password: 'Admin,123', confirm_password: 'Admin,123' } });
    expect(v1.status).toBe(201);
    await waitFor(() => messageAbout(v1.json.id), 10_000, 'the v1 registration on the exchange');
    const fence = await apiUserRegister();
    await waitFor(() => consumer.legacyMessages.some((x) => JSON.parse(x.body).id === fence.json.id), 10_000, 'the fence');
    expect(consumer.legacyMessages.some((x) => JSON.parse(x.body).id === v1.json.id)).toBe(false);
  });
});

describe('while the broker is away', () => {
  it('requests and webhooks go on; /readyz reports it and stays 200; every waiting event is published when it returns', async () => {
    const published = async () => Number(/^gatehouse_amqp_published_total (\d+)$/m.exec((await request(t.url, 'GET', '/metrics')).text)![1]);
    const before = await published();
    proxy.cut();
    await waitFor(async () => (await request(t.url, 'GET', '/readyz')).json.checks.broker === 'unavailable', 10_000, 'the broker reported down');
    const ready = await request(t.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json.status).toBe('ok');

    const made: Array<{ id: string }> = [];
    for (let i = 0; i < 5; i++) {
      const r = await apiUserRegister();
      expect(r.status).toBe(201);
      made.push(r.json);
    }
    for (const u of made) await rx.one('user.created', u.id, '/all');
    const pending = Number(/^gatehouse_outbox_pending (\d+)$/m.exec((await request(t.url, 'GET', '/metrics')).text)![1]);
    expect(pending).toBeGreaterThanOrEqual(10);
    expect(made.some((u) => messageAbout(u.id))).toBe(false);

    proxy.restore();
    await waitFor(() => made.every((u) => messageAbout(u.id) && consumer.legacyMessages.some((x) => JSON.parse(x.body).id === u.id)), 20_000, 'every waiting message');
    expect((await request(t.url, 'GET', '/readyz')).json.checks.broker).toBe('ok');
    // Counted once the broker's confirms are in, which may be just after the consumer has them.
    await waitFor(async () => (await published()) >= before + 10, 10_000, 'the confirms counted');
    await waitFor(async () => (await request(t.url, 'GET', '/metrics')).text.includes('\ngatehouse_outbox_pending 0\n'), 10_000, 'an empty outbox');
  });
});
