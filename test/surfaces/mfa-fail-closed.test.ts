// No older API steps around two-factor (mfa.md §3.3): api-user, account, users and user-account
// cannot ask for a code, so a right password for an account with TOTP on fails there as each
// surface's own bad-credentials answer, after the password check, without a lockout count,
// audited as login.failure mfa_required; and their credentials issued before TOTP was turned
// on ended with it (§2.3, v1.md §0.8). Every surface is mounted, as in production.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { type TestApp, startApp } from '../helpers/app.js';
import { Client, type HttpResponse, request } from '../helpers/http.js';
import { UsersClient } from './users/helpers.js';
import { auditOf, challengeOf, enrolOver, userRow } from './v1/mfa-support.js';

const PASSWORD = 'Admin,123';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

interface Person { id: string; email: string; username: string; password: string }

async function person(): Promise<Person> {
  const tag = randomBytes(5).toString('hex');
  const made = await t.ctx.accounts.create({ email: `closed-${tag}@example.com`, username: `closed_${tag}`, password: PASSWORD });
  if (!made.ok) throw new Error('fixture');
  return { id: made.user.id, email: made.user.email!, username: made.user.username!, password: PASSWORD };
}

function apiUserLogin(p: Person) {
  return request(t.url, 'POST', '/api/user/login', { json: { email: p.email, password: p.password } });
}
function accountLogin(p: Person) {
  return request(t.url, 'POST', '/account/login', { json: { username: p.username, password: p.password } });
}
function usersLogin(client: UsersClient, p: Person) {
  return client.login(p.username, p.password);
}
function uaLogin(p: Person) {
  return request(t.url, 'POST', '/user_account/login', { json: { username: p.username, pwd: p.password } });
}

function expectAnswer(r: HttpResponse, status: number, body: unknown): void {
  expect({ status: r.status, body: r.json }, r.text).toEqual({ status, body });
}

/** TOTP on through v1, with a knox token of its own. */
async function turnOn(p: Person): Promise<void> {
  const knox = await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email: p.email, password: p.password } });
  expect(knox.status).toBe(200);
  await enrolOver(t.url, { ...p }, knox.json.token);
}

describe('a right password for an account with TOTP on', () => {
  it('fails as each surface\'s bad-credentials answer, audited mfa_required, never counted', async () => {
    const p = await person();
    await turnOn(p);
    for (let round = 0; round < 3; round++) {
      expectAnswer(await apiUserLogin(p), 400, { email: ['Invalid User Credentials.'], password: ['Invalid User Credentials.'] });
      expectAnswer(await accountLogin(p), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
      const users = await usersLogin(new UsersClient(t.url), p);
      expectAnswer(users, 401, { errors: 'Invalid password.' });
      expect(users.setCookies.some((c) => c.startsWith('sessionid='))).toBe(false);
      expectAnswer(await uaLogin(p), 401, { msg: 'Wrong username or password' });
    }
    // Twelve refusals, more than LOCKOUT_FAILURES: none of them counted.
    const row = await userRow(t, p.id);
    expect(row.failed_logins).toBe(0);
    expect(row.locked_until).toBeNull();
    const failures = await auditOf(t, p.id, 'login.failure');
    expect(failures).toHaveLength(12);
    expect(failures.every((a) => a.details.reason === 'mfa_required')).toBe(true);
    expect(new Set(failures.map((a) => a.surface))).toEqual(new Set(['api-user', 'account', 'users', 'user-account']));
    // v1 still offers the second step.
    await challengeOf(t.url, 'knox', p);
  });

  it('is checked after the password: a wrong one is the ordinary failure, and counts', async () => {
    const p = await person();
    await turnOn(p);
    expectAnswer(await accountLogin({ ...p, password: 'Wrong,123' }), 400, { non_field_errors: ['Unable to log in with provided credentials.'] });
    expect((await userRow(t, p.id)).failed_logins).toBe(1);
    expect((await auditOf(t, p.id, 'login.failure')).map((a) => a.details.reason)).toEqual(['wrong_password']);
  });
});

describe('credentials of the older surfaces issued before TOTP was turned on', () => {
  it('end with the other sessions', async () => {
    const p = await person();
    const api = await apiUserLogin(p);
    expect(api.status, api.text).toBe(200);
    const account = await accountLogin(p);
    expect(account.status, account.text).toBe(200);
    const users = new UsersClient(t.url);
    expect((await usersLogin(users, p)).status).toBe(200);
    const ua = await uaLogin(p);
    expect(ua.status, ua.text).toBe(200);
    const uaToken: string = ua.json.token;
    expect(uaToken).toBeTruthy();
    const v1Jwt = new Client(t.url);
    const jwt = await v1Jwt.post('/v1/user/login-jwt/', { json: { email: p.email, password: p.password } });
    expect(jwt.status).toBe(200);

    await turnOn(p);

    const me = await request(t.url, 'GET', '/api/user/me', { headers: { authorization: `JWT ${api.json.tokens.access}` } });
    expect(me.status).toBe(401);
    expect(me.json.messages?.[0]?.message).toBe('Token is blacklisted');
    expectAnswer(await request(t.url, 'POST', '/api/user/refresh', { json: { refresh: api.json.tokens.refresh } }), 401, { detail: 'Token is blacklisted', code: 'token_not_valid' });
    expectAnswer(await request(t.url, 'GET', '/account/profile', { headers: { authorization: `Token ${account.json.token}` } }), 401, { detail: 'Invalid token.' });
    expectAnswer(await users.unsafe('POST', '/users/avatar/', { json: {} }), 401, { errors: 'User is not authenticated.' });
    expectAnswer(await request(t.url, 'GET', '/user_account/profile_settings', { headers: { authorization: `Bearer ${uaToken}` } }), 401, { msg: 'Token has been revoked' });
    expectAnswer(await request(t.url, 'GET', '/v1/user/mock-login/', { headers: { authorization: `Bearer ${jwt.json.access}` } }), 401, 'Invalid token.');
    expectAnswer(await v1Jwt.post('/v1/user/token/refresh/'), 401, 'Token is blacklisted');
  });
});
