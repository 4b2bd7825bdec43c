// Two-factor in the admin JSON API (mfa.md §4): the user object's `mfa`, the stats'
// `mfa_users`, POST /admin/api/users/<id>/mfa/reset/, and ADMIN_REQUIRE_MFA. TOTP is turned
// on through v1 over HTTP, with codes computed from the secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import { type TestApp, startApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { auditOf, enrolOver, eventsOf, mailsTo, challengeOf, secondStep } from '../v1/mfa-support.js';
import { PASSWORD, api, knoxHeader, makeUser } from './support.js';

const MFA_REQUIRED = 'Two-factor authentication is required for staff. Turn it on at /v1/user/mfa/.';

let t: TestApp;
let root: User;
let rootAuth: string;
let staffAuth: string;
beforeAll(async () => {
  t = await startApp({ SURFACES: 'v1,admin' });
  root = await makeUser(t.ctx, { superuser: true });
  rootAuth = await knoxHeader(t.ctx, root);
  staffAuth = await knoxHeader(t.ctx, await makeUser(t.ctx, { staff: true }));
});
afterAll(async () => {
  await t?.close();
});

/** A user with TOTP on (through v1) and the knox token that turned it on. */
async function withTotp(app: TestApp, spec: Parameters<typeof makeUser>[1] = {}) {
  const user = await makeUser(app.ctx, spec);
  const login = await request(app.url, 'POST', '/v1/user/login-knox/', { json: { email: user.email, password: PASSWORD } });
  expect(login.status, login.text).toBe(200);
  const enrolled = await enrolOver(app.url, { id: user.id, email: user.email!, username: user.username!, password: PASSWORD }, login.json.token);
  return { user, token: login.json.token as string, ...enrolled };
}

describe('the user object', () => {
  it('gains mfa (then identities): off, then on with 10 codes, then 9 after one is used', async () => {
    const plain = await makeUser(t.ctx);
    const r = await api(t, 'GET', `/admin/api/users/${plain.id}/`, rootAuth);
    expect(Object.keys(r.json).slice(-2)).toEqual(['mfa', 'identities']);
    expect(r.json.mfa).toEqual({ totp: false, recovery_codes_left: 0, passkeys: 0 });
    const u = await withTotp(t);
    expect((await api(t, 'GET', `/admin/api/users/${u.user.id}/`, rootAuth)).json.mfa).toEqual({ totp: true, recovery_codes_left: 10, passkeys: 0 });
    const done = await secondStep(t.url, await challengeOf(t.url, 'knox', { email: u.user.email!, password: PASSWORD }), u.recoveryCodes[0]);
    expect(done.status).toBe(200);
    expect((await api(t, 'GET', `/admin/api/users/${u.user.id}/`, rootAuth)).json.mfa).toEqual({ totp: true, recovery_codes_left: 9, passkeys: 0 });
  });

  it('in the list too, each user with their own', async () => {
    const u = await withTotp(t, { fullName: 'Listed With Totp' });
    const other = await makeUser(t.ctx, { fullName: 'Listed Without' });
    const r = await api(t, 'GET', '/admin/api/users/?q=listed', rootAuth);
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.json.results.map((x: any) => [x.id, x.mfa]));
    expect(byId).toEqual({ [u.user.id]: { totp: true, recovery_codes_left: 10, passkeys: 0 }, [other.id]: { totp: false, recovery_codes_left: 0, passkeys: 0 } });
  });
});

describe('stats', () => {
  it('count mfa_users: accounts with TOTP on, not a pending setup', async () => {
    const before = (await api(t, 'GET', '/admin/api/stats/', rootAuth)).json.mfa_users;
    expect(Object.keys((await api(t, 'GET', '/admin/api/stats/', rootAuth)).json).at(-1)).toBe('mfa_users');
    await withTotp(t);
    const pending = await makeUser(t.ctx);
    const token = (await t.ctx.knox.create(pending, null, null)).token;
    expect((await request(t.url, 'POST', '/v1/user/mfa/totp/', { json: { password: PASSWORD }, headers: { authorization: `Token ${token}` } })).status).toBe(200);
    expect((await api(t, 'GET', '/admin/api/stats/', rootAuth)).json.mfa_users).toBe(before + 1);
  });
});

describe('POST /admin/api/users/<id>/mfa/reset/', () => {
  it('turns it off: 204; every session ends; the password alone logs in again; audit, mail, event', async () => {
    const u = await withTotp(t);
    const r = await api(t, 'POST', `/admin/api/users/${u.user.id}/mfa/reset/`, staffAuth);
    expect(r.status, r.text).toBe(204);
    expect(r.text).toBe('');
    expect((await api(t, 'GET', `/admin/api/users/${u.user.id}/`, rootAuth)).json.mfa).toEqual({ totp: false, recovery_codes_left: 0, passkeys: 0 });
    const number = u.user.number;
    expect(await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', number).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', number).execute()).toEqual([]);
    // The knox token that turned TOTP on ended with every other session.
    const dead = await request(t.url, 'GET', '/v1/user/mock-login/', { headers: { authorization: `Token ${u.token}` } });
    expect({ status: dead.status, body: dead.json }).toEqual({ status: 401, body: 'Invalid token.' });
    const login = await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email: u.user.email, password: PASSWORD } });
    expect(login.json.token).toMatch(/^[0-9a-f]{64}$/);
    const audit = await auditOf(t, u.user.id, 'admin.user.mfa_reset');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ surface: 'admin-api', details: { totp: true } });
    expect(audit[0].actor_id).not.toBeNull();
    const mail = (await mailsTo(t, u.user.email!)).find((m) => m.subject === 'Two-factor authentication was turned off');
    expect(mail?.text).toContain('An administrator turned off two-factor authentication');
    const events = await eventsOf(t, u.user.id);
    expect(events.filter((e) => e.type.startsWith('mfa.')).map((e) => e.type)).toEqual(['mfa.enabled', 'mfa.disabled']);
    expect(events.filter((e) => e.type === 'session.revoked').map((e) => e.data.reason)).toEqual(['mfa_enabled', 'mfa_reset']);
  });

  it('for an account with nothing on: 204 still, sessions end, no mfa.disabled event', async () => {
    const plain = await makeUser(t.ctx);
    const token = (await t.ctx.knox.create(plain, null, null)).token;
    expect((await api(t, 'POST', `/admin/api/users/${plain.id}/mfa/reset`, rootAuth)).status).toBe(204);
    expect((await request(t.url, 'GET', '/v1/user/mock-login/', { headers: { authorization: `Token ${token}` } })).status).toBe(401);
    expect((await auditOf(t, plain.id, 'admin.user.mfa_reset'))[0].details).toEqual({ totp: false });
    expect((await eventsOf(t, plain.id)).filter((e) => e.type === 'mfa.disabled')).toEqual([]);
  });

  it('is superuser-only on a superuser; 404 for an unknown user; 405 for GET; 401 without a credential', async () => {
    const su = await withTotp(t, { superuser: true });
    const refused = await api(t, 'POST', `/admin/api/users/${su.user.id}/mfa/reset/`, staffAuth);
    expect({ status: refused.status, body: refused.json }).toEqual({ status: 403, body: { detail: 'You do not have permission to perform this action.' } });
    expect((await api(t, 'GET', `/admin/api/users/${su.user.id}/`, rootAuth)).json.mfa.totp).toBe(true);
    expect((await api(t, 'POST', `/admin/api/users/${su.user.id}/mfa/reset/`, rootAuth)).status).toBe(204);
    const unknown = await api(t, 'POST', '/admin/api/users/00000000-0000-4000-8000-000000000000/mfa/reset/', rootAuth);
    expect({ status: unknown.status, body: unknown.json }).toEqual({ status: 404, body: { detail: 'Not found.' } });
    const get = await api(t, 'GET', `/admin/api/users/${su.user.id}/mfa/reset/`, rootAuth);
    expect({ status: get.status, body: get.json }).toEqual({ status: 405, body: { detail: 'Method "GET" not allowed.' } });
    expect(get.headers.get('allow')).toBe('POST');
    const anonymous = await api(t, 'POST', `/admin/api/users/${su.user.id}/mfa/reset/`, null);
    expect(anonymous.status).toBe(401);
  });
});

describe('ADMIN_REQUIRE_MFA=true', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startApp({ SURFACES: 'v1,admin', ADMIN_REQUIRE_MFA: 'true' });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('refuses staff without a second factor with the 403 of the policy; with TOTP on they get in', async () => {
    const staff = await makeUser(strict.ctx, { staff: true });
    const token = (await strict.ctx.knox.create(staff, null, null)).token;
    for (const path of ['/admin/api/users/', '/admin/api/stats/', `/admin/api/users/${staff.id}/mfa/reset/`]) {
      const r = await api(strict, path.endsWith('reset/') ? 'POST' : 'GET', path, `Token ${token}`);
      expect({ status: r.status, body: r.json }, path).toEqual({ status: 403, body: { detail: MFA_REQUIRED } });
    }
    await enrolOver(strict.url, { id: staff.id, email: staff.email!, username: staff.username!, password: PASSWORD }, token);
    expect((await api(strict, 'GET', '/admin/api/users/', `Token ${token}`)).status).toBe(200);
  });

  it('leaves the other answers as they were: 401 without a credential, 403 for non-staff', async () => {
    expect((await api(strict, 'GET', '/admin/api/users/', null)).status).toBe(401);
    const plain = await makeUser(strict.ctx);
    const r = await api(strict, 'GET', '/admin/api/users/', await knoxHeader(strict.ctx, plain));
    expect({ status: r.status, body: r.json }).toEqual({ status: 403, body: { detail: 'You do not have permission to perform this action.' } });
  });
});
