// Nothing is lost (events.md, opening paragraph and §3 "After a crash"): events recorded while
// the receiver answers 503 and the broker is cut off, a worker process SIGKILLed while it holds
// claims, more events recorded while no worker runs, then a new worker, the receiver and the
// broker back: every event reaches the receiver (deduped by webhook-id) and the broker (by
// message_id). The claims of the dead process lapse with their lease (under 30 s).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMQP_URL, BY, Receiver, TEST_SECRET_KEY, TcpProxy, amqpConsumer, freshStore, makeEvents, someUser, waitFor, type TestStore } from './support.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-child.ts');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

let s: TestStore;
let proxy: TcpProxy;
let rx: Receiver;
let consumer: Awaited<ReturnType<typeof amqpConsumer>>;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  s = await freshStore();
  proxy = await new TcpProxy('127.0.0.1', Number(new URL(AMQP_URL).port || 5672)).start();
  rx = await new Receiver().start();
  consumer = await amqpConsumer();
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await consumer?.close();
  await rx?.close();
  await proxy?.close();
  await s?.close();
});

function brokerUrl(): string {
  const u = new URL(AMQP_URL);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

async function startWorker(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: s.url,
      SECRET_KEY: TEST_SECRET_KEY,
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOW_PRIVATE: 'true',
      AMQP_URL: brokerUrl(),
      AMQP_EXCHANGE: consumer.exchange,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  return child;
}

describe('after a crash', () => {
  it('every event recorded before, during and after the outage arrives', async () => {
    const { events } = makeEvents(s.db, s.dialect, { config: { amqpUrl: brokerUrl(), amqpExchange: consumer.exchange } });
    for (const p of ['/hangs', '/fails']) {
      const created = await events.endpoints.create({ url: rx.url(p), events: ['*'] }, BY);
      if (!created.ok) throw new Error('setup');
    }

    // One receiver never answers (the worker holds that claim when it dies), the other answers
    // 503; the broker is cut off.
    const accepted = { '/hangs': new Set<string>(), '/fails': new Set<string>() };
    rx.reply = (r) => (r.path === '/hangs' ? 'hang' : { status: 503 });
    proxy.cut();

    const ids: string[] = [];
    const record = async (n: number) => {
      for (let i = 0; i < n; i++) ids.push((await events.outbox.record(s.db, { type: 'user.updated', user: someUser(), changed: ['email'] })).id);
    };
    await record(8);

    const first = await startWorker();
    await waitFor(() => rx.requests.filter((r) => r.path === '/fails').length >= 3 && rx.hanging.length === 1, 20_000, 'failing attempts and a hanging one');
    const held = await s.db.selectFrom('webhook_deliveries').select('id').where('lease_owner', 'is not', null).execute();
    expect(held.length).toBeGreaterThan(0);
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));

    // While no worker runs, more happens.
    await record(4);

    rx.reply = (r) => {
      accepted[r.path as keyof typeof accepted].add(String(r.headers['webhook-id']));
      return { status: 204 };
    };
    proxy.restore();
    const second = await startWorker();

    await waitFor(() => accepted['/hangs'].size === ids.length && accepted['/fails'].size === ids.length, 60_000, 'every webhook');
    await waitFor(() => new Set(consumer.ids()).size === ids.length, 30_000, 'every broker message');
    expect([...accepted['/hangs']].sort()).toEqual([...ids].sort());
    expect([...accepted['/fails']].sort()).toEqual([...ids].sort());
    expect([...new Set(consumer.ids())].sort()).toEqual([...ids].sort());
    await waitFor(async () => (await s.db.selectFrom('webhook_deliveries').select('id').where('status', '!=', 'succeeded').execute()).length === 0, 10_000, 'all settled');
    expect(await s.db.selectFrom('event_publications').selectAll().execute()).toEqual([]);

    const exited = new Promise((resolve) => second.once('exit', resolve));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
