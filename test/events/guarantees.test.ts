// The guarantees of events.md, over HTTP against a running app: a change that rolls back leaves
// no event (and ends no session); no answer waits for a receiver and a hanging receiver delays
// only itself (cut off after 10 s); failures are retried, a 410 disables, redirects are not
// followed; the address guard holds again at delivery time (a name that resolves elsewhere
// later); two instances on PostgreSQL deliver each event exactly once; the metrics of §5; and
// `gatehouse events replay` for a receiver that lost data.
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/store/schema.js';
import { startSibling, usingPostgres } from '../helpers/app.js';
import { cleanEnv, requireBuild, runCli } from '../helpers/cli.js';
import { request } from '../helpers/http.js';
import { PASSWORD, QUICK_RETRIES, SignedReceiver, type TestApp, addEndpoint, api, appWithReceiver, register, startEventsApp, superuser, waitFor } from './support.js';

const V1 = '/v1/user/';

async function knox(app: TestApp, email: string): Promise<string> {
  const r = await request(app.url, 'POST', V1 + 'login-knox/', { json: { email, password: PASSWORD } });
  expect(r.status, r.text).toBe(200);
  return r.json.token;
}

const mock = (app: TestApp, token: string) => request(app.url, 'GET', V1 + 'mock-login/', { headers: { authorization: `Token ${token}` } });

/** Makes every write of a delivery for an event whose body holds `marker` fail: a failure after the change, inside its transaction. */
async function failAfterTheChange(db: Kysely<Database>, marker: string): Promise<() => Promise<void>> {
  if (usingPostgres) {
    await sql.raw(`create function gh_test_fail() returns trigger language plpgsql as $$ begin
      if (select body from events where id = new.event_id) like '%${marker}%' then raise exception 'forced failure after the change'; end if;
      return new; end $$`).execute(db);
    await sql`create trigger gh_test_fail before insert on webhook_deliveries for each row execute function gh_test_fail()`.execute(db);
    return async () => {
      await sql`drop trigger gh_test_fail on webhook_deliveries`.execute(db);
      await sql`drop function gh_test_fail()`.execute(db);
    };
  }
  await sql.raw(`create trigger gh_test_fail before insert on webhook_deliveries
    when (select body from events where id = new.event_id) like '%${marker}%'
    begin select raise(abort, 'forced failure after the change'); end`).execute(db);
  return async () => {
    await sql`drop trigger gh_test_fail`.execute(db);
  };
}

/**
 * Makes every insert into `table` whose row matches `when` (SQL over NEW) fail: the credential
 * write of a login, inside the transaction that records the login's success.
 */
async function failInserts(db: Kysely<Database>, table: string, when: string): Promise<() => Promise<void>> {
  if (usingPostgres) {
    await sql.raw(`create function gh_test_fail_insert() returns trigger language plpgsql as $$ begin
      if ${when} then raise exception 'forced failure of the credential'; end if;
      return new; end $$`).execute(db);
    await sql.raw(`create trigger gh_test_fail_insert before insert on ${table} for each row execute function gh_test_fail_insert()`).execute(db);
    return async () => {
      await sql.raw(`drop trigger gh_test_fail_insert on ${table}`).execute(db);
      await sql`drop function gh_test_fail_insert()`.execute(db);
    };
  }
  await sql.raw(`create trigger gh_test_fail_insert before insert on ${table} when ${when} begin select raise(abort, 'forced failure of the credential'); end`).execute(db);
  return async () => {
    await sql`drop trigger gh_test_fail_insert`.execute(db);
  };
}

describe('a change that rolls back leaves no event', () => {
  const fx = appWithReceiver();
  beforeAll(async () => {
    const ep = await addEndpoint(fx.t, fx.root, { url: fx.rx.url('/all'), events: ['*'] });
    fx.rx.trust('/all', ep.secret);
  });

  it('registration, update, revoke-all and deletion: the change, its audit entry and its event go together', async () => {
    const { t, rx, root } = fx;
    const marker = 'rollbackmarker';
    const survivor = await register(t);
    expect(survivor.status).toBe(201);
    const token = await knox(t, survivor.email);
    const undo = await failAfterTheChange(t.ctx.db, marker);
    try {
      // A registration whose event cannot be written: no account.
      const reg = await request(t.url, 'POST', V1 + 'register/', { json: { email: `${marker}@example.com`, username: marker, password: PASSWORD, confirm_password: PASSWORD } });
      expect(reg.status).toBe(500);
      expect(await t.ctx.accounts.byEmail(`${marker}@example.com`)).toBeUndefined();
      // An update: the row keeps its old value.
      const upd = await request(t.url, 'PUT', V1 + 'me/', { headers: { authorization: `Token ${token}` }, json: { username: `${marker}-x` } });
      expect(upd.status).toBe(500);
      expect((await request(t.url, 'GET', V1 + 'me/', { headers: { authorization: `Token ${token}` } })).json.username).not.toContain(marker);
      // A user whose snapshot carries the marker: revoke-all and deletion roll back, and with
      // them the ending of every session: the token still works.
      await t.ctx.db.updateTable('users').set({ full_name: marker }).where('id', '=', survivor.id).execute();
      expect((await api(t, 'POST', `/admin/api/users/${survivor.id}/revoke-sessions/`, root)).status).toBe(500);
      expect((await mock(t, token)).status).toBe(200);
      expect((await request(t.url, 'DELETE', V1 + 'me/', { headers: { authorization: `Token ${token}` }, json: { password: PASSWORD } })).status).toBe(500);
      expect(await t.ctx.accounts.byId(survivor.id)).toBeDefined();
      expect((await mock(t, token)).status).toBe(200);
      const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', survivor.id).execute();
      expect(audit.map((a) => a.event)).toEqual(['user.register', 'login.success']);
      expect(await t.ctx.db.selectFrom('audit_log').select('event').where('user_email', 'like', `%${marker}%`).execute()).toEqual([]);
    } finally {
      await undo();
    }
    const stored = await t.ctx.db.selectFrom('events').select('body').execute();
    expect(stored.filter((e) => e.body.includes(marker))).toEqual([]);
    // Nothing of it was delivered; what happens next is.
    await t.ctx.db.updateTable('users').set({ full_name: 'Back to normal' }).where('id', '=', survivor.id).execute();
    expect((await request(t.url, 'DELETE', V1 + 'me/', { headers: { authorization: `Token ${token}` }, json: { password: PASSWORD } })).status).toBe(204);
    await rx.one('user.deleted', survivor.id, '/all');
    expect(rx.delivered.filter((d) => d.body.includes(marker))).toEqual([]);
    expect(rx.of('user.updated', { userId: survivor.id })).toEqual([]);
    expect(rx.of('session.revoked', { userId: survivor.id })).toEqual([]);
  });
  it('a login whose credential cannot be written: no login.success, no session.created, no last_login, the slot given back', async () => {
    const { t, rx } = fx;
    const who = await register(t);
    expect(who.status).toBe(201);
    const user = (await t.ctx.accounts.byId(who.id))!;
    const successes = async () => (await t.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', who.id).where('event', '=', 'login.success').execute()).length;
    const sessionEvents = async () => (await t.ctx.db.selectFrom('events').select('body').where('type', '=', 'session.created').execute()).filter((e) => e.body.includes(who.id)).length;
    const byEmail = { email: who.email, password: PASSWORD };
    const cases = [
      { table: 'knox_tokens', when: `new.user_number = ${user.number}`, path: V1 + 'login-knox/', json: byEmail },
      { table: 'jwt_tokens', when: `new.user_id = '${who.id}'`, path: V1 + 'login-jwt/', json: byEmail },
      // The other surfaces' logins go through the same core login with their own credential.
      { table: 'jwt_tokens', when: `new.user_id = '${who.id}'`, path: '/api/user/login', json: byEmail },
      { table: 'jwt_tokens', when: `new.user_id = '${who.id}'`, path: '/user_account/login', json: { username: user.username, pwd: PASSWORD } },
      { table: 'account_tokens', when: `new.user_number = ${user.number}`, path: '/account/login', json: { username: user.username, password: PASSWORD } },
    ];
    for (const c of cases) {
      const undo = await failInserts(t.ctx.db, c.table, c.when);
      try {
        // Several at once: none of them leaves a success behind, and none holds a slot after.
        const answers = await Promise.all(Array.from({ length: 3 }, () => request(t.url, 'POST', c.path, { json: c.json })));
        expect(answers.map((a) => a.status), c.path).toEqual([500, 500, 500]);
      } finally {
        await undo();
      }
      expect(await successes()).toBe(0);
      expect(await sessionEvents()).toBe(0);
      const row = (await t.ctx.accounts.byId(who.id))!;
      expect({ last_login: row.last_login, failed_logins: row.failed_logins, login_pending: row.login_pending }).toEqual({ last_login: null, failed_logins: 0, login_pending: 0 });
    }
    // Once the credential can be written, the login works at once (no slot was left held) and
    // its success, event and token commit together.
    const ok = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: who.email, password: PASSWORD } });
    expect(ok.status).toBe(200);
    expect((await mock(t, ok.json.token)).status).toBe(200);
    expect(await successes()).toBe(1);
    await rx.one('session.created', who.id, '/all');
  });
});

describe('delivery never waits on the request path; each endpoint on its own', () => {
  // The first retry after 2 s, so a test can look at an attempt before the next one.
  const fx = appWithReceiver({ worker: { retryDelaysMs: [2000, ...QUICK_RETRIES.slice(1)] } });
  afterEach(() => {
    fx.rx.answer = () => undefined;
  });

  it('a hanging receiver: the answer comes, other endpoints get their events, and the attempt is cut after 10 s', async () => {
    const { t, rx, root } = fx;
    const slow = await addEndpoint(t, root, { url: rx.url('/hangs'), events: ['user.created'] });
    const quick = await addEndpoint(t, root, { url: rx.url('/quick'), events: ['user.created'] });
    rx.trust('/hangs', slow.secret);
    rx.trust('/quick', quick.secret);
    // The first request to /hangs is never answered.
    rx.answer = (r) => (r.path === '/hangs' && rx.delivered.filter((d) => d.path === '/hangs').length === 1 ? 'hang' : undefined);
    const first = await register(t);
    expect(first.status).toBe(201);
    await rx.one('user.created', first.id, '/quick');
    await waitFor(() => rx.hanging.length === 1, 10_000, 'the hanging request');
    // While that request still hangs: more answers, more deliveries elsewhere, and the next
    // event for that endpoint waits for the one in flight.
    const second = await register(t);
    expect(second.status).toBe(201);
    await rx.one('user.created', second.id, '/quick');
    expect(rx.of('user.created', { path: '/hangs' }).map((d) => d.data.user.id)).toEqual([first.id]);
    expect(rx.hanging[0].writableEnded).toBe(false);

    // Gatehouse gives up on it after 10 seconds and schedules it again; the next event is not
    // held up by a retry ("in order as far as retries allow").
    const cut = await waitFor(async () => {
      const page = (await api(t, 'GET', `/admin/api/webhooks/${slow.id}/deliveries/`, root)).json;
      return page.results.find((d: { event_id: string; last_error: string | null }) => d.last_error !== null);
    }, 20_000, 'the cut-off attempt');
    expect(cut).toMatchObject({ event_type: 'user.created', status: 'pending', attempts: 1, last_status_code: null, last_error: 'No response within 10 seconds.' });
    await waitFor(() => rx.acceptedIds('/hangs').size === 2, 10_000, 'both events at the recovered endpoint');
    const accepted = rx.delivered.filter((d) => d.path === '/hangs' && d.status === 204);
    expect(new Set(accepted.map((d) => d.data.user.id))).toEqual(new Set([first.id, second.id]));
    // The receiver has sent its 204; Gatehouse records the outcome once the answer reaches it.
    const retried = await waitFor(async () => {
      const page = (await api(t, 'GET', `/admin/api/webhooks/${slow.id}/deliveries/?status=succeeded`, root)).json;
      return page.results.find((d: { id: string }) => d.id === cut.id);
    }, 10_000, 'the retried delivery recorded as succeeded');
    expect(retried).toMatchObject({ attempts: 2, last_status_code: 204, last_error: null });
  }, 40_000);

  it('503s are retried until the receiver takes it; a 410 disables the endpoint; a redirect is a failure, never followed', async () => {
    const { t, rx, root } = fx;
    const flaky = await addEndpoint(t, root, { url: rx.url('/flaky'), events: ['user.created'] });
    const gone = await addEndpoint(t, root, { url: rx.url('/gone'), events: ['user.created'] });
    const moved = await addEndpoint(t, root, { url: rx.url('/moved'), events: ['user.created'] });
    for (const [p, e] of [['/flaky', flaky], ['/gone', gone], ['/moved', moved]] as const) rx.trust(p, e.secret);
    let flakyLeft = 2;
    rx.answer = (r) => {
      if (r.path === '/flaky' && flakyLeft > 0) {
        flakyLeft -= 1;
        return { status: 503, body: 'busy' };
      }
      if (r.path === '/gone') return { status: 410, body: 'g'.repeat(5000) };
      if (r.path === '/moved') return { status: 302, headers: { location: rx.url('/elsewhere') } };
      return undefined;
    };
    const u = await register(t);
    await waitFor(() => rx.acceptedIds('/flaky').size === 1, 10_000, 'the third attempt');
    const tries = rx.delivered.filter((d) => d.path === '/flaky');
    expect(tries.map((d) => d.status)).toEqual([503, 503, 204]);
    expect(new Set(tries.map((d) => d.id)).size).toBe(1);
    const flakyDelivery = await waitFor(async () => {
      const first = (await api(t, 'GET', `/admin/api/webhooks/${flaky.id}/deliveries/`, root)).json.results[0];
      return first?.status === 'succeeded' ? first : undefined;
    }, 10_000, 'the third attempt recorded');
    expect(flakyDelivery).toMatchObject({ status: 'succeeded', attempts: 3, last_status_code: 204 });

    await waitFor(async () => (await api(t, 'GET', `/admin/api/webhooks/${gone.id}/`, root)).json.enabled === false, 10_000, 'the 410 endpoint disabled');
    const goneDelivery = (await api(t, 'GET', `/admin/api/webhooks/${gone.id}/deliveries/`, root)).json.results[0];
    expect(goneDelivery).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410 });
    // The answer's first KiB is kept.
    expect(goneDelivery.last_response).toBe('g'.repeat(1024));
    const disabled = await t.ctx.db.selectFrom('audit_log').select(['event', 'surface', 'details']).where('event', '=', 'webhook.disabled').execute();
    expect(disabled.map((a) => JSON.parse(a.details).endpoint)).toContain(gone.id);

    const movedDelivery = await waitFor(async () => (await api(t, 'GET', `/admin/api/webhooks/${moved.id}/deliveries/`, root)).json.results.find((d: { attempts: number }) => d.attempts >= 1));
    expect(movedDelivery).toMatchObject({ last_status_code: 302, last_error: 'Redirects are not followed (HTTP 302).' });
    expect(rx.requests.some((r) => r.path === '/elsewhere')).toBe(false);
    expect(rx.of('user.created', { path: '/moved', userId: u.id }).length).toBeGreaterThan(0);
    await api(t, 'DELETE', `/admin/api/webhooks/${moved.id}/`, root);
  });
});

describe('the address guard at delivery time', () => {
  it('a name that resolved to a public address when saved and to loopback later is refused, and nothing is sent', async () => {
    const dns = { answer: '93.184.216.34' };
    const resolver = async () => [{ address: dns.answer, family: 4 }];
    const rx = await new SignedReceiver().start();
    const t = await startEventsApp({ WEBHOOK_ALLOW_PRIVATE: 'false' }, { resolver });
    try {
      const root = await superuser(t);
      const ep = await addEndpoint(t, root, { url: `http://hooks.example.test:${rx.port}/rebound`, events: ['user.created'] });
      rx.trust('/rebound', ep.secret);
      dns.answer = '127.0.0.1';
      expect((await register(t)).status).toBe(201);
      const d = await waitFor(async () => (await api(t, 'GET', `/admin/api/webhooks/${ep.id}/deliveries/`, root)).json.results.find((x: { attempts: number }) => x.attempts >= 1), 10_000, 'the refused attempt');
      expect(d).toMatchObject({ last_status_code: null, last_error: 'This address is not allowed.' });
      expect(rx.requests).toEqual([]);
    } finally {
      await t.close();
      await rx.close();
    }
  });
});

describe.skipIf(!usingPostgres)('two instances on PostgreSQL', () => {
  it('each delivery is made by exactly one of them', async () => {
    const rx = await new SignedReceiver().start();
    const a = await startEventsApp();
    const b = await startSibling(a, {}, {}, { events: { worker: { pollMs: 100 } } });
    try {
      const root = await superuser(a);
      const ep = await addEndpoint(a, root, { url: rx.url('/shared'), events: ['user.created'] });
      rx.trust('/shared', ep.secret);
      // A little latency at the receiver, so both workers are busy at once.
      rx.answer = () => ({ status: 204, delayMs: 20 });
      const made = await Promise.all(Array.from({ length: 30 }, (_, i) => register(i % 2 ? a : b, 'pair')));
      expect(made.every((m) => m.status === 201)).toBe(true);
      await waitFor(() => rx.acceptedIds('/shared').size === 30, 30_000, 'every event');
      const perId = new Map<string, number>();
      for (const d of rx.delivered) perId.set(d.id, (perId.get(d.id) ?? 0) + 1);
      expect([...perId.values()].every((n) => n === 1)).toBe(true);
      expect(new Set(rx.of('user.created').map((d) => d.data.user.id))).toEqual(new Set(made.map((m) => m.id)));
      // Each instance counts what it delivered, once the receiver's answer is settled.
      const counted = async () => {
        const each = await Promise.all([a, b].map(async (app) => {
          const text = (await request(app.url, 'GET', '/metrics')).text;
          return Number(/^gatehouse_webhook_deliveries_total\{result="succeeded"\} (\d+)$/m.exec(text)?.[1] ?? 0);
        }));
        return each[0] + each[1];
      };
      await waitFor(async () => (await counted()) >= 30, 10_000, 'every delivery settled');
      expect(await counted()).toBe(30);
    } finally {
      await b.close();
      await a.close();
      await rx.close();
    }
  }, 60_000);
});

describe('operations', () => {
  const fx = appWithReceiver();

  const metric = async (line: RegExp) => Number(line.exec((await request(fx.t.url, 'GET', '/metrics')).text)?.[1] ?? NaN);

  it('metrics: events by type, deliveries by result, the outbox backlog', async () => {
    const { t, rx, root } = fx;
    const ep = await addEndpoint(t, root, { url: rx.url('/metrics'), events: ['user.created'] });
    rx.trust('/metrics', ep.secret);
    const text = (await request(t.url, 'GET', '/metrics')).text;
    for (const name of ['gatehouse_events_total', 'gatehouse_webhook_deliveries_total', 'gatehouse_outbox_pending', 'gatehouse_amqp_published_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    const createdBefore = (await metric(/^gatehouse_events_total\{type="user\.created"\} (\d+)$/m)) || 0;
    let hold = true;
    rx.answer = () => (hold ? 'hang' : undefined);
    const u = await register(t);
    await waitFor(() => rx.hanging.length === 1, 10_000, 'the held delivery');
    expect(await metric(/^gatehouse_events_total\{type="user\.created"\} (\d+)$/m)).toBe(createdBefore + 1);
    expect(await metric(/^gatehouse_outbox_pending (\d+)$/m)).toBe(1);
    hold = false;
    for (const res of rx.hanging.splice(0)) res.writeHead(200).end('ok');
    await rx.one('user.created', u.id, '/metrics');
    await waitFor(async () => (await metric(/^gatehouse_outbox_pending (\d+)$/m)) === 0, 10_000, 'an empty backlog');
    expect(await metric(/^gatehouse_webhook_deliveries_total\{result="succeeded"\} (\d+)$/m)).toBeGreaterThanOrEqual(1);
    rx.answer = () => undefined;
  });

  it('`gatehouse events replay` sends the kept events again, to all or to one endpoint', async () => {
    const { t, rx, root } = fx;
    requireBuild();
    const ep = await addEndpoint(t, root, { url: rx.url('/replay'), events: ['user.created', 'session.created'] });
    const other = await addEndpoint(t, root, { url: rx.url('/replay-other'), events: ['user.created'] });
    rx.trust('/replay', ep.secret);
    rx.trust('/replay-other', other.secret);
    const since = new Date().toISOString();
    const users = [await register(t, 'rp'), await register(t, 'rp')];
    await waitFor(() => rx.acceptedIds('/replay').size === 2 && rx.acceptedIds('/replay-other').size === 2, 10_000, 'the first deliveries');
    // Received is not yet settled: a delivery still pending is not doubled by a replay.
    const settled = async (id: string) => (await api(t, 'GET', `/admin/api/webhooks/${id}/deliveries/?status=succeeded`, root)).json.count === 2;
    await waitFor(async () => (await settled(ep.id)) && (await settled(other.id)), 10_000, 'the first deliveries settled');
    const env = cleanEnv({ NODE_ENV: 'development', DATA_DIR: t.dataDir, SECRET_KEY: t.env.SECRET_KEY, DATABASE_URL: t.env.DATABASE_URL ?? `sqlite:${path.join(t.dataDir, 'gatehouse.sqlite3')}` });
    const one = runCli(['events', 'replay', '--since', since, '--endpoint', ep.id], { env });
    expect(one.stderr).toBe('');
    expect(one.status).toBe(0);
    expect(one.stdout).toMatch(/^scheduled 2 webhook deliveries for 2 events since /);
    await waitFor(() => rx.delivered.filter((d) => d.path === '/replay').length === 4, 10_000, 'the replayed deliveries');
    const got = rx.delivered.filter((d) => d.path === '/replay');
    expect(got.slice(2).map((d) => d.id)).toEqual(got.slice(0, 2).map((d) => d.id));
    expect(got.slice(2).map((d) => d.body)).toEqual(got.slice(0, 2).map((d) => d.body));
    expect(rx.delivered.filter((d) => d.path === '/replay-other')).toHaveLength(2);
    expect(users.map((u) => u.id)).toEqual(got.slice(0, 2).map((d) => d.data.user.id));
    const unknown = runCli(['events', 'replay', '--since', since, '--endpoint', '00000000-0000-4000-8000-000000000000'], { env });
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('gatehouse: --endpoint: no webhook endpoint with id "00000000-0000-4000-8000-000000000000"\n');
  });
});
