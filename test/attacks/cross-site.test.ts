// Issue 13, item 1: login CSRF on the v1 routes that read or write `sessionid` (v1.md §1.6a).
// - A foreign `Origin` on login-jwt/, token/refresh/ or logout-jwt/ answers 403 with the exact
//   text, before anything else: no login, no rotation, no logout, no cookie, no throttle budget,
//   and ahead of the denylist, the method and the body checks.
// - The request's own origin (PUBLIC_URL's when set), TRUSTED_ORIGINS and no Origin at all pass.
// - login-jwt/ never carries another user's slots (refresh, or the users/admin login slot) into
//   the session it starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { Wire, type WireResponse, cookieHeader, setCookies } from './wire.js';

const PASSWORD = 'Attack,123';
const TRUSTED = 'https://app.trusted.example';
const JSON_TYPE = { 'content-type': 'application/json' };
const refusal = (origin: string) => `Origin checking failed - ${origin} does not match any trusted origins.`;

interface Person { id: string; number: number; email: string; username: string }

let n = 0;
async function person(t: TestApp, staff = false): Promise<Person> {
  const tag = `${process.pid}x${++n}`;
  const r = await t.ctx.accounts.create({ email: `p${tag}@example.com`, username: `p${tag}`, password: PASSWORD, isStaff: staff, isSuperuser: staff, isActive: true, emailVerified: false, fullName: '' });
  if (!r.ok) throw new Error('fixture');
  return { id: r.user.id, number: r.user.number, email: r.user.email!, username: r.user.username! };
}

function expectRefused(r: WireResponse, origin: string): void {
  expect({ status: r.status, body: r.json }).toEqual({ status: 403, body: refusal(origin) });
  expect(r.headers['set-cookie']).toBeUndefined();
  expect(r.headers['www-authenticate']).toBeUndefined();
}

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as { user_id: string };

describe('§1.6a with PUBLIC_URL unset', () => {
  let t: TestApp;
  let wire: Wire;
  let own: string;
  beforeAll(async () => {
    t = await startApp({ TRUSTED_ORIGINS: TRUSTED });
    wire = new Wire(t.url);
    own = t.url;
  });
  afterAll(async () => {
    wire?.close();
    await t?.close();
  });

  const loginJwt = (who: Person, headers: Record<string, string> = {}) =>
    wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify({ email: who.email, password: PASSWORD }) });

  async function counts(who: Person) {
    const db = t.ctx.db;
    return {
      logins: (await db.selectFrom('jwt_logins').select('id').where('user_id', '=', who.id).execute()).length,
      audited: (await db.selectFrom('audit_log').select('id').where('user_id', '=', who.id).where('event', '=', 'login.success').execute()).length,
      lastLogin: (await t.ctx.accounts.byId(who.id))!.last_login,
    };
  }

  it.each(['https://evil.example', 'null', `${'http://127.0.0.1'}:1`, 'http://127.0.0.1', 'https://app.trusted.example.evil.com', 'https://APP.trusted.example'])(
    'login-jwt/ with Origin %s and the right password: 403, nothing done',
    async (origin) => {
      const who = await person(t);
      const before = await counts(who);
      // A cross-site HTML form posts urlencoded; a script posts JSON: both are refused.
      const form = await wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email: who.email, password: PASSWORD }).toString() });
      expectRefused(form, origin);
      expectRefused(await loginJwt(who, { origin }), origin);
      expect(await counts(who)).toEqual(before);
    },
  );

  it('own origin, a trusted origin and no Origin log in', async () => {
    const who = await person(t);
    for (const headers of [{ origin: own }, { origin: TRUSTED }, {}] as Array<Record<string, string>>) {
      const r = await loginJwt(who, headers);
      expect(r.status, r.text).toBe(200);
      expect(setCookies(r).sessionid).toBeTruthy();
    }
  });

  it('token/refresh/ with a foreign Origin: 403, the refresh is not rotated, and it still works from the own origin', async () => {
    const who = await person(t);
    const login = await loginJwt(who);
    const cookie = cookieHeader({ sessionid: setCookies(login).sessionid });
    const refreshJti = (JSON.parse(Buffer.from((login.json as { refresh: string }).refresh.split('.')[1], 'base64url').toString()) as { jti: string }).jti;
    const row = () => t.ctx.db.selectFrom('jwt_tokens').selectAll().where('jti', '=', refreshJti).executeTakeFirstOrThrow();
    const before = await row();
    expectRefused(await wire.send({ method: 'POST', path: '/v1/user/token/refresh/', headers: { cookie, origin: 'https://evil.example' } }), 'https://evil.example');
    expect(await row()).toEqual(before);
    for (const headers of [{ origin: own }, { origin: TRUSTED }, {}] as Array<Record<string, string>>) {
      const r = await wire.send({ method: 'POST', path: '/v1/user/token/refresh/', headers: { cookie, ...headers } });
      expect(r.status, r.text).toBe(200);
    }
  });

  it('logout-jwt/ with a foreign Origin: 403 and the login lives on', async () => {
    const who = await person(t);
    const login = await loginJwt(who);
    const bearer = `Bearer ${(login.json as { access: string }).access}`;
    const cookie = cookieHeader({ sessionid: setCookies(login).sessionid });
    expectRefused(await wire.send({ method: 'POST', path: '/v1/user/logout-jwt/', headers: { authorization: bearer, cookie, origin: 'https://evil.example' } }), 'https://evil.example');
    expect((await wire.send({ method: 'GET', path: '/v1/user/mock-login/', headers: { authorization: bearer } })).status).toBe(200);
    expect((await wire.send({ method: 'POST', path: '/v1/user/token/refresh/', headers: { cookie } })).status).toBe(200);
    const out = await wire.send({ method: 'POST', path: '/v1/user/logout-jwt/', headers: { authorization: bearer, origin: own } });
    expect(out.json).toBe('User logged out successfully.');
  });

  it('the 403 comes before the denylist, authentication, the method and the body', async () => {
    const who = await person(t);
    const access = (await loginJwt(who)).json as { access: string };
    await wire.send({ method: 'POST', path: '/v1/user/logout-jwt/', headers: { authorization: `Bearer ${access.access}` } });
    const evil = { origin: 'https://evil.example' };
    for (const [method, path, headers, body] of [
      ['POST', '/v1/user/logout-jwt/', { authorization: `Bearer ${access.access}` }, undefined], // denylisted
      ['POST', '/v1/user/logout-jwt/', { authorization: 'Bearer garbage' }, undefined],
      ['POST', '/v1/user/logout-jwt/', {}, undefined], // no credential
      ['GET', '/v1/user/login-jwt/', {}, undefined], // wrong method
      ['DELETE', '/v1/user/token/refresh/', {}, undefined],
      ['POST', '/v1/user/login-jwt/', JSON_TYPE, '{"email":'], // malformed JSON
      ['POST', '/v1/user/login-jwt/', { 'content-type': 'text/plain' }, 'x'], // unsupported type
    ] as Array<[string, string, Record<string, string>, string | undefined]>) {
      const r = await wire.send({ method, path, headers: { ...headers, ...evil }, body });
      expect({ method, path, status: r.status, body: r.json }).toEqual({ method, path, status: 403, body: refusal(evil.origin) });
    }
  });

  it('login-jwt/ never carries another user’s refresh slot: a fresh session that holds only the new login', async () => {
    const a = await person(t);
    const b = await person(t);
    const first = await loginJwt(a);
    const aSession = setCookies(first).sessionid;
    const second = await loginJwt(b, { cookie: cookieHeader({ sessionid: aSession }) });
    expect(second.status).toBe(200);
    const bSession = setCookies(second).sessionid;
    expect(bSession).toBeTruthy();
    expect(bSession).not.toBe(aSession);
    const refreshed = await wire.send({ method: 'POST', path: '/v1/user/token/refresh/', headers: { cookie: cookieHeader({ sessionid: bSession }) } });
    expect(refreshed.status).toBe(200);
    expect(claims((refreshed.json as { access: string }).access).user_id).toBe(b.id);
    // The old session id no longer names a session holding A's refresh.
    const old = await wire.send({ method: 'POST', path: '/v1/user/token/refresh/', headers: { cookie: cookieHeader({ sessionid: aSession }) } });
    expect(old.status).toBe(401);
  });

  /** A users-surface login slot for `who` in a fresh session; returns the cookies. */
  async function usersLogin(who: Person): Promise<Record<string, string>> {
    const csrftoken = setCookies(await wire.send({ method: 'GET', path: '/get-csrf-token/' })).csrftoken;
    const r = await wire.send({ method: 'POST', path: '/users/login/', headers: { ...JSON_TYPE, 'x-csrftoken': csrftoken, cookie: cookieHeader({ csrftoken }) }, body: JSON.stringify({ username: who.username, password: PASSWORD }) });
    expect(r.status, r.text).toBe(200);
    return setCookies(r);
  }

  async function usersLogout(cookies: Record<string, string>): Promise<WireResponse> {
    return wire.send({ method: 'POST', path: '/users/logout/', headers: { 'x-csrftoken': cookies.csrftoken, cookie: cookieHeader(cookies) } });
  }

  it('login-jwt/ never carries another user’s users/admin login slot; its own is carried', async () => {
    const a = await person(t);
    const b = await person(t);
    const aCookies = await usersLogin(a);
    const asB = await loginJwt(b, { cookie: cookieHeader({ sessionid: aCookies.sessionid }) });
    expect(asB.status).toBe(200);
    const bCookies = { csrftoken: aCookies.csrftoken, sessionid: setCookies(asB).sessionid };
    expect(bCookies.sessionid).not.toBe(aCookies.sessionid);
    expect((await usersLogout(bCookies)).json).toEqual({ errors: 'User is not authenticated.' });

    // The same user's login slot goes along with the new session (nothing foreign about it).
    const cCookies = await usersLogin(a);
    const asA = await loginJwt(a, { cookie: cookieHeader({ sessionid: cCookies.sessionid }) });
    const carried = { csrftoken: cCookies.csrftoken, sessionid: setCookies(asA).sessionid };
    expect((await usersLogout(carried)).json).toEqual({ id: a.number, username: a.username, message: 'Logout successful.' });
  });

  it('a staff member’s admin UI session does not survive into another user’s login-jwt/', async () => {
    const staff = await person(t, true);
    const b = await person(t);
    const page = await wire.send({ method: 'GET', path: '/admin/login/' });
    const csrftoken = setCookies(page).csrftoken;
    const form = new URLSearchParams({ csrfmiddlewaretoken: csrftoken, username: staff.username, password: PASSWORD, next: '' }).toString();
    const ui = await wire.send({ method: 'POST', path: '/admin/login/', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader({ csrftoken }) }, body: form });
    expect(ui.status).toBe(302);
    const staffSession = setCookies(ui).sessionid;
    expect((await wire.send({ method: 'GET', path: '/admin/', headers: { cookie: cookieHeader({ sessionid: staffSession }) } })).status).toBe(200);
    const asB = await loginJwt(b, { cookie: cookieHeader({ sessionid: staffSession }) });
    const dashboard = await wire.send({ method: 'GET', path: '/admin/', headers: { cookie: cookieHeader({ sessionid: setCookies(asB).sessionid }) } });
    expect(dashboard.status).toBe(302);
    expect(dashboard.headers.location).toBe('/admin/login/?next=/admin/');
  });
});

describe('§1.6a with PUBLIC_URL set: its origin is the own origin', () => {
  let t: TestApp;
  let wire: Wire;
  beforeAll(async () => {
    t = await startApp({ PUBLIC_URL: 'https://id.gatehouse.test', TRUSTED_ORIGINS: TRUSTED });
    wire = new Wire(t.url);
  });
  afterAll(async () => {
    wire?.close();
    await t?.close();
  });

  it('PUBLIC_URL’s origin and trusted origins pass; the request’s Host origin does not', async () => {
    const who = await person(t);
    const login = (origin: string) => wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: { ...JSON_TYPE, origin }, body: JSON.stringify({ email: who.email, password: PASSWORD }) });
    expect((await login('https://id.gatehouse.test')).status).toBe(200);
    expect((await login(TRUSTED)).status).toBe(200);
    expectRefused(await login(t.url), t.url);
    expectRefused(await login('http://id.gatehouse.test'), 'http://id.gatehouse.test');
  });
});

describe('§1.6a and the anonymous throttle: a refused cross-site request uses no budget', () => {
  let t: TestApp;
  let wire: Wire;
  beforeAll(async () => {
    t = await startApp({ THROTTLE_ANON_RATE: '2/min' });
    wire = new Wire(t.url);
  });
  afterAll(async () => {
    wire?.close();
    await t?.close();
  });

  it('five foreign-Origin logins, then two same-site ones still pass the throttle', async () => {
    const who = await person(t);
    const body = JSON.stringify({ email: who.email, password: PASSWORD });
    for (let i = 0; i < 5; i++) expectRefused(await wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: { ...JSON_TYPE, origin: 'https://evil.example' }, body }), 'https://evil.example');
    for (let i = 0; i < 2; i++) expect((await wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: JSON_TYPE, body })).status).toBe(200);
    expect((await wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: JSON_TYPE, body })).status).toBe(429);
  });
});
