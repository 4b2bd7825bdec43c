// Delivery over real HTTP (events.md §3): the signed request, retries and their schedule,
// Retry-After, 410, the 5-day rule, redirects, the read limit, order per endpoint, a hanging
// receiver, and the address guard at delivery time. Time is moved with a clock seam; every
// request is a real one to a node:http receiver.
import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { BY, OffsetClock, Receiver, cleanupAfterEach, freshStore, makeEvents, someUser, waitFor, type TestStore } from './support.js';
import type { Events } from '../../../src/core/events/index.js';
import { RETRY_DELAYS_MS } from '../../../src/core/events/schedule.js';
import { ServiceUnavailable } from '../../../src/errors.js';
import type { Database } from '../../../src/store/schema.js';
import type { Kysely } from 'kysely';

let s: TestStore;
beforeAll(async () => {
  s = await freshStore();
});
const cleanups = cleanupAfterEach(async () => {
  await s.db.deleteFrom('webhook_endpoints').execute();
  await s.db.deleteFrom('events').execute();
  await s.db.deleteFrom('audit_log').execute();
});
afterAll(async () => {
  await s?.close();
});

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().start();
  cleanups.push(() => r.close());
  return r;
}

function started(over: Parameters<typeof makeEvents>[2] = {}) {
  const made = makeEvents(s.db, s.dialect, over);
  made.events.start();
  cleanups.push(() => made.events.stop());
  return made;
}

async function endpoint(events: Events, url: string, types: string[] = ['*']) {
  const r = await events.endpoints.create({ url, events: types }, BY);
  if (!r.ok) throw new Error(JSON.stringify(r));
  return r.endpoint;
}

function delivery(eventId: string, endpointId: string) {
  return s.db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', eventId).where('endpoint_id', '=', endpointId).executeTakeFirstOrThrow();
}

/** HMAC as the Standard Webhooks spec gives it, computed here independently of the code under test. */
function expectedSignature(secret: string, id: string, ts: string, body: string): string {
  return 'v1,' + createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${ts}.${body}`).digest('base64');
}

describe('the request', () => {
  it('is a POST of the envelope, signed so that the standardwebhooks library verifies it', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 200, body: 'thanks' });
    const { events, registry } = started();
    const ep = await endpoint(events, rx.url('/in?x=1'));
    const user = someUser();
    const e = await events.outbox.record(s.db, { type: 'user.created', user, surface: 'users' });
    await waitFor(() => rx.requests.length === 1, 5000, 'the delivery');
    const got = rx.requests[0];
    expect(got.path).toBe('/in?x=1');
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe('Gatehouse-Webhooks/0.1.0');
    expect(got.headers['webhook-id']).toBe(e.id);
    expect(Math.abs(Number(got.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    const stored = await s.db.selectFrom('events').select('body').where('id', '=', e.id).executeTakeFirstOrThrow();
    expect(got.body).toBe(stored.body);
    const verified = new Webhook(ep.secret).verify(got.body, got.headers as Record<string, string>) as any;
    expect(verified).toMatchObject({ type: 'user.created', data: { user: { id: user.id }, surface: 'users' } });
    expect(() => new Webhook(ep.secret).verify(got.body.replace('users', 'v1'), got.headers as Record<string, string>)).toThrow();

    await waitFor(async () => (await delivery(e.id, ep.id)).status === 'succeeded', 5000, 'the outcome');
    expect(await delivery(e.id, ep.id)).toMatchObject({ attempts: 1, last_status_code: 200, last_error: null, last_response: 'thanks', next_attempt_at: null, lease_owner: null });
    expect(await registry.metrics()).toContain('gatehouse_webhook_deliveries_total{result="succeeded"} 1');
  });

  it('during a rotation carries both signatures; after 24 hours only the new one', async () => {
    const rx = await receiver();
    const clock = new OffsetClock();
    const { events } = started({ clock });
    const ep = await endpoint(events, rx.url());
    const rotated = await events.endpoints.rotateSecret(ep.id, BY);
    if (!rotated.ok) throw new Error('rotate');
    await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => rx.requests.length === 1, 5000, 'the delivery');
    const first = rx.requests[0];
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [ep.secret, rotated.secret]) {
      expect(() => new Webhook(secret).verify(first.body, first.headers as Record<string, string>)).not.toThrow();
    }

    clock.advance(24 * 3600 * 1000 + 1000);
    await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => rx.requests.length === 2, 5000, 'the second delivery');
    const second = rx.requests[1];
    const id = String(second.headers['webhook-id']);
    const ts = String(second.headers['webhook-timestamp']);
    expect(second.headers['webhook-signature']).toBe(expectedSignature(rotated.secret, id, ts, second.body));
  });

  it('to a receiver that answers slowly or never, ends after 10 s and never delays another endpoint', async () => {
    const hanging = await receiver();
    hanging.reply = () => 'hang';
    const quick = await receiver();
    const { events } = started();
    const slow = await endpoint(events, hanging.url());
    await endpoint(events, quick.url());
    const recorded: Array<{ id: string }> = [];
    for (let i = 0; i < 3; i++) recorded.push(await events.outbox.record(s.db, { type: 'user.updated', user: someUser(), changed: ['email'] }));
    await waitFor(() => quick.requests.length === 3, 8000, 'the quick endpoint');
    // Everything reached the quick receiver while the first request to the slow one still hangs.
    expect(hanging.requests).toHaveLength(1);
    expect(hanging.hanging[0].writableEnded).toBe(false);
    expect(quick.ids()).toEqual(recorded.map((e) => e.id));

    await waitFor(async () => (await delivery(recorded[0].id, slow.id)).attempts === 1, 15_000, 'the deadline');
    expect(await delivery(recorded[0].id, slow.id)).toMatchObject({ status: 'pending', last_status_code: null, last_error: 'No response within 10 seconds.' });
  }, 30_000);
});

describe('retries', () => {
  it('follow 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (±10%), then the delivery is failed', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 500, body: 'broken' });
    const clock = new OffsetClock();
    const { events, registry } = started({ clock });
    const ep = await endpoint(events, rx.url());
    const e = await events.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'v1' });
    for (let attempt = 1; attempt <= 8; attempt++) {
      await waitFor(async () => (await delivery(e.id, ep.id)).attempts === attempt, 5000, `attempt ${attempt}`);
      const d = await delivery(e.id, ep.id);
      expect(d).toMatchObject({ last_status_code: 500, last_error: 'HTTP 500', last_response: 'broken', lease_owner: null });
      if (attempt < 8) {
        expect(d.status).toBe('pending');
        const wait = (d.next_attempt_at! - d.updated) / 1000;
        expect(wait).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[attempt - 1] * 0.9 - 1);
        expect(wait).toBeLessThanOrEqual(RETRY_DELAYS_MS[attempt - 1] * 1.1 + 1);
        // Not attempted before its time.
        expect(rx.requests).toHaveLength(attempt);
        clock.advanceTo(d.next_attempt_at!);
      } else {
        expect(d).toMatchObject({ status: 'failed', next_attempt_at: null });
      }
    }
    expect(new Set(rx.ids())).toEqual(new Set([e.id]));
    expect(rx.requests).toHaveLength(8);
    // Each attempt is signed afresh, with its own timestamp.
    for (const r of rx.requests) {
      expect(r.headers['webhook-signature']).toBe(expectedSignature(ep.secret, e.id, String(r.headers['webhook-timestamp']), r.body));
    }
    const metrics = await registry.metrics();
    expect(metrics).toContain('gatehouse_webhook_deliveries_total{result="retry"} 7');
    expect(metrics).toContain('gatehouse_webhook_deliveries_total{result="failed"} 1');
    const row = await s.db.selectFrom('webhook_endpoints').select(['enabled', 'failing_since']).where('id', '=', ep.id).executeTakeFirstOrThrow();
    expect(row.enabled).toBe(1);
    expect(row.failing_since).not.toBeNull();
  });

  it('honour a longer Retry-After on 503 and 429 (at most 24 h), not a shorter one', async () => {
    const rx = await receiver();
    const clock = new OffsetClock();
    const { events } = started({ clock });
    const cases: Array<[number, () => string, number, number]> = [
      [503, () => '7200', 7200e3, 7200e3],
      [429, () => new Date(clock.now() / 1000 + 3 * 3600e3).toUTCString(), 3 * 3600e3 - 2000, 3 * 3600e3],
      [503, () => '2', 4500, 5500],
      [429, () => String(10 * 86400), 86400e3, 86400e3],
      [500, () => '7200', 4500, 5500],
    ];
    for (const [status, header, min, max] of cases) {
      rx.reply = () => ({ status, headers: { 'retry-after': header() } });
      const ep = await endpoint(events, rx.url());
      const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
      await waitFor(async () => (await delivery(e.id, ep.id)).attempts === 1, 5000, `${status} ${header()}`);
      const d = await delivery(e.id, ep.id);
      const wait = (d.next_attempt_at! - d.updated) / 1000;
      expect(wait, `${status}`).toBeGreaterThanOrEqual(min - 1);
      expect(wait, `${status}`).toBeLessThanOrEqual(max + 1);
      await events.endpoints.remove(ep.id, BY);
    }
  });

  it('a 410 disables the endpoint at once (audit webhook.disabled)', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 410, body: 'gone' });
    const { events } = started();
    const ep = await endpoint(events, rx.url());
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e.id, ep.id)).status === 'failed', 5000, 'the 410');
    expect(await delivery(e.id, ep.id)).toMatchObject({ attempts: 1, last_status_code: 410, next_attempt_at: null });
    const after = await events.endpoints.get(ep.id);
    expect(after?.enabled).toBe(false);
    expect(after?.failing_since).not.toBeNull();
    const audit = await s.db.selectFrom('audit_log').selectAll().where('event', '=', 'webhook.disabled').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0].surface).toBe('system');
    expect(JSON.parse(audit[0].details)).toMatchObject({ endpoint: ep.id, reason: 'gone' });
    const later = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    expect(later.deliveries).toBe(0);
    expect((await events.endpoints.retry(ep.id, (await delivery(e.id, ep.id)).id)).ok).toBe(true);
    expect(await delivery(e.id, ep.id)).toMatchObject({ status: 'pending', next_attempt_at: null });
  });

  it('an endpoint whose deliveries all failed for 5 days is disabled; a success ends the streak', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 500 });
    const clock = new OffsetClock();
    const { events } = started({ clock });
    const ep = await endpoint(events, rx.url());
    const record = () => events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    const e1 = await record();
    await waitFor(async () => (await delivery(e1.id, ep.id)).attempts === 1, 5000, 'the first failure');
    const since = (await events.endpoints.get(ep.id))!.failing_since;
    expect(since).not.toBeNull();

    clock.advance(4 * 86400e3);
    const e2 = await record();
    await waitFor(async () => (await delivery(e2.id, ep.id)).attempts === 1, 5000, 'a failure on day 4');
    expect(await events.endpoints.get(ep.id)).toMatchObject({ enabled: true, failing_since: since });

    // The next failure (the retries of the first events come first, in order) disables it.
    clock.advance(86400e3);
    await record();
    await waitFor(async () => (await events.endpoints.get(ep.id))?.enabled === false, 5000, 'the endpoint disabled');
    expect((await events.endpoints.get(ep.id))?.failing_since).toBe(since);
    const audit = await s.db.selectFrom('audit_log').selectAll().where('event', '=', 'webhook.disabled').executeTakeFirstOrThrow();
    expect(JSON.parse(audit.details)).toEqual({ endpoint: ep.id, reason: 'failing', failing_since: since });

    // Re-enabled by the admin, it starts afresh, and a success keeps it clean.
    rx.reply = () => ({ status: 204 });
    const u = await events.endpoints.update(ep.id, { enabled: true }, BY);
    expect(u.ok && u.endpoint.failing_since).toBeNull();
    const e4 = await record();
    await waitFor(async () => (await delivery(e4.id, ep.id)).status === 'succeeded', 5000, 'a success');
    expect((await events.endpoints.get(ep.id))?.failing_since).toBeNull();
  });

  it('the waiting deliveries of a disabled endpoint are parked, and resume in order once it is enabled', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 500 });
    const clock = new OffsetClock();
    const { events } = started({ clock });
    const ep = await endpoint(events, rx.url());
    const e1 = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    const e2 = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e2.id, ep.id)).attempts === 1, 5000, 'the first attempts');
    await events.endpoints.update(ep.id, { enabled: false }, BY);
    const listed = await events.endpoints.deliveries(ep.id, { status: 'pending', offset: 0, limit: 10 });
    expect(listed.ok && listed.results.map((d) => [d.event_id, d.next_attempt_at])).toEqual([[e2.id, null], [e1.id, null]]);
    // A retry asked for while it is disabled waits too.
    expect((await events.endpoints.retry(ep.id, (await delivery(e1.id, ep.id)).id)).ok).toBe(true);
    expect((await delivery(e1.id, ep.id)).next_attempt_at).toBeNull();
    clock.advance(3600e3);
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.requests).toHaveLength(2);

    rx.reply = () => ({ status: 200 });
    await events.endpoints.update(ep.id, { enabled: true }, BY);
    await waitFor(async () => (await delivery(e2.id, ep.id)).status === 'succeeded', 5000, 'the parked deliveries');
    expect(rx.ids().slice(2)).toEqual([e1.id, e2.id]);
  });

  it('a manual retry sends a failed delivery again now', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 500 });
    const { events } = started({ worker: { pollMs: 100, retryDelaysMs: [] } });
    const ep = await endpoint(events, rx.url());
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e.id, ep.id)).status === 'failed', 5000, 'the failure');
    rx.reply = () => ({ status: 202 });
    const d = await delivery(e.id, ep.id);
    expect((await events.endpoints.retry(ep.id, d.id)).ok).toBe(true);
    await waitFor(async () => (await delivery(e.id, ep.id)).status === 'succeeded', 5000, 'the retry');
    expect(rx.ids()).toEqual([e.id, e.id]);
  });
});

describe('answers that are not a plain success', () => {
  it('a redirect is a failure and is not followed', async () => {
    const rx = await receiver();
    rx.reply = (r) => (r.path === '/hook' ? { status: 302, headers: { location: rx.url('/elsewhere') } } : { status: 200 });
    const { events } = started();
    const ep = await endpoint(events, rx.url());
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e.id, ep.id)).attempts === 1, 5000, 'the attempt');
    expect(await delivery(e.id, ep.id)).toMatchObject({ status: 'pending', last_status_code: 302, last_error: 'Redirects are not followed (HTTP 302).' });
    expect(rx.requests.map((r) => r.path)).toEqual(['/hook']);
  });

  it('reads at most 64 KiB of the answer and keeps the first 1 KiB', async () => {
    let finished = false;
    let closedEarly = false;
    let written = 0;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.on('finish', () => (finished = true));
        res.on('close', () => (closedEarly = !finished));
        const chunk = Buffer.alloc(64 * 1024, 'b');
        chunk.fill('a', 0, 1024);
        const pump = () => {
          // 64 MiB: far more than the socket buffers between us can hold.
          while (written < 64 * 1024 * 1024 && !res.destroyed) {
            written += chunk.length;
            const more = res.write(written === chunk.length ? chunk : Buffer.alloc(chunk.length, 'b'));
            if (!more) return res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        pump();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
    const { events } = started();
    const ep = await endpoint(events, `http://127.0.0.1:${(server.address() as AddressInfo).port}/big`);
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e.id, ep.id)).status === 'succeeded', 8000, 'the delivery');
    const d = await delivery(e.id, ep.id);
    expect(d.last_response).toBe('a'.repeat(1024));
    await waitFor(() => closedEarly, 5000, 'the receiver to see the hang-up');
    expect(finished).toBe(false);
  });

  it('keeps the connection to a receiver between deliveries', async () => {
    const rx = await receiver();
    const { events } = started();
    await endpoint(events, rx.url());
    for (let i = 0; i < 5; i++) await events.outbox.record(s.db, { type: 'user.updated', user: someUser(), changed: ['full_name'] });
    await waitFor(() => rx.requests.length >= 5, 10_000, 'all deliveries');
    expect(rx.connections).toBe(1);
  });

  it('delivers in order per endpoint', async () => {
    const rx = await receiver();
    const { events } = started();
    await endpoint(events, rx.url());
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push((await events.outbox.record(s.db, { type: 'user.updated', user: someUser(), changed: ['full_name'] })).id);
    await waitFor(() => rx.requests.length >= 25, 10_000, 'all deliveries');
    expect(rx.ids()).toEqual(ids);
  });

  it('a test event goes to its endpoint only, even a disabled one', async () => {
    const a = await receiver();
    const b = await receiver();
    const { events } = started();
    const epA = await endpoint(events, a.url());
    await endpoint(events, b.url());
    await events.endpoints.update(epA.id, { enabled: false }, BY);
    const t = await events.endpoints.sendTest(epA.id);
    if (!t.ok) throw new Error('test');
    await waitFor(() => a.requests.length === 1, 5000, 'the test event');
    expect(JSON.parse(a.requests[0].body)).toMatchObject({ type: 'webhook.test', data: {} });
    await waitFor(async () => (await delivery(t.eventId, epA.id)).status === 'succeeded', 5000, 'its outcome');
    expect(b.requests).toEqual([]);
  });
});

describe('recording outcomes', () => {
  /** Makes recording an outcome (an UPDATE of `status`) of `endpointId`'s deliveries fail. */
  async function failOutcomesOf(endpointId: string): Promise<() => Promise<void>> {
    if (s.dialect === 'postgres') {
      await sql.raw(`create function gh_fail_outcome() returns trigger language plpgsql as $$ begin raise exception 'forced failure of the outcome'; end $$`).execute(s.db);
      await sql.raw(`create trigger gh_fail_outcome before update of status on webhook_deliveries for each row when (new.endpoint_id = '${endpointId}') execute function gh_fail_outcome()`).execute(s.db);
      return async () => {
        await sql`drop trigger gh_fail_outcome on webhook_deliveries`.execute(s.db);
        await sql`drop function gh_fail_outcome()`.execute(s.db);
      };
    }
    await sql.raw(`create trigger gh_fail_outcome before update of status on webhook_deliveries when new.endpoint_id = '${endpointId}' begin select raise(abort, 'forced failure of the outcome'); end`).execute(s.db);
    return async () => {
      await sql`drop trigger gh_fail_outcome`.execute(s.db);
    };
  }

  it('outcomes that arrive together are recorded together, and one that cannot be written does not hold back the others', async () => {
    const rx = await receiver();
    rx.reply = () => 'hang';
    const { events } = started();
    const bad = await endpoint(events, rx.url('/bad'));
    const good = await Promise.all([1, 2, 3].map((i) => endpoint(events, rx.url(`/good${i}`))));
    cleanups.push(await failOutcomesOf(bad.id));
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => rx.hanging.length === 4, 5000, 'the four requests');
    // The four answers leave at once, so their outcomes reach the worker together.
    for (const res of rx.hanging.splice(0)) res.writeHead(204).end();
    for (const ep of good) await waitFor(async () => (await delivery(e.id, ep.id)).status === 'succeeded', 5000, 'the good outcomes');
    // The one that could not be written keeps its claim until the lease runs out; nothing was recorded.
    expect(await delivery(e.id, bad.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await delivery(e.id, bad.id)).lease_owner).not.toBeNull();
  });

  it('a database that does not answer fails the whole batch at once, without trying each outcome again', async () => {
    const rx = await receiver();
    rx.reply = () => 'hang';
    // The worker's database: while `down`, every transaction fails as the store fails when the
    // database does not answer within its deadline.
    let down = false;
    let transactions = 0;
    const db = new Proxy(s.db, {
      get(target, prop) {
        if (prop === 'transaction' && down) {
          return () => {
            transactions++;
            return { execute: async () => Promise.reject(new ServiceUnavailable('database', 'timeout')) };
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Kysely<Database>;
    const made = makeEvents(db, s.dialect);
    made.events.start();
    cleanups.push(() => made.events.stop());
    const eps = await Promise.all([1, 2, 3, 4].map((i) => endpoint(made.events, rx.url(`/ep${i}`))));
    const e = await made.events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => rx.hanging.length === 4, 5000, 'the four requests');
    // Nothing due for a day, so the worker starts no claim meanwhile: what is counted is the
    // outcomes' transactions. (An outcome is written by delivery id and claim, whatever this says.)
    await s.db.updateTable('webhook_deliveries').set({ next_attempt_at: Date.now() * 1000 + 86_400_000_000 }).execute();
    down = true;
    for (const res of rx.hanging.splice(0)) res.writeHead(204).end();
    await waitFor(() => transactions >= 1, 5000, 'the batch');
    // Long enough for the worker to have tried each outcome on its own (it would be at once).
    await new Promise((r) => setTimeout(r, 300));
    down = false;
    expect(transactions).toBe(1);
    for (const ep of eps) expect(await delivery(e.id, ep.id)).toMatchObject({ status: 'pending', attempts: 0 });
  });
});

describe('stopping', () => {
  it('lets an attempt in flight finish within the grace time', async () => {
    const rx = await receiver();
    rx.reply = () => ({ status: 200, delayMs: 300 });
    const { events } = makeEvents(s.db, s.dialect, { worker: { pollMs: 100, stopGraceMs: 5000 } });
    events.start();
    const ep = await endpoint(events, rx.url());
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => rx.requests.length === 1, 5000, 'the request');
    await events.stop();
    expect(await delivery(e.id, ep.id)).toMatchObject({ status: 'succeeded', attempts: 1, lease_owner: null });
  });

  it('cuts one that outlasts the grace time and gives its claim back, uncounted', async () => {
    const rx = await receiver();
    rx.reply = () => 'hang';
    const { events } = makeEvents(s.db, s.dialect, { worker: { pollMs: 100, stopGraceMs: 200 } });
    events.start();
    const ep = await endpoint(events, rx.url());
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(() => rx.hanging.length === 1, 5000, 'the request');
    expect((await delivery(e.id, ep.id)).lease_owner).not.toBeNull();
    await events.stop();
    expect(await delivery(e.id, ep.id)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null, lease_until: null });
    // Another worker takes it at once.
    rx.reply = () => ({ status: 204 });
    started();
    await waitFor(async () => (await delivery(e.id, ep.id)).status === 'succeeded', 5000, 'the next worker');
  });
});

describe('the address guard at delivery (DNS can change)', () => {
  it.each([['127.0.0.1'], ['::ffff:127.0.0.1']])('refuses a name that now resolves to %s, without connecting', async (answer) => {
    const rx = await receiver();
    let answers = ['93.184.216.34'];
    const resolver = async () => answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    const { events } = started({ resolver, config: { webhookAllowPrivate: false, webhookAllowHttp: true } });
    const ep = await endpoint(events, `http://hooks.example.test:${rx.port}/hook`);
    answers = [answer];
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e.id, ep.id)).attempts === 1, 5000, 'the attempt');
    expect(await delivery(e.id, ep.id)).toMatchObject({ status: 'pending', last_status_code: null, last_error: 'This address is not allowed.' });
    expect(rx.requests).toEqual([]);
  });

  it('refuses a literal private address saved while private addresses were allowed', async () => {
    const rx = await receiver();
    const lax = makeEvents(s.db, s.dialect).events;
    const ep = await endpoint(lax, rx.url());
    const { events } = started({ config: { webhookAllowPrivate: false } });
    const e = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    await waitFor(async () => (await delivery(e.id, ep.id)).attempts === 1, 5000, 'the attempt');
    expect((await delivery(e.id, ep.id)).last_error).toBe('This address is not allowed.');
    expect(rx.requests).toEqual([]);
  });
});
