// account.md §2.1–§2.3 and §1.4: register, login (the same key until logout), logout, the key
// at rest, races, and lockout shared with the other surfaces.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import type { RequestMeta } from '../../../src/core/audit.js';
import { ACCOUNT_KEY_PURPOSE } from '../../../src/core/account-keys.js';
import { sha256Hex } from '../../../src/core/secrets.js';
import { HEX40, PASSWORD, freshUser, names, startAccount, token } from './support.js';
import { warmSockets } from '../api-user/support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startAccount();
});
afterAll(async () => {
  await t?.close();
});

const BAD = '{"non_field_errors":["Unable to log in with provided credentials."]}';

function register(json: unknown) {
  return request(t.url, 'POST', '/account/register', { json });
}

function login(json: unknown) {
  return request(t.url, 'POST', '/account/login', { json });
}

describe('register (§2.1)', () => {
  it('answers 200 {success: true, token} with no-store, sets the default picture and audits', async () => {
    const n = names();
    const r = await register({ ...n, password: PASSWORD });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['success', 'token']);
    expect(r.json.success).toBe(true);
    expect(r.json.token).toMatch(HEX40);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const row = (await t.ctx.accounts.byUsername(n.username))!;
    expect(row.picture).toBe('https://davidnelsoncollins.com/wp-content/uploads/2018/11/profiles-empty1.png');
    expect(row.email).toBe(n.email);
    const profile = await request(t.url, 'GET', '/account/profile', { headers: token(r.json.token) });
    expect(profile.status).toBe(200);
    const audit = await t.ctx.db.selectFrom('audit_log').select(['event', 'surface']).where('user_id', '=', row.id).execute();
    expect(audit).toEqual([{ event: 'user.register', surface: 'account' }]);
  });

  it('answers every validation failure with HTTP 200 and success false', async () => {
    await register({ username: 'Taken', email: 'taken@example.com', password: 'x' });
    const cases: Array<[unknown, unknown]> = [
      [{}, { username: ['This field is required.'], email: ['This field is required.'], password: ['This field is required.'] }],
      [{ username: 'TAKEN', email: 'Taken@Example.com', password: 'x' }, { username: ['user with this username already exists.'], email: ['user with this email already exists.'] }],
      [{ username: 'u'.repeat(33), email: `${'e'.repeat(245)}@example.com`, password: 'p'.repeat(129) }, { username: ['Ensure this field has no more than 32 characters.'], email: ['Ensure this field has no more than 256 characters.'], password: ['Ensure this field has no more than 128 characters.'] }],
      [{ username: ' ', email: 'no-at-sign', password: null }, { username: ['This field may not be blank.'], email: ['Enter a valid email address.'], password: ['This field may not be null.'] }],
      [{ username: ['x'], email: true, password: {} }, { username: ['Not a valid string.'], email: ['Not a valid string.'], password: ['Not a valid string.'] }],
      [{ username: 'nul\u0000', email: 'ok@example.com', password: 'x' }, { username: ['Null characters are not allowed.'] }],
    ];
    for (const [body, errors] of cases) {
      const r = await register(body);
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(r.text).toBe(JSON.stringify({ success: false, errors }));
    }
  });

  it('allows any characters in a username and stores trimmed values', async () => {
    const r = await register({ username: '  ünï cødé 🎉 ', email: ' odd@example.com ', password: '  padded  ' });
    expect(r.json.success).toBe(true);
    const row = (await t.ctx.accounts.byUsername('ÜNÏ CØDÉ 🎉'))!;
    expect(row.username).toBe('ünï cødé 🎉');
    expect(row.email).toBe('odd@example.com');
    // The password was trimmed before hashing; login does not trim.
    expect((await login({ username: 'ünï cødé 🎉', password: 'padded' })).status).toBe(200);
    expect((await login({ username: 'ünï cødé 🎉', password: '  padded  ' })).text).toBe(BAD);
  });

  it('of 20 parallel identical registrations exactly one succeeds, the rest get success false', async () => {
    const n = names();
    await warmSockets(t.url, '/account/register');
    const results = await Promise.all(Array.from({ length: 20 }, () => register({ ...n, password: PASSWORD })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.json.success === true)).toHaveLength(1);
    for (const r of results.filter((x) => x.json.success !== true)) {
      expect(r.json.success).toBe(false);
      expect(Object.keys(r.json.errors).every((k) => ['username', 'email'].includes(k))).toBe(true);
      expect(Object.values(r.json.errors).flat()).toEqual(expect.arrayContaining([expect.stringMatching(/^user with this (username|email) already exists\.$/)]));
    }
    const rows = await t.ctx.db.selectFrom('users').select('number').where('username_ci', '=', n.username).execute();
    expect(rows).toHaveLength(1);
    const keys = await t.ctx.db.selectFrom('account_tokens').select('user_number').where('user_number', '=', rows[0].number).execute();
    expect(keys).toHaveLength(1);
  });
});

describe('login (§2.2)', () => {
  it('returns the same key as registration, until logout', async () => {
    const u = await freshUser(t);
    const r = await login({ username: u.username.toUpperCase(), password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.text).toBe(JSON.stringify({ token: u.key }));
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await login({ username: u.username, password: PASSWORD })).json.token).toBe(u.key);
    const row = (await t.ctx.accounts.byUsername(u.username))!;
    expect(row.last_login).not.toBeNull();

    const out = await request(t.url, 'POST', '/account/logout', { headers: token(u.key) });
    expect(out.status).toBe(200);
    expect(out.text).toBe('{"success":true}');
    const dead = await request(t.url, 'GET', '/account/profile', { headers: token(u.key) });
    expect(dead.status).toBe(401);
    expect(dead.json).toEqual({ detail: 'Invalid token.' });

    const fresh = await login({ username: u.username, password: PASSWORD });
    expect(fresh.json.token).toMatch(HEX40);
    expect(fresh.json.token).not.toBe(u.key);
    const events = await t.ctx.db.selectFrom('audit_log').select(['event', 'details']).where('user_id', '=', row.id).orderBy('id').execute();
    expect(events.map((e) => e.event)).toEqual(['user.register', 'login.success', 'login.success', 'logout', 'login.success']);
    expect(JSON.parse(events[1].details)).toEqual({ method: 'token' });
    expect(JSON.parse(events[3].details)).toEqual({ method: 'token' });
  });

  it('parallel logins of a user without a key all get the same new key', async () => {
    const u = await freshUser(t);
    await request(t.url, 'POST', '/account/logout', { headers: token(u.key) });
    await warmSockets(t.url, '/account/login', 10);
    const results = await Promise.all(Array.from({ length: 10 }, () => login({ username: u.username, password: PASSWORD })));
    const keys = new Set(results.map((r) => r.json.token));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(HEX40);
  });

  it('reports presence errors, keeps the password untrimmed, and answers one bad-credentials body', async () => {
    const cases: Array<[unknown, unknown]> = [
      [{}, { username: ['This field is required.'], password: ['This field is required.'] }],
      [{ username: ' ', password: '' }, { username: ['This field may not be blank.'], password: ['This field may not be blank.'] }],
      [{ username: null, password: false }, { username: ['This field may not be null.'], password: ['Not a valid string.'] }],
    ];
    for (const [body, expected] of cases) {
      const r = await login(body);
      expect(r.status).toBe(400);
      expect(r.text).toBe(JSON.stringify(expected));
    }
    const u = await freshUser(t);
    for (const body of [
      { username: u.username, password: '   ' },
      { username: u.username, password: 'wrong' },
      { username: 'nobody-here', password: PASSWORD },
      { username: u.username, password: 'p'.repeat(129) },
    ]) {
      const r = await login(body);
      expect(r.status).toBe(400);
      expect(r.text).toBe(BAD);
    }
    await t.ctx.accounts.update(u.number, { isActive: false });
    expect((await login({ username: u.username, password: PASSWORD })).text).toBe(BAD);
  });
});

describe('lockout (§1.4, v1.md §0.7)', () => {
  it('five wrong passwords lock the account; the right one then gets the ordinary 400', async () => {
    const u = await freshUser(t);
    for (let i = 0; i < 5; i++) expect((await login({ username: u.username, password: `wrong${i}` })).text).toBe(BAD);
    const r = await login({ username: u.username, password: PASSWORD });
    expect(r.status).toBe(400);
    expect(r.text).toBe(BAD);
  });

  it('a lock set through another surface cannot be avoided here', async () => {
    const u = await freshUser(t);
    const meta: RequestMeta = { surface: 'api-user', ip: '127.0.0.1', userAgent: null };
    for (let i = 0; i < 5; i++) {
      await t.ctx.login.attempt({ user: await t.ctx.accounts.byEmail(u.email), password: 'wrong', identifier: u.email, method: 'jwt', meta });
    }
    expect((await login({ username: u.username, password: PASSWORD })).text).toBe(BAD);
  });
});

describe('the key at rest (§1.3)', () => {
  it('is stored sealed, found by its SHA-256 digest, never in plain text', async () => {
    const u = await freshUser(t);
    const row = await t.ctx.db.selectFrom('account_tokens').selectAll().where('user_number', '=', u.number).executeTakeFirstOrThrow();
    expect(row.digest).toBe(sha256Hex(u.key));
    expect(row.sealed).not.toContain(u.key);
    expect(Buffer.from(row.sealed.replace(/\./g, ''), 'base64url').toString('latin1')).not.toContain(u.key);
    expect(t.ctx.secrets.unseal(ACCOUNT_KEY_PURPOSE, row.sealed)).toBe(u.key);
    const everything = JSON.stringify(await t.ctx.db.selectFrom('account_tokens').selectAll().execute());
    expect(everything).not.toContain(u.key);
  });

  it('a sealed value that no longer opens (SECRET_KEY changed) is replaced at the next login', async () => {
    const u = await freshUser(t);
    await t.ctx.db.updateTable('account_tokens').set({ sealed: t.ctx.secrets.seal('another purpose', u.key) }).where('user_number', '=', u.number).execute();
    const results = await Promise.all(Array.from({ length: 5 }, () => login({ username: u.username, password: PASSWORD })));
    const keys = new Set(results.map((r) => r.json.token));
    expect(keys.size).toBe(1);
    const key = [...keys][0];
    expect(key).not.toBe(u.key);
    expect((await request(t.url, 'GET', '/account/profile', { headers: token(key) })).status).toBe(200);
  });

  it('"revoke all" deletes the key (v1.md §0.8)', async () => {
    const u = await freshUser(t);
    const row = (await t.ctx.accounts.byNumber(u.number))!;
    await t.ctx.revocation.endAllSessions(row);
    const r = await request(t.url, 'GET', '/account/profile', { headers: token(u.key) });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ detail: 'Invalid token.' });
  });
});
