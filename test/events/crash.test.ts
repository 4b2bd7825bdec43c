// Nothing is lost (events.md, opening paragraph and §3 "After a crash"), with the real service:
// `node bin/gatehouse.js serve` registers users through /api/user/register while the webhook
// receiver answers 503 and the broker is cut off (a TCP hop of the test's own; the machine's
// broker is never touched), is SIGKILLed mid-traffic, started again, and then the receiver and
// the broker come back. Every registration that was answered 201 arrives at the receiver
// (deduplicated by webhook-id, signature verified), on the exchange (by message_id), and as its
// exact 201 body on seed 001's legacy queue.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, databaseEnv, runCli } from '../helpers/cli.js';
import { request } from '../helpers/http.js';
import { AMQP_URL, TcpProxy, amqpConsumer } from '../core/events/support.js';
import { type ExitReport, Instance, ensureBuilt } from '../faults/instances.js';
import { freePort } from '../faults/private-redis.js';
import { SignedReceiver, waitFor } from './support.js';

let work: string;
let db: Awaited<ReturnType<typeof databaseEnv>>;
let proxy: TcpProxy;
let rx: SignedReceiver;
let consumer: Awaited<ReturnType<typeof amqpConsumer>>;
let instance: Instance | null = null;
const exits: ExitReport[] = [];

beforeAll(async () => {
  ensureBuilt();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-events-crash-'));
  [db, proxy, rx, consumer] = await Promise.all([databaseEnv(), new TcpProxy('127.0.0.1', Number(new URL(AMQP_URL).port || 5672)).start(), new SignedReceiver().start(), amqpConsumer(true)]);
}, 120_000);
afterAll(async () => {
  await instance?.stop();
  await consumer?.close();
  await Promise.all([rx?.close(), proxy?.close()]);
  await db?.drop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

interface Acked {
  id: string;
  body: string;
}

describe('a SIGKILL while the receiver and the broker are down', () => {
  it('loses no acknowledged registration', async () => {
    const broker = new URL(AMQP_URL);
    broker.hostname = '127.0.0.1';
    broker.port = String(proxy.port);
    const env = cleanEnv({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      DATA_DIR: work,
      SECRET_KEY: 'events-crash-' + randomBytes(16).toString('hex'),
      LOG_LEVEL: 'warn',
      THROTTLE_ANON_RATE: 'off',
      THROTTLE_USER_RATE: 'off',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      AMQP_URL: broker.toString(),
      AMQP_EXCHANGE: consumer.exchange,
      AMQP_LEGACY_QUEUE: consumer.legacyQueue!,
      ...db.env,
      ...(db.env.REDIS_URL ? { REDIS_PREFIX: `ghevents:${randomBytes(4).toString('hex')}:` } : {}),
    });
    const port = await freePort();
    instance = new Instance(0, port, { ...env, PORT: String(port) }, path.join(work, 'serve.log'), (r) => exits.push(r));
    await instance.start();
    const url = instance.url;

    // An operator's setup: a superuser from the command line, an endpoint through the admin API.
    const su = runCli(['createsuperuser', '--email', 'ops@example.com', '--username', 'ops', '--password', 'operator password'], { env });
    expect(su.status, su.stderr).toBe(0);
    const login = await request(url, 'POST', '/v1/user/login-knox/', { json: { email: 'ops@example.com', password: 'operator password' } });
    expect(login.status, login.text).toBe(200);
    const ep = await request(url, 'POST', '/admin/api/webhooks/', { json: { url: rx.url('/crm'), events: ['user.created'] }, headers: { authorization: `Token ${login.json.token}` } });
    expect(ep.status, ep.text).toBe(201);
    rx.trust('/crm', ep.json.secret);

    let receiverDown = true;
    rx.answer = () => (receiverDown ? { status: 503 } : undefined);
    proxy.cut();

    const acked: Acked[] = [];
    const register = async (n: number): Promise<void> => {
      try {
        const r = await request(url, 'POST', '/api/user/register', { json: { email: `crash-${n}-${randomBytes(3).toString('hex')}@example.com`, full_name: `Crash ${n}`, password: 'Admin,123' } });
        if (r.status === 201) acked.push({ id: r.json.id, body: r.text });
      } catch {
        // The process died under the request: not acknowledged, no promise made.
      }
    };
    // Traffic, then the kill while requests are still in flight.
    for (let i = 0; i < 8; i++) await register(i);
    await waitFor(() => rx.delivered.length >= 1, 10_000, 'a first refused delivery');
    const inFlight = Promise.all([register(100), register(101), register(102)]);
    await instance.kill();
    await inFlight;
    const beforeKill = acked.length;
    expect(beforeKill).toBeGreaterThanOrEqual(8);

    await instance.start();
    receiverDown = false;
    proxy.restore();
    for (let i = 200; i < 203; i++) await register(i);
    expect(acked.length).toBe(beforeKill + 3);

    const ids = new Set(acked.map((a) => a.id));
    const arrived = () => new Set(rx.delivered.filter((d) => d.status === 204).map((d) => d.data.user.id));
    await waitFor(() => [...ids].every((id) => arrived().has(id)), 60_000, 'every acknowledged registration at the receiver');
    await waitFor(() => [...ids].every((id) => consumer.events.some((m) => JSON.parse(m.body).data.user.id === id)), 60_000, 'every one on the exchange');
    await waitFor(() => [...ids].every((id) => consumer.legacyMessages.some((m) => JSON.parse(m.body).id === id)), 60_000, 'every one on the legacy queue');

    expect(rx.rejected).toEqual([]);
    // Deduplicated by webhook-id, each registration is one event, the same on both channels.
    const byWebhookId = new Map<string, string>();
    for (const d of rx.delivered) byWebhookId.set(d.id, d.data.user.id);
    const byMessageId = new Map<string, string>();
    for (const m of consumer.events) byMessageId.set(String(m.properties.messageId), JSON.parse(m.body).data.user.id);
    for (const id of ids) {
      const hooks = [...byWebhookId].filter(([, user]) => user === id).map(([eid]) => eid);
      const messages = [...byMessageId].filter(([, user]) => user === id).map(([eid]) => eid);
      expect(hooks).toHaveLength(1);
      expect(messages).toEqual(hooks);
    }
    for (const a of acked) {
      const legacy = consumer.legacyMessages.filter((m) => JSON.parse(m.body).id === a.id);
      expect(new Set(legacy.map((m) => m.body))).toEqual(new Set([a.body]));
    }
    // Anything delivered beyond the acknowledged ones is a real account (a request that
    // committed but whose answer the kill swallowed), never a phantom.
    for (const d of rx.delivered) {
      if (!ids.has(d.data.user.id)) expect((await request(url, 'GET', `/admin/api/users/${d.data.user.id}/`, { headers: { authorization: `Token ${login.json.token}` } })).status).toBe(200);
    }
    expect(exits).toEqual([]);
  }, 180_000);
});
