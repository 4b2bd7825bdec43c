// v1.md §0.13 "Outages", with the database: when it does not answer within 2 seconds (here:
// another connection holds a lock on the tables the request needs; on SQLite the write lock,
// held past the busy timeout), or a connection to it breaks (PostgreSQL: its backend is
// terminated), the request answers 503 in the surface's style, never 500 and never a hang; the
// process stays up and serves again by itself.
import SQLite from 'better-sqlite3';
import pg from 'pg';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, usingPostgres, type TestApp } from '../helpers/app.js';
import { Client, type HttpResponse, request } from '../helpers/http.js';
import { V1, jwtLogin, knoxLogin, registerUser, identity } from '../surfaces/v1/helpers.js';
import { TcpProxy } from '../faults/tcp-proxy.js';
import { DETAIL_OUTAGE, V1_OUTAGE, answered, eventually, expectOutage } from './support.js';

let t: TestApp;
let adminToken: string;
let someUserId: string;

beforeAll(async () => {
  t = await startApp();
  const staff = await registerUser(t.url, 'staff');
  await t.ctx.db.updateTable('users').set({ is_staff: 1, is_superuser: 1 }).where('id', '=', staff.id).execute();
  adminToken = await knoxLogin(t.url, staff);
  someUserId = (await registerUser(t.url, 'someone')).id;
});

afterAll(async () => {
  await t?.close();
});

/** Another connection that holds the tables a request needs until released. */
interface Blocker { release(): Promise<void> }

async function blockDatabase(): Promise<Blocker> {
  if (usingPostgres) {
    const c = new pg.Client({ connectionString: t.env.DATABASE_URL });
    await c.connect();
    await c.query('begin');
    await c.query('lock table users, audit_log in access exclusive mode');
    return { release: async () => { await c.query('rollback'); await c.end(); } };
  }
  // SQLite in WAL mode never blocks readers: the write lock is what a request can wait for.
  const db = new SQLite(path.join(t.dataDir, 'gatehouse.sqlite3'));
  db.exec('begin immediate');
  return { release: async () => { db.exec('rollback'); db.close(); } };
}

async function csrfClient(pagePath: string): Promise<{ client: Client; token: string }> {
  const client = new Client(t.url);
  const page = await client.get(pagePath);
  const field = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.text)?.[1];
  return { client, token: field ?? client.jar.csrftoken };
}

/** Requests of every surface that need the locked tables, with their outage body. */
async function surfaceRequests(): Promise<[string, () => Promise<HttpResponse>, unknown][]> {
  const users = await csrfClient('/get-csrf-token/');
  const adminUi = await csrfClient('/admin/login/');
  const who = identity('blocked');
  const picker = await request(t.url, 'POST', '/account/register', { json: { username: `pic${who.username}`, email: `pic-${who.email}`, password: 'pass word' } });
  expect(picker.json.success, picker.text).toBe(true);
  return [
    ['v1 register', () => request(t.url, 'POST', V1 + 'register/', { json: { ...who, confirm_password: who.password } }), V1_OUTAGE],
    ['api-user register', () => request(t.url, 'POST', '/api/user/register', { json: { email: `a-${who.email}`, full_name: 'A', password: 'correct horse' } }), DETAIL_OUTAGE],
    // A failed save answers like an unknown picture id, but an outage is not a failed save.
    ['account set_picture', () => request(t.url, 'POST', '/account/set_picture', { headers: { authorization: `Token ${picker.json.token}` }, json: { id: 2 } }), DETAIL_OUTAGE],
    ['account register', () => request(t.url, 'POST', '/account/register', { json: { username: `acc${who.username}`, email: `acc-${who.email}`, password: 'pass word' } }), DETAIL_OUTAGE],
    ['users register', () => users.client.post('/users/register/', { json: { username: `u${who.username}`, password1: 'Tr0ub4dor&3-horse', password2: 'Tr0ub4dor&3-horse' }, headers: { 'x-csrftoken': users.token } }), { error: 'Service temporarily unavailable.' }],
    ['user-account registration', () => request(t.url, 'POST', '/user_account/registration', { json: { username: `ua${who.username}`, full_name: 'U', email: `ua-${who.email}`, pwd: 'pw-secret-1', phone: null, contacts: null } }), { msg: 'Service temporarily unavailable.' }],
    ['admin API', () => request(t.url, 'POST', `/admin/api/users/${someUserId}/unlock/`, { headers: { authorization: `Token ${adminToken}` } }), DETAIL_OUTAGE],
    ['admin UI login', () => adminUi.client.post('/admin/login/', { body: new URLSearchParams({ csrfmiddlewaretoken: adminUi.token, username: 'nobody@example.com', password: 'x', next: '' }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } }), '<html>'],
  ];
}

describe('a database that does not answer within 2 s', () => {
  it('answers 503 in each surface style, with Retry-After', async () => {
    const requests = await surfaceRequests();
    const lock = await blockDatabase();
    try {
      for (const [what, send, body] of requests) {
        const r = await answered(send());
        expect(r.status, `${what}: ${r.text}`).toBe(503);
        expectOutage(r, body);
      }
    } finally {
      await lock.release();
    }
  });

  it('serves again as soon as the database answers', async () => {
    await registerUser(t.url, 'after');
    expect((await request(t.url, 'GET', '/readyz')).status).toBe(200);
  });
});

describe.runIf(usingPostgres)('PostgreSQL connections terminated (pg_terminate_backend)', () => {
  async function terminateAppConnections(): Promise<number> {
    const admin = new pg.Client({ connectionString: t.env.DATABASE_URL });
    await admin.connect();
    try {
      const r = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      return r.rowCount ?? 0;
    } finally {
      await admin.end();
    }
  }

  it('idle connections that die are replaced: the next requests succeed', async () => {
    const user = await registerUser(t.url, 'idle');
    expect(await terminateAppConnections()).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    const r = await answered(request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } }));
    expect(r.status, r.text).toBe(200);
  });

  it('20 rounds of terminations under load: never a 500, never a hang, the process stays up and recovers', async () => {
    const user = await registerUser(t.url, 'churn');
    const client = new Client(t.url);
    await jwtLogin(client, user);
    const statuses = new Map<number, number>();
    for (let round = 0; round < 20; round++) {
      const load = Array.from({ length: 12 }, (_, i) => {
        const send = i % 3 === 0
          ? () => request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } })
          : i % 3 === 1
            ? () => client.post(V1 + 'token/refresh/').then((r) => {
              // A refresh whose rotation met a dead connection never ends the login (v1.md §2.3).
              if (r.status === 401) throw new Error(`refresh refused: ${r.text}`);
              return r;
            })
            : () => request(t.url, 'POST', V1 + 'register/', { json: { ...identity('churn'), confirm_password: 'Admin,123' } });
        return answered(send());
      });
      await new Promise((r) => setTimeout(r, 5 + (round % 4) * 10));
      await terminateAppConnections();
      for (const r of await Promise.all(load)) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    const codes = [...statuses.keys()];
    expect(codes.filter((s) => s >= 500 && s !== 503), JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    await eventually(async () => (await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } })).status === 200);
    expect((await request(t.url, 'GET', '/readyz')).status).toBe(200);
  }, 120_000);
});

describe.runIf(usingPostgres)('PostgreSQL frozen or restarted (faults given through a proxy)', () => {
  let proxy: TcpProxy;
  let p: TestApp;
  let dropDatabase: () => Promise<void>;

  beforeAll(async () => {
    const base = new URL(process.env.TEST_DATABASE_URL!);
    const name = `gh_proxy_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: base.toString() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
    proxy = await TcpProxy.start({ host: base.hostname, port: Number(base.port || 5432) });
    const proxied = new URL(base.toString());
    proxied.port = String(proxy.port);
    proxied.pathname = `/${name}`;
    p = await startApp({ DATABASE_URL: proxied.toString() });
  });

  afterAll(async () => {
    proxy?.restore();
    await p?.close();
    await proxy?.close();
    await dropDatabase?.();
  });

  const login = (user: { email: string; password: string }) => request(p.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } });

  it('frozen: 503 instead of a hang, /readyz names the database; serves again when it answers', async () => {
    const user = await registerUser(p.url, 'frozen');
    expect((await login(user)).status).toBe(200);
    proxy.freeze();
    try {
      const answers = await Promise.all([login(user), login(user), request(p.url, 'POST', V1 + 'register/', { json: { ...identity('f'), confirm_password: 'Admin,123' } })].map((r) => answered(r)));
      for (const r of answers) expectOutage(r, V1_OUTAGE);
      const ready = await answered(request(p.url, 'GET', '/readyz'));
      expect(ready.status).toBe(503);
      expect(ready.json.checks.database).toBe('unavailable');
    } finally {
      proxy.restore();
    }
    await eventually(async () => (await login(user)).status === 200);
  });

  it('restarted: connections dropped and refused give 503; serves again once it is back', async () => {
    const user = await registerUser(p.url, 'restart');
    proxy.cut();
    try {
      for (let i = 0; i < 3; i++) expectOutage(await answered(login(user)), V1_OUTAGE);
      const ready = await answered(request(p.url, 'GET', '/readyz'));
      expect(ready.json.checks.database).toBe('unavailable');
    } finally {
      proxy.restore();
    }
    await eventually(async () => (await login(user)).status === 200);
    expect((await request(p.url, 'GET', '/readyz')).status).toBe(200);
  });
});
