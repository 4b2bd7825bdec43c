// api-user.md §3.1 and §1.5: login validation, the credential check, lockout shared with the
// other surfaces (v1.md §0.7), and what a login records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import type { RequestMeta } from '../../../src/core/audit.js';
import { PASSWORD, decodePart, freshUser, jwt, register, startApiUser } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApiUser();
});
afterAll(async () => {
  await t?.close();
});

const BAD = '{"email":["Invalid User Credentials."],"password":["Invalid User Credentials."]}';

function login(json: unknown) {
  return request(t.url, 'POST', '/api/user/login', { json });
}

describe('validation', () => {
  it('reports every failing field, each validator in order', async () => {
    const cases: Array<[unknown, unknown]> = [
      [{}, { email: ['This field is required.'], password: ['This field is required.'] }],
      [{ email: 'nobody', password: 'x' }, { email: ['Invalid user credentials', 'Enter a valid email address.'], password: ['Ensure this field has at least 8 characters.'] }],
      [{ email: 'abc' }, { email: ['Invalid user credentials', 'Ensure this field has at least 5 characters.', 'Enter a valid email address.'], password: ['This field is required.'] }],
      [{ email: 'nobody@example.com', password: 'long enough' }, { email: ['Invalid user credentials'] }],
      [{ email: null, password: null }, { email: ['This field may not be null.'], password: ['This field may not be null.'] }],
      [{ email: '   ', password: '' }, { email: ['This field may not be blank.'], password: ['This field may not be blank.'] }],
      [{ email: true, password: ['a'] }, { email: ['Not a valid string.'], password: ['Not a valid string.'] }],
      [{ email: { a: 1 }, password: 12345678 }, { email: ['Not a valid string.'] }],
      [{ email: 'a\u0000b@example.com', password: 'pass\u0000word' }, { email: ['Invalid user credentials', 'Null characters are not allowed.', 'Enter a valid email address.'], password: ['Null characters are not allowed.'] }],
    ];
    for (const [body, expected] of cases) {
      const r = await login(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text).toBe(JSON.stringify(expected));
    }
  });

  it('matches the seed example exactly', async () => {
    const r = await login({ email: 'not-an-email' });
    expect(r.text).toBe('{"email":["Invalid user credentials","Enter a valid email address."],"password":["This field is required."]}');
  });
});

describe('the credential check', () => {
  it('succeeds with 200 {tokens: {refresh, access}, data: user} and no-store', async () => {
    const email = 'Login.Case@Example.com';
    const reg = await register(t, email);
    const r = await login({ email: 'login.case@example.COM', password: PASSWORD });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(r.json)).toEqual(['tokens', 'data']);
    expect(Object.keys(r.json.tokens)).toEqual(['refresh', 'access']);
    expect(r.json.data).toEqual(reg.json);
    expect(Object.keys(r.json.data)).toEqual(['id', 'full_name', 'email', 'profile_pic']);
    expect(decodePart(r.json.tokens.access, 1).user_id).toBe(reg.json.id);
    const me = await request(t.url, 'GET', '/api/user/me', { headers: jwt(r.json.tokens.access) });
    expect(me.json).toEqual(reg.json);
  });

  it('fails with one answer for a wrong password, an inactive account and an over-long password', async () => {
    const u = await freshUser(t);
    expect((await login({ email: u.email, password: 'wrong password' })).text).toBe(BAD);
    expect((await login({ email: u.email, password: 'x'.repeat(129) })).text).toBe(BAD);
    const row = (await t.ctx.accounts.byId(u.id))!;
    await t.ctx.accounts.update(row.number, { isActive: false });
    const inactive = await login({ email: u.email, password: PASSWORD });
    expect(inactive.status).toBe(400);
    expect(inactive.text).toBe(BAD);
  });

  it('looks the account up by the email exactly as sent, but trims the password', async () => {
    const u = await freshUser(t);
    // Valid after trimming, so validation passes; the untrimmed address names nobody.
    expect((await login({ email: ` ${u.email} `, password: PASSWORD })).text).toBe(BAD);
    expect((await login({ email: u.email, password: `  ${PASSWORD}\t` })).status).toBe(200);
  });

  it('sets last_login and audits success and failure', async () => {
    const u = await freshUser(t);
    await login({ email: u.email, password: 'wrong password' });
    const row = (await t.ctx.accounts.byId(u.id))!;
    expect(row.last_login).not.toBeNull();
    const events = await t.ctx.db.selectFrom('audit_log').select(['event', 'surface', 'details']).where('user_id', '=', u.id).orderBy('id').execute();
    expect(events.map((e) => e.event)).toEqual(['user.register', 'login.success', 'login.failure']);
    expect(events.every((e) => e.surface === 'api-user')).toBe(true);
    expect(JSON.parse(events[1].details)).toEqual({ method: 'jwt' });
    expect(JSON.parse(events[2].details)).toEqual({ reason: 'wrong_password' });
  });
});

describe('lockout (§1.5, v1.md §0.7)', () => {
  it('five wrong passwords lock the account; then the right one gets the ordinary 400', async () => {
    const u = await freshUser(t);
    for (let i = 0; i < 5; i++) expect((await login({ email: u.email, password: `wrong ${i} pass` })).text).toBe(BAD);
    const right = await login({ email: u.email, password: PASSWORD });
    expect(right.status).toBe(400);
    expect(right.text).toBe(BAD);
    const row = (await t.ctx.accounts.byId(u.id))!;
    expect(row.locked_until).not.toBeNull();
  });

  it('a lock set through another surface cannot be avoided here', async () => {
    const u = await freshUser(t);
    const row = (await t.ctx.accounts.byId(u.id))!;
    const meta: RequestMeta = { surface: 'users', ip: '127.0.0.1', userAgent: null };
    for (let i = 0; i < 5; i++) {
      const user = await t.ctx.accounts.byId(u.id);
      await t.ctx.login.attempt({ user, password: 'wrong', identifier: row.username ?? u.email, method: 'session', meta });
    }
    const r = await login({ email: u.email, password: PASSWORD });
    expect(r.status).toBe(400);
    expect(r.text).toBe(BAD);
  });

  it('an unknown email never counts, and a success clears the streak', async () => {
    const u = await freshUser(t);
    for (let i = 0; i < 4; i++) await login({ email: u.email, password: 'wrong password' });
    expect((await login({ email: u.email, password: PASSWORD })).status).toBe(200);
    for (let i = 0; i < 4; i++) await login({ email: u.email, password: 'wrong password' });
    expect((await login({ email: u.email, password: PASSWORD })).status).toBe(200);
  });
});
