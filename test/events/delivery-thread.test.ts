// Webhook deliveries of a running service come from a thread of their own, on its own database
// connection (delivery-thread-host.ts): not started while there is nothing to deliver, started
// again when it dies (what it held is delivered), and writes of requests keep working beside its
// commits (SQLite: a second connection writing must never turn a request into a 503).
import fs from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { DeliveryThreadHost } from '../../src/core/events/delivery-thread-host.js';
import { request } from '../helpers/http.js';
import { PASSWORD, type TestApp, addEndpoint, appWithReceiver, register, waitFor } from './support.js';

const V1 = '/v1/user/';

function hostOf(t: TestApp): DeliveryThreadHost {
  const host = t.ctx.events.worker;
  expect(host).toBeInstanceOf(DeliveryThreadHost);
  return host as DeliveryThreadHost;
}

describe('webhook deliveries in a thread of their own', () => {
  const fx = appWithReceiver();

  it('no thread while nothing is to be delivered; once there is, the deliveries come from it', async () => {
    const { t, rx, root } = fx;
    const host = hostOf(t);
    for (let i = 0; i < 3; i++) expect((await register(t)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    expect(host.threadRunning).toBe(false);

    const ep = await addEndpoint(t, root, { url: rx.url('/first'), events: ['user.created'] });
    rx.trust('/first', ep.secret);
    const u = await register(t);
    const d = await rx.one('user.created', u.id, '/first');
    expect(d.status).toBe(204);
    expect(host.threadRunning).toBe(true);
    // The settled attempt is counted by the service's own metrics.
    await waitFor(async () => /^gatehouse_webhook_deliveries_total\{result="succeeded"\} [1-9]/m.test((await request(t.url, 'GET', '/metrics')).text), 5_000, 'the delivery counted');
  });

  it.runIf(process.platform === 'linux')('the thread runs at a lower CPU priority than the requests (nice +10)', () => {
    expect(hostOf(fx.t).threadRunning).toBe(true);
    const niceOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    const mine = niceOf(fs.readFileSync('/proc/thread-self/stat', 'utf8'));
    const threads = fs.readdirSync('/proc/self/task').map((id) => niceOf(fs.readFileSync(`/proc/self/task/${id}/stat`, 'utf8')));
    expect(threads).toContain(Math.min(19, mine + 10));
  });

  it('a thread that dies is started again, and the events of the meantime are delivered', async () => {
    const { t, rx, root } = fx;
    const host = hostOf(t);
    const ep = await addEndpoint(t, root, { url: rx.url('/second'), events: ['user.created'] });
    rx.trust('/second', ep.secret);
    const thread = (host as unknown as { thread: Worker }).thread;
    await thread.terminate();
    expect(host.threadRunning).toBe(false);
    const u = await register(t);
    expect(u.status).toBe(201);
    const d = await rx.one('user.created', u.id, '/second');
    expect(d.status).toBe(204);
    expect(host.threadRunning).toBe(true);
    expect((host as unknown as { thread: Worker }).thread).not.toBe(thread);
  });

  it('requests that write keep answering while the thread works through a backlog', async () => {
    const { t, rx, root } = fx;
    const paths = ['/b0', '/b1', '/b2', '/b3', '/b4', '/b5'];
    for (const p of paths) rx.trust(p, (await addEndpoint(t, root, { url: rx.url(p), events: ['*'] })).secret);
    // Registrations, logins and new profiles (each a transaction that reads, then writes), in
    // parallel, while every one of them is delivered to six endpoints.
    const users = await Promise.all(Array.from({ length: 30 }, () => register(t)));
    expect(users.map((u) => u.status)).toEqual(users.map(() => 201));
    const logins = await Promise.all(users.map((u) => request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: PASSWORD } })));
    expect(logins.map((r) => r.status)).toEqual(logins.map(() => 200));
    const profiles = await Promise.all(logins.map((r) => request(t.url, 'POST', V1 + 'profile/artist/', { json: {}, headers: { authorization: `Token ${r.json.token}` } })));
    expect(profiles.map((r) => r.status)).toEqual(profiles.map(() => 201));
    // user.created and session.created of each, to each endpoint.
    await waitFor(() => paths.every((p) => rx.acceptedIds(p).size >= 30 * 2), 20_000, 'the backlog delivered');
  });
});
