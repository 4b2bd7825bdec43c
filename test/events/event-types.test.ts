// Every event type of events.md §1, caused over HTTP (or by the command line) the way a client
// or an operator causes it, received by a real webhook receiver and verified with the Standard
// Webhooks library: envelope, headers, the user snapshot and each type's own fields. A change
// that does not happen records nothing; in-order delivery to one endpoint lets a later event
// fence the absence of an earlier one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, requireBuild, runCli } from '../helpers/cli.js';
import { Client, request } from '../helpers/http.js';
import { png } from '../helpers/images.js';
import { findLink, startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { UsersClient } from '../surfaces/users/helpers.js';
import { type Delivered, SignedReceiver, type TestApp, addEndpoint, api, expectEnvelope, startEventsApp, superuser, waitFor } from './support.js';

const PUBLIC_URL = 'https://accounts.example.org';
const PASSWORD = 'Admin,123';
let t: TestApp;
let rx: SignedReceiver;
let smtp: TestSmtpServer;
let root: string;

beforeAll(async () => {
  [smtp, rx] = await Promise.all([startSmtpServer(), new SignedReceiver().start()]);
  t = await startEventsApp({ SMTP_URL: smtp.url, PUBLIC_URL, LOCKOUT_FAILURES: '2', V1_REFRESH_GRACE_SECONDS: '0' });
  root = await superuser(t);
  const ep = await addEndpoint(t, root, { url: rx.url('/all'), events: ['*'] });
  rx.trust('/all', ep.secret);
});
afterAll(async () => {
  await t?.close();
  await Promise.all([rx?.close(), smtp?.close()]);
});

const V1 = '/v1/user/';
let seq = 0;
const tag = () => `${++seq}${Math.random().toString(36).slice(2, 8)}`;

async function v1User(): Promise<{ id: string; email: string; username: string; token: string }> {
  const n = tag();
  const who = { email: `ev-${n}@example.com`, username: `ev-${n}`, password: PASSWORD };
  const r = await request(t.url, 'POST', V1 + 'register/', { json: { ...who, confirm_password: PASSWORD } });
  expect(r.status, r.text).toBe(201);
  const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: who.email, password: PASSWORD } });
  expect(login.status, login.text).toBe(200);
  return { id: r.json.id, email: who.email, username: who.username, token: login.json.token };
}

const auth = (token: string) => ({ authorization: `Token ${token}` });

/** The user as the admin API shows it, cut to the snapshot's keys. */
async function snapshot(id: string): Promise<Record<string, unknown>> {
  const r = await api(t, 'GET', `/admin/api/users/${id}/`, root);
  expect(r.status, r.text).toBe(200);
  const u = r.json;
  return { id: u.id, number: u.number, email: u.email, username: u.username, full_name: u.full_name, email_verified: u.email_verified, is_active: u.is_active, is_staff: u.is_staff };
}

/** Everything delivered about a user, in delivery order. */
const about = (id: string) => rx.delivered.filter((d) => d.path === '/all' && d.data.user?.id === id);
const typesAbout = (id: string) => about(id).map((d) => d.type);

/** Waits until the user's events are exactly `types` (a later one fences what must not be there). */
async function expectTypes(id: string, types: string[]): Promise<Delivered[]> {
  await waitFor(() => about(id).length >= types.length, 10_000, `${types.join(', ')} for ${id}`);
  expect(typesAbout(id)).toEqual(types);
  return about(id);
}

describe('user.created', () => {
  it('from every surface, with `surface` and the snapshot after the registration', async () => {
    const n = tag();
    const regs: Array<[string, () => Promise<string>]> = [
      ['v1', async () => (await v1User()).id],
      ['api-user', async () => {
        const r = await request(t.url, 'POST', '/api/user/register', { json: { email: `api-${n}@example.com`, full_name: 'Api User', password: PASSWORD } });
        expect(r.status, r.text).toBe(201);
        return r.json.id;
      }],
      ['account', async () => {
        const r = await request(t.url, 'POST', '/account/register', { json: { username: `acc${n}`, email: `acc-${n}@example.com`, password: 'pass word' } });
        expect(r.json?.success, r.text).toBe(true);
        return (await t.ctx.accounts.byUsername(`acc${n}`))!.id;
      }],
      ['users', async () => {
        const r = await new UsersClient(t.url).register(`usr${n}`, 'Tr0ub4dor&3-horse');
        expect(r.status, r.text).toBe(201);
        return (await t.ctx.accounts.byUsername(`usr${n}`))!.id;
      }],
      ['user-account', async () => {
        const r = await request(t.url, 'POST', '/user_account/registration', { json: { username: `ua${n}`, full_name: 'Ua User', email: `ua-${n}@example.test`, pwd: 'pw-ua', phone: null, contacts: null } });
        expect(r.status, r.text).toBe(200);
        return (await t.ctx.accounts.byUsername(`ua${n}`))!.id;
      }],
    ];
    for (const [surface, register] of regs) {
      const id = await register();
      const [d] = await expectTypes(id, surface === 'v1' ? ['user.created', 'session.created'] : ['user.created']);
      expectEnvelope(d, 'user.created', ['surface']);
      expect(d.data.surface).toBe(surface);
      expect(d.data.user).toEqual(await snapshot(id));
    }
  });

  it('a registration that is refused records nothing', async () => {
    const u = await v1User();
    const again = await request(t.url, 'POST', V1 + 'register/', { json: { email: u.email, username: `${u.username}-2`, password: PASSWORD, confirm_password: PASSWORD } });
    expect(again.status).toBe(400);
    const fence = await v1User();
    await expectTypes(fence.id, ['user.created', 'session.created']);
    expect(rx.of('user.created').filter((d) => d.data.user.email === u.email)).toHaveLength(1);
  });

  it('from the command line: createsuperuser (surface cli) and import-users (surface import; --update gives user.updated)', async () => {
    requireBuild();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-events-cli-'));
    try {
      const env = cleanEnv({ NODE_ENV: 'development', DATA_DIR: t.dataDir, SECRET_KEY: t.env.SECRET_KEY, DATABASE_URL: t.env.DATABASE_URL ?? `sqlite:${path.join(t.dataDir, 'gatehouse.sqlite3')}` });
      const n = tag();
      const su = runCli(['createsuperuser', '--email', `root-${n}@example.com`, '--username', `root${n}`, '--password', 'long enough password'], { env });
      expect(su.status, su.stderr).toBe(0);
      const rootUser = (await t.ctx.accounts.byUsername(`root${n}`))!;
      const [created] = await expectTypes(rootUser.id, ['user.created']);
      expectEnvelope(created, 'user.created', ['surface']);
      expect(created.data).toEqual({ user: await snapshot(rootUser.id), surface: 'cli' });
      expect(created.data.user).toMatchObject({ is_staff: true, is_active: true, email_verified: false });

      const file = path.join(dir, 'users.csv');
      fs.writeFileSync(file, `email,username,first_name,last_name,is_active\nimp-${n}@example.com,imp${n},Ann,Lee,true\nimq-${n}@example.com,imq${n},Bo,Ek,true\n`);
      const imported = runCli(['import-users', file], { env });
      expect(imported.status, imported.stderr).toBe(0);
      const ann = (await t.ctx.accounts.byUsername(`imp${n}`))!;
      const bo = (await t.ctx.accounts.byUsername(`imq${n}`))!;
      for (const u of [ann, bo]) {
        const [d] = await expectTypes(u.id, ['user.created']);
        expect(d.data).toEqual({ user: await snapshot(u.id), surface: 'import' });
      }
      expect(about(ann.id)[0].id < about(bo.id)[0].id).toBe(true);

      fs.writeFileSync(file, `email,username,first_name,last_name,is_active\nimp-${n}@example.com,imp${n},Ann,Lee-Ray,false\nimq-${n}@example.com,imq${n},Bo,Ek,true\n`);
      const updated = runCli(['import-users', '--update', file], { env });
      expect(updated.status, updated.stderr).toBe(0);
      const [, change] = await expectTypes(ann.id, ['user.created', 'user.updated']);
      expect(change.data).toEqual({ user: await snapshot(ann.id), changed: ['full_name', 'is_active'] });
      // Bo's row was rewritten with the values it had: nothing changed, nothing is reported.
      const fence = await v1User();
      await expectTypes(fence.id, ['user.created', 'session.created']);
      expect(typesAbout(bo.id)).toEqual(['user.created']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('user.updated', () => {
  it('names the fields that really changed, never a secret; a change that changes nothing records nothing', async () => {
    const u = await v1User();
    await t.ctx.db.updateTable('users').set({ email_verified: 1 }).where('id', '=', u.id).execute();
    expect((await request(t.url, 'PUT', V1 + 'me/', { headers: auth(u.token), json: { username: u.username } })).status).toBe(202);
    const r = await request(t.url, 'PUT', V1 + 'me/', { headers: auth(u.token), json: { email: `moved-${u.username}@example.com` } });
    expect(r.status).toBe(202);
    const [, , d] = await expectTypes(u.id, ['user.created', 'session.created', 'user.updated']);
    expectEnvelope(d, 'user.updated', ['changed']);
    expect(d.data).toEqual({ user: await snapshot(u.id), changed: ['email', 'email_verified'] });
    expect(d.data.user).toMatchObject({ email: `moved-${u.username}@example.com`, email_verified: false });
  });

  it('admin edits, and a new avatar', async () => {
    const u = await v1User();
    expect((await api(t, 'PATCH', `/admin/api/users/${u.id}/`, root, { full_name: 'Renamed', is_staff: true, phone: '123' })).status).toBe(200);
    const fd = new FormData();
    fd.append('avatar', new Blob([new Uint8Array(await png(8, 8))]), 'me.png');
    expect((await request(t.url, 'PUT', V1 + 'me/avatar/', { headers: auth(u.token), body: fd })).status).toBe(202);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'user.updated', 'user.updated']);
    expect(events[2].data.changed).toEqual(['full_name', 'phone', 'is_staff']);
    expect(events[2].data.user).toMatchObject({ full_name: 'Renamed', is_staff: true });
    expect(events[3].data.changed).toEqual(['avatar']);
  });

  it('one api-user update of fields and picture is one change: one user.updated naming both', async () => {
    const n = tag();
    const email = `apiupd-${n}@example.com`;
    const reg = await request(t.url, 'POST', '/api/user/register', { json: { email, full_name: 'Api User', password: PASSWORD } });
    expect(reg.status, reg.text).toBe(201);
    const access = (await request(t.url, 'POST', '/api/user/login', { json: { email, password: PASSWORD } })).json.tokens.access;
    const fd = new FormData();
    fd.append('full_name', 'Api Renamed');
    fd.append('profile_pic', new Blob([new Uint8Array(await png(8, 8))], { type: 'image/png' }), 'me.png');
    const r = await request(t.url, 'PUT', '/api/user/update', { headers: { authorization: `JWT ${access}` }, body: fd });
    expect(r.status, r.text).toBe(200);
    const fence = new FormData();
    fence.append('profile_pic', '');
    expect((await request(t.url, 'PUT', '/api/user/update', { headers: { authorization: `JWT ${access}` }, body: fence })).status).toBe(200);
    const events = await expectTypes(reg.json.id, ['user.created', 'session.created', 'user.updated', 'user.updated']);
    expect(events[2].data.changed).toEqual(['full_name', 'avatar']);
    expect(events[2].data.user).toMatchObject({ full_name: 'Api Renamed' });
    expect(events[3].data.changed).toEqual(['avatar']);
  });

  it('a password change is user.password_changed, not a user.updated naming it', async () => {
    const u = await v1User();
    const r = await request(t.url, 'POST', V1 + 'password/change/', { headers: auth(u.token), json: { old_password: PASSWORD, password: 'Other;456', confirm_password: 'Other;456' } });
    expect(r.status, r.text).toBe(200);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'user.password_changed', 'session.revoked']);
    expectEnvelope(events[2], 'user.password_changed', ['via']);
    expect(events[2].data.via).toBe('change');
    expectEnvelope(events[3], 'session.revoked', ['reason']);
    expect(events[3].data.reason).toBe('password_change');
    expect(rx.delivered.some((d) => JSON.stringify(d.data).includes('Other;456'))).toBe(false);
  });
});

describe('user.deleted', () => {
  it('carries the snapshot from before the deletion (v1 me/ and the admin)', async () => {
    for (const how of ['self', 'admin']) {
      const u = await v1User();
      await api(t, 'PATCH', `/admin/api/users/${u.id}/`, root, { full_name: `Gone ${how}` });
      await expectTypes(u.id, ['user.created', 'session.created', 'user.updated']);
      const before = await snapshot(u.id);
      const r = how === 'self' ? await request(t.url, 'DELETE', V1 + 'me/', { headers: auth(u.token), json: { password: PASSWORD } }) : await api(t, 'DELETE', `/admin/api/users/${u.id}/`, root);
      expect(r.status, r.text).toBe(204);
      const events = await expectTypes(u.id, ['user.created', 'session.created', 'user.updated', 'user.deleted']);
      expectEnvelope(events[3], 'user.deleted', []);
      expect(events[3].data).toEqual({ user: before });
    }
  });
});

describe('user.email_verified', () => {
  it('when the mailed link is followed, once', async () => {
    const u = await v1User();
    expect((await request(t.url, 'POST', V1 + 'email/verify/', { headers: auth(u.token) })).status).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Verify your email address');
    const link = findLink(mail, `${PUBLIC_URL}/v1/user/email/verify/`).slice(PUBLIC_URL.length);
    expect((await request(t.url, 'GET', link)).status).toBe(200);
    expect((await request(t.url, 'GET', link)).status).toBe(200);
    const fence = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, root, { full_name: 'Fence' });
    expect(fence.status).toBe(200);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'user.updated', 'user.email_verified', 'user.updated']);
    expect(events[2].data.changed).toEqual(['email_verified']);
    expectEnvelope(events[3], 'user.email_verified', []);
    expect(events[3].data.user).toMatchObject({ email: u.email, email_verified: true });
  });
});

describe('user.password_changed', () => {
  it('via reset: the mailed token, then every session ends', async () => {
    const u = await v1User();
    expect((await request(t.url, 'POST', V1 + 'password/reset/', { json: { email: u.email } })).status).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Reset your password');
    const token = new URL(findLink(mail, `${PUBLIC_URL}/v1/user/password/reset/confirm/?token=`)).searchParams.get('token')!;
    const r = await request(t.url, 'POST', V1 + 'password/reset/confirm/', { json: { token, password: 'Third;789', confirm_password: 'Third;789' } });
    expect(r.status, r.text).toBe(200);
    // The reset proves the address too.
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'user.updated', 'user.email_verified', 'user.password_changed', 'session.revoked']);
    expect(events[4].data.via).toBe('reset');
    expect(events[5].data.reason).toBe('password_reset');
  });

  it('via admin: set by staff, every session ends', async () => {
    const u = await v1User();
    expect((await api(t, 'POST', `/admin/api/users/${u.id}/password/`, root, { password: 'set by staff' })).status).toBe(204);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'user.password_changed', 'session.revoked']);
    expect(events[2].data.via).toBe('admin');
    expect(events[3].data.reason).toBe('password_set');
  });
});

describe('user.locked', () => {
  it('when the failure that starts a lock is recorded, with `until`', async () => {
    const u = await v1User();
    for (let i = 0; i < 4; i++) {
      const r = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: 'Wrong,123' } });
      expect(r.status).toBe(i === 0 ? 401 : 403);
    }
    const [, , locked] = await expectTypes(u.id, ['user.created', 'session.created', 'user.locked']);
    expectEnvelope(locked, 'user.locked', ['until']);
    const shown = (await api(t, 'GET', `/admin/api/users/${u.id}/`, root)).json;
    expect(locked.data.until).toBe(shown.locked_until);
    // Refused while locked: no second lock, nothing more recorded.
    await api(t, 'PATCH', `/admin/api/users/${u.id}/`, root, { full_name: 'Fence' });
    await expectTypes(u.id, ['user.created', 'session.created', 'user.locked', 'user.updated']);
  });
});

describe('session.created', () => {
  it('for every successful login, with `surface` and `method`', async () => {
    const u = await v1User();
    const client = new Client(t.url);
    expect((await client.post(V1 + 'login-jwt/', { json: { email: u.email, password: PASSWORD } })).status).toBe(200);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'session.created']);
    expectEnvelope(events[1], 'session.created', ['surface', 'method']);
    expect([events[1].data.surface, events[1].data.method]).toEqual(['v1', 'knox']);
    expect([events[2].data.surface, events[2].data.method]).toEqual(['v1', 'jwt']);
    const n = tag();
    const browser = new UsersClient(t.url);
    expect((await browser.register(`br${n}`, 'Tr0ub4dor&3-horse')).status).toBe(201);
    expect((await browser.login(`br${n}`, 'Tr0ub4dor&3-horse')).status).toBe(200);
    const id = (await t.ctx.accounts.byUsername(`br${n}`))!.id;
    const [, login] = await expectTypes(id, ['user.created', 'session.created']);
    expect(login.data).toMatchObject({ surface: 'users', method: 'session' });
  });

  it('not for a failed one', async () => {
    const u = await v1User();
    expect((await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: 'Wrong,123' } })).status).toBe(401);
    await api(t, 'PATCH', `/admin/api/users/${u.id}/`, root, { full_name: 'Fence' });
    await expectTypes(u.id, ['user.created', 'session.created', 'user.updated']);
  });
});

describe('session.revoked', () => {
  it('admin "revoke sessions", a session ended by its owner, and deactivation', async () => {
    const u = await v1User();
    const other = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: PASSWORD } });
    const sessions = await request(t.url, 'GET', V1 + 'sessions/', { headers: auth(u.token) });
    const mine = sessions.json.find((s: { current: boolean; kind: string }) => !s.current && s.kind === 'knox');
    expect((await request(t.url, 'DELETE', `${V1}sessions/${mine.id}/`, { headers: auth(u.token) })).status).toBe(204);
    expect(other.status).toBe(200);
    expect((await api(t, 'POST', `/admin/api/users/${u.id}/revoke-sessions/`, root)).status).toBe(204);
    expect((await api(t, 'PATCH', `/admin/api/users/${u.id}/`, root, { is_active: false })).status).toBe(200);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'session.created', 'session.revoked', 'session.revoked', 'user.updated', 'session.revoked']);
    expect(events.slice(3).map((d) => d.data.reason ?? d.data.changed)).toEqual(['session', 'admin', ['is_active'], 'deactivated']);
    expectEnvelope(events[3], 'session.revoked', ['reason']);
    expect(events[6].data.user.is_active).toBe(false);
  });
});

describe('security.token_reuse', () => {
  it('a rotated refresh presented again after its successor was used ends the login: `login_id`', async () => {
    const u = await v1User();
    const client = new Client(t.url);
    const login = await client.post(V1 + 'login-jwt/', { json: { email: u.email, password: PASSWORD } });
    const first = await client.post(V1 + 'token/refresh/');
    const second = await client.post(V1 + 'token/refresh/');
    expect([login.status, first.status, second.status]).toEqual([200, 200, 200]);
    // The thief's copy of the session still names the first refresh.
    const session = (await t.ctx.sessions.load(client.jar.sessionid))!;
    const { key, ...slots } = session;
    const oldJti = JSON.parse(Buffer.from(login.json.refresh.split('.')[1], 'base64url').toString()).jti;
    await t.ctx.sessions.save(key, { ...slots, refreshJti: oldJti });
    const reuse = await client.post(V1 + 'token/refresh/');
    expect(reuse.status).toBe(401);
    const events = await expectTypes(u.id, ['user.created', 'session.created', 'session.created', 'security.token_reuse']);
    expectEnvelope(events[3], 'security.token_reuse', ['login_id']);
    const loginRow = await t.ctx.db.selectFrom('jwt_tokens').select('login_id').where('jti', '=', oldJti).executeTakeFirstOrThrow();
    expect(events[3].data.login_id).toBe(loginRow.login_id);
  });
});

describe('races: each change is reported once', () => {
  it('parallel identical registrations, wrong passwords past the limit, the same link twice, two deletions', async () => {
    const n = tag();
    const same = { email: `race-${n}@example.com`, username: `race-${n}`, password: PASSWORD, confirm_password: PASSWORD };
    const regs = await Promise.all(Array.from({ length: 6 }, () => request(t.url, 'POST', V1 + 'register/', { json: same })));
    expect(regs.filter((r) => r.status === 201)).toHaveLength(1);
    const id = regs.find((r) => r.status === 201)!.json.id;

    const guesses = await Promise.all(Array.from({ length: 8 }, () => request(t.url, 'POST', V1 + 'login-knox/', { json: { email: same.email, password: 'Wrong,123' } })));
    expect(guesses.some((r) => r.status === 403)).toBe(true);
    await api(t, 'POST', `/admin/api/users/${id}/unlock/`, root);
    const token = (await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: same.email, password: PASSWORD } })).json.token;
    expect((await request(t.url, 'POST', V1 + 'email/verify/', { headers: auth(token) })).status).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(same.email) && m.subject === 'Verify your email address');
    const link = findLink(mail, `${PUBLIC_URL}/v1/user/email/verify/`).slice(PUBLIC_URL.length);
    await Promise.all([request(t.url, 'GET', link), request(t.url, 'GET', link), request(t.url, 'GET', link)]);
    const deletions = await Promise.all([api(t, 'DELETE', `/admin/api/users/${id}/`, root), api(t, 'DELETE', `/admin/api/users/${id}/`, root)]);
    expect(deletions.map((r) => r.status).sort()).toEqual([204, 404].sort());

    await expectTypes(id, ['user.created', 'user.locked', 'session.created', 'user.updated', 'user.email_verified', 'user.deleted']);
    const fence = await v1User();
    await expectTypes(fence.id, ['user.created', 'session.created']);
    expect(typesAbout(id)).toEqual(['user.created', 'user.locked', 'session.created', 'user.updated', 'user.email_verified', 'user.deleted']);
  });
});
