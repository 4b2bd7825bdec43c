// One webhook request (http-post.ts) against real receivers: connections are kept alive between
// deliveries, yet the guard looks at the address again at every delivery (a name that moves to a
// forbidden address is refused though a connection to its old one is open), a kept connection
// the receiver dropped as it was reused is replaced without a failed attempt, and an answer
// slower than the idle limit is still waited for.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { AddressGuard } from '../../../src/core/events/address-guard.js';
import { type PostRequest, ReceiverConnections, postWebhook } from '../../../src/core/events/http-post.js';

const closers: Array<() => unknown> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A node:http receiver on `host` that counts the connections it accepted. */
async function receiver(host = '127.0.0.1', port = 0, answer: (res: http.ServerResponse) => void = (res) => res.writeHead(204).end()) {
  const seen = { connections: 0, requests: 0, hosts: [] as string[] };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.requests += 1;
      seen.hosts.push(req.headers.host ?? '');
      answer(res);
    });
  });
  server.on('connection', () => (seen.connections += 1));
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  closers.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return { seen, port: (server.address() as AddressInfo).port };
}

function pool(idleMs?: number): ReceiverConnections {
  const c = new ReceiverConnections(idleMs);
  closers.push(() => c.close());
  return c;
}

const post = (url: string): PostRequest => ({ url, body: '{"type":"user.created"}', headers: { 'content-type': 'application/json' }, timeoutMs: 5_000 });

/** A guard whose resolver answers `answers.now` for every name, and that forbids only `forbidden`. */
class TestGuard extends AddressGuard {
  answers: { now: string[] } = { now: [] };
  constructor(private readonly refused: string[]) {
    super(false, async () => this.answers.now.map((address): LookupAddress => ({ address, family: 4 })));
  }
  override isForbidden(address: string): boolean {
    return this.refused.includes(address);
  }
}

describe('kept-alive connections', () => {
  it('many deliveries to one receiver share one connection', async () => {
    const rx = await receiver();
    const c = pool();
    for (let i = 0; i < 10; i++) {
      expect(await postWebhook(post(`http://127.0.0.1:${rx.port}/hook`), new AddressGuard(true), c)).toMatchObject({ kind: 'response', status: 204 });
    }
    expect(rx.seen.requests).toBe(10);
    expect(rx.seen.connections).toBe(1);
  });

  it('every delivery checks the name again: one that moved to a forbidden address is refused, the open connection notwithstanding', async () => {
    const rx = await receiver();
    const guard = new TestGuard(['127.0.0.3']);
    guard.answers.now = ['127.0.0.1'];
    const c = pool();
    const url = `http://hooks.example.test:${rx.port}/hook`;
    expect(await postWebhook(post(url), guard, c)).toMatchObject({ kind: 'response', status: 204 });
    guard.answers.now = ['127.0.0.3'];
    expect(await postWebhook(post(url), guard, c)).toEqual({ kind: 'error', error: 'This address is not allowed.', forbidden: true });
    // One forbidden answer among allowed ones refuses the name as well.
    guard.answers.now = ['127.0.0.1', '127.0.0.3'];
    expect(await postWebhook(post(url), guard, c)).toMatchObject({ kind: 'error', forbidden: true });
    expect(rx.seen.requests).toBe(1);
  });

  it('a connection goes to an address the check allowed, with the name in Host', async () => {
    const a = await receiver('127.0.0.1');
    const b = await receiver('127.0.0.2', a.port);
    const guard = new TestGuard([]);
    guard.answers.now = ['127.0.0.2'];
    const url = `http://hooks.example.test:${a.port}/hook`;
    expect(await postWebhook(post(url), guard, pool())).toMatchObject({ kind: 'response', status: 204 });
    expect([a.seen.requests, b.seen.requests]).toEqual([0, 1]);
    expect(b.seen.hosts).toEqual([`hooks.example.test:${a.port}`]);
  });

  it('a kept connection the receiver dropped as it was reused is replaced: no failed attempt', async () => {
    // Answers the first request of each connection (keeping it open, with no Keep-Alive hint)
    // and resets the connection on a second one, as a receiver closing an idle connection
    // at the moment it is reused would.
    let requests = 0;
    let resets = 0;
    const server = net.createServer((socket) => {
      let served = 0;
      let buffered = '';
      socket.on('data', (d) => {
        buffered += d.toString('latin1');
        while (buffered.includes('\r\n\r\n')) {
          const end = buffered.indexOf('\r\n\r\n') + 4;
          const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
          if (buffered.length < end + length) return;
          buffered = buffered.slice(end + length);
          requests += 1;
          if (served++ > 0) {
            resets += 1;
            socket.resetAndDestroy();
            return;
          }
          socket.write('HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\n\r\n');
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as AddressInfo).port;
    const c = pool();
    const guard = new AddressGuard(true);
    expect(await postWebhook(post(`http://127.0.0.1:${port}/a`), guard, c)).toMatchObject({ kind: 'response', status: 204 });
    expect(await postWebhook(post(`http://127.0.0.1:${port}/b`), guard, c)).toMatchObject({ kind: 'response', status: 204 });
    expect({ requests, resets }).toEqual({ requests: 3, resets: 1 });
  });

  it('a receiver that refuses a fresh connection is a failed attempt, not a retry loop', async () => {
    const server = net.createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const r = await postWebhook(post(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`), new AddressGuard(true), pool());
    expect(r).toMatchObject({ kind: 'error', forbidden: false });
    expect((r as { error: string }).error).toMatch(/^ECONNRESET/);
  });

  it('an answer slower than the idle limit is still waited for, within the deadline', async () => {
    const rx = await receiver('127.0.0.1', 0, (res) => setTimeout(() => res.writeHead(200).end('late'), 400));
    const r = await postWebhook(post(`http://127.0.0.1:${rx.port}/slow`), new AddressGuard(true), pool(100));
    expect(r).toMatchObject({ kind: 'response', status: 200, head: 'late' });
  });

  it('the deadline covers a name that never resolves', async () => {
    const guard = new AddressGuard(false, () => new Promise<LookupAddress[]>(() => {}));
    const started = Date.now();
    const r = await postWebhook({ ...post('http://stuck.example.test/'), timeoutMs: 300 }, guard, pool());
    expect(r).toEqual({ kind: 'error', error: 'No response within 0 seconds.', forbidden: false });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
