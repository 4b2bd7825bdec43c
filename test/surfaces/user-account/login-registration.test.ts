// user-account.md §5.1 login, §5.2 registration, §3 lockout.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { bearer, cookieLine, get, login, mailsTo, outbox, post, register, registerAndLogin, startUa, uniqueName } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startUa({ LOCKOUT_FAILURES: '3', LOCKOUT_MINUTES: '15' });
});
afterAll(async () => {
  await t?.close();
});

const long = (n: number): string => 'x'.repeat(n);

describe('login field checks (§5)', () => {
  it.each([
    [{}, 'username is required'],
    [{ username: null, pwd: 'x' }, 'username is required'],
    [{ username: 5, pwd: 'x' }, 'username must be a string'],
    [{ username: ['a'] }, 'username must be a string'],
    [{ username: 'a' }, 'pwd is required'],
    [{ username: 'a', pwd: null }, 'pwd is required'],
    [{ username: 'a', pwd: 1234 }, 'pwd must be a string'],
    [{ username: 'a', pwd: { x: 1 } }, 'pwd must be a string'],
    [{ username: 'a', pwd: long(129) }, 'pwd is too long'],
  ])('%j → 400 %s', async (body, message) => {
    const r = await post(t, '/login', body);
    expect(r.status).toBe(400);
    expect(r.text).toBe(JSON.stringify({ msg: message }));
  });
});

describe('login (§5.1)', () => {
  it('answers 200 with msg and token, sets both cookies as specified, no-store', async () => {
    const u = await register(t);
    const r = await post(t, '/login', { username: u.username, pwd: u.pwd, remember: true });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['msg', 'token']);
    expect(r.json.msg).toBe('login successful');
    const token: string = r.json.token;
    const claims = decodeJwt(token);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(Buffer.from(token.split('.')[0], 'base64url').toString()).toBe('{"alg":"HS256","typ":"JWT"}');
    expect(Object.keys(claims)).toEqual(['fresh', 'iat', 'jti', 'type', 'sub', 'nbf', 'csrf', 'exp']);
    expect(claims.fresh).toBe(false);
    expect(claims.type).toBe('access');
    expect(claims.sub).toBe((await t.ctx.accounts.byUsername(u.username))!.number);
    expect(claims.jti).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.csrf).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims.nbf).toBe(claims.iat);
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    expect(cookieLine(r, 'access_token_cookie')).toBe(`access_token_cookie=${token}; HttpOnly; Path=/`);
    expect(cookieLine(r, 'csrf_access_token')).toBe(`csrf_access_token=${claims.csrf}; Path=/`);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });

  it('looks the username up case-insensitively and sets last_login', async () => {
    const u = await register(t, { username: uniqueName('MixedCase') });
    const before = await t.ctx.accounts.byUsername(u.username);
    expect(before!.last_login).toBeNull();
    const r = await post(t, '/login', { username: u.username.toUpperCase(), pwd: u.pwd });
    expect(r.status).toBe(200);
    expect((await t.ctx.accounts.byUsername(u.username))!.last_login).not.toBeNull();
  });

  it('a wrong password, an unknown user or an inactive account → 401 Wrong username or password', async () => {
    const u = await register(t);
    const wrong = await post(t, '/login', { username: u.username, pwd: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toBe('{"msg":"Wrong username or password"}');
    expect(wrong.setCookies).toEqual([]);
    expect((await post(t, '/login', { username: 'no-such-' + uniqueName(), pwd: 'x' })).text).toBe('{"msg":"Wrong username or password"}');
    expect((await post(t, '/login', { username: '', pwd: '' })).status).toBe(401);
    const v = await register(t);
    await t.ctx.accounts.update((await t.ctx.accounts.byUsername(v.username))!.number, { isActive: false });
    const inactive = await post(t, '/login', { username: v.username, pwd: v.pwd });
    expect(inactive.status).toBe(401);
    expect(inactive.text).toBe('{"msg":"Wrong username or password"}');
  });

  it('a username no account can have (NUL) is a plain 401 on every database', async () => {
    const r = await post(t, '/login', { username: 'a\u0000b', pwd: 'x' });
    expect(r.status).toBe(401);
    expect(r.text).toBe('{"msg":"Wrong username or password"}');
  });

  it('a password with NUL or a lone surrogate is just a password', async () => {
    const u = await register(t, { pwd: 'p\u0000\ud800' });
    expect((await post(t, '/login', { username: u.username, pwd: 'p\u0000\ud800' })).status).toBe(200);
  });

  it('ignores any token sent with it', async () => {
    const u = await register(t);
    const r = await post(t, '/login', { username: u.username, pwd: u.pwd }, { authorization: 'Bearer garbage' }, { access_token_cookie: 'garbage' });
    expect(r.status).toBe(200);
  });

  it('an empty password registered is a real password', async () => {
    const u = await register(t, { pwd: '' });
    expect((await post(t, '/login', { username: u.username, pwd: '' })).status).toBe(200);
    expect((await post(t, '/login', { username: u.username, pwd: 'x' })).status).toBe(401);
  });
});

describe('lockout (§3)', () => {
  it('the failure that locks, and every login while locked, answer the same 401, even with the right password', async () => {
    const u = await register(t);
    for (let i = 0; i < 3; i++) {
      const r = await post(t, '/login', { username: u.username, pwd: 'wrong' });
      expect(r.status).toBe(401);
      expect(r.text).toBe('{"msg":"Wrong username or password"}');
    }
    const locked = await t.ctx.accounts.byUsername(u.username);
    expect(locked!.locked_until).not.toBeNull();
    const right = await post(t, '/login', { username: u.username, pwd: u.pwd });
    expect(right.status).toBe(401);
    expect(right.text).toBe('{"msg":"Wrong username or password"}');
  });

  it('a lock set through another surface (the core streak) cannot be avoided here', async () => {
    const u = await register(t);
    const number = (await t.ctx.accounts.byUsername(u.username))!.number;
    for (let i = 0; i < 3; i++) await t.ctx.lockout.recordFailure(number);
    expect((await post(t, '/login', { username: u.username, pwd: u.pwd })).status).toBe(401);
  });

  it('a successful login clears the streak', async () => {
    const u = await register(t);
    await post(t, '/login', { username: u.username, pwd: 'wrong' });
    await post(t, '/login', { username: u.username, pwd: 'wrong' });
    await login(t, u.username, u.pwd);
    expect((await t.ctx.accounts.byUsername(u.username))!.failed_logins).toBe(0);
    await post(t, '/login', { username: u.username, pwd: 'wrong' });
    expect((await post(t, '/login', { username: u.username, pwd: u.pwd })).status).toBe(200);
  });
});

describe('registration field checks (§5, §5.2)', () => {
  const ok = { username: 'fieldcheck', full_name: 'F', email: '', pwd: 'p' };
  it.each([
    [{}, 'username is required'],
    [{ ...ok, username: '' }, 'username is required'],
    [{ ...ok, username: null }, 'username is required'],
    [{ ...ok, username: 12 }, 'username must be a string'],
    [{ ...ok, username: long(51) }, 'username is too long'],
    [{ username: 'fc' }, 'full_name is required'],
    [{ ...ok, full_name: null }, 'full_name is required'],
    [{ ...ok, full_name: false }, 'full_name must be a string'],
    [{ ...ok, full_name: long(51) }, 'full_name is too long'],
    [{ username: 'fc', full_name: '' }, 'email is required'],
    [{ ...ok, email: null }, 'email is required'],
    [{ ...ok, email: ['a@b.c'] }, 'email must be a string'],
    [{ ...ok, email: long(49) + '@x' }, 'email is too long'],
    [{ username: 'fc', full_name: '', email: '' }, 'pwd is required'],
    [{ ...ok, pwd: null }, 'pwd is required'],
    [{ ...ok, pwd: 1234 }, 'pwd must be a string'],
    [{ ...ok, pwd: long(129) }, 'pwd is too long'],
    [{ ...ok, phone: 79001234567 }, 'phone must be a string'],
    [{ ...ok, phone: long(13) }, 'phone is too long'],
    [{ ...ok, contacts: {} }, 'contacts must be a string'],
    [{ ...ok, contacts: long(101) }, 'contacts is too long'],
    [{ username: 1, full_name: 2, email: 3, pwd: 4 }, 'username must be a string'],
    [{ username: 'fc', full_name: 2, email: 3 }, 'full_name must be a string'],
    [{ ...ok, pwd: long(200), phone: long(20) }, 'pwd is too long'],
    [{ ...ok, username: 'nul\u0000name' }, 'username contains invalid characters'],
    [{ ...ok, full_name: '\u0000' }, 'full_name contains invalid characters'],
    [{ ...ok, email: 'a\ud800@x.io' }, 'email contains invalid characters'],
    [{ ...ok, phone: '+1\u0000' }, 'phone contains invalid characters'],
    [{ ...ok, contacts: 'x\udfff' }, 'contacts contains invalid characters'],
    [{ ...ok, username: long(51) + '\u0000' }, 'username is too long'],
  ])('%j → 400 %s', async (body, message) => {
    const r = await post(t, '/registration', body);
    expect(r.status).toBe(400);
    expect(r.text).toBe(JSON.stringify({ msg: message }));
    expect(await t.ctx.accounts.byUsername('fieldcheck')).toBeUndefined();
  });

  it('limits count characters, not UTF-16 units, and allow the maximum', async () => {
    const username = '😀'.repeat(49) + String(process.pid % 10);
    const r = await post(t, '/registration', { username, full_name: 'é'.repeat(50), email: '', pwd: 'x'.repeat(128), phone: '+12345678901', contacts: 'c'.repeat(100) });
    expect(r.status).toBe(200);
  });
});

describe('registration (§5.2)', () => {
  it('creates an unverified user, answers Check your email..., logs nobody in, mails a confirmation', async () => {
    const username = uniqueName('Reg');
    const r = await post(t, '/registration', { username, full_name: 'Admin A.A.', email: `${username}@Example.test`, phone: null, contacts: null, pwd: '1234' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"msg":"Check your email..."}');
    expect(r.setCookies).toEqual([]);
    const user = await t.ctx.accounts.byUsername(username);
    expect(user).toMatchObject({ username, full_name: 'Admin A.A.', email: `${username}@Example.test`, email_verified: 0, phone: null, contacts: null });
    const mails = mailsTo(await outbox(t), `${username}@Example.test`, 'Confirm Your Email');
    expect(mails).toHaveLength(1);
    expect(mails[0].text).toContain('Hello Admin A.A.,');
    expect(mails[0].text).toContain('10 minutes');
    const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'user.register').where('user_username', '=', username).execute();
    expect(audit).toHaveLength(1);
  });

  it('without an email: no mail, and several users may have none', async () => {
    const before = (await outbox(t)).length;
    const a = await register(t, { email: '' });
    await register(t, { email: '' });
    expect((await outbox(t)).length).toBe(before);
    expect((await t.ctx.accounts.byUsername(a.username))!.email).toBeNull();
  });

  it('does not check the email format', async () => {
    const u = await register(t, { email: 'not an email ' + uniqueName() });
    expect((await t.ctx.accounts.byUsername(u.username))!.email).toMatch(/^not an email/);
  });

  it('a taken username (any case) → 400 username is not allowed, before the email check', async () => {
    const u = await register(t);
    const r = await post(t, '/registration', { username: u.username.toUpperCase(), full_name: '', email: u.email, pwd: 'x' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"msg":"username is not allowed"}');
  });

  it('a taken non-empty email (any case) → 400 email is not allowed', async () => {
    const u = await register(t);
    const r = await post(t, '/registration', { username: uniqueName(), full_name: '', email: u.email.toUpperCase(), pwd: 'x' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"msg":"email is not allowed"}');
  });

  it('20 parallel registrations of one username: one account, one 200, the rest the ordinary 400', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post(t, '/registration', { username: i % 2 ? username : username.toUpperCase(), full_name: '', email: '', pwd: 'x' })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.text).toBe('{"msg":"username is not allowed"}');
    const rows = await t.ctx.db.selectFrom('users').select('number').where('username_ci', '=', username.toLowerCase()).execute();
    expect(rows).toHaveLength(1);
  });

  it('20 parallel registrations of one email under different usernames: one account', async () => {
    const email = `${uniqueName('race')}@example.test`;
    const results = await Promise.all(Array.from({ length: 20 }, () => post(t, '/registration', { username: uniqueName('r'), full_name: '', email, pwd: 'x' })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect(r.text).toBe('{"msg":"email is not allowed"}');
    const rows = await t.ctx.db.selectFrom('users').select('number').where('email_ci', '=', email).execute();
    expect(rows).toHaveLength(1);
  });

  it('a token sent with it is not read', async () => {
    const r = await post(t, '/registration', { username: uniqueName(), full_name: '', email: '', pwd: 'x' }, { authorization: 'Bearer x' }, { access_token_cookie: 'x' });
    expect(r.status).toBe(200);
  });

  it('phone and contacts are kept and shown by profile_settings', async () => {
    const u = await registerAndLogin(t, { phone: '+79001234567', contacts: '@telegram' });
    const r = await get(t, '/profile_settings', bearer(u.token));
    expect(r.json.phone).toBe('+79001234567');
    expect(r.json.contacts).toBe('@telegram');
  });
});

describe('Secure cookies (v1.md §0.3)', () => {
  it('with an https PUBLIC_URL both cookies, and the cleared ones, get Secure', async () => {
    const s = await startUa({ PUBLIC_URL: 'https://accounts.example.test' });
    try {
      const u = await register(s);
      const r = await post(s, '/login', { username: u.username, pwd: u.pwd });
      expect(cookieLine(r, 'access_token_cookie')).toBe(`access_token_cookie=${r.json.token}; Secure; HttpOnly; Path=/`);
      expect(cookieLine(r, 'csrf_access_token')).toMatch(/^csrf_access_token=[0-9a-f-]{36}; Secure; Path=\/$/);
      const out = await get(s, '/logout', bearer(r.json.token));
      expect(cookieLine(out, 'access_token_cookie')).toBe('access_token_cookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; Path=/');
    } finally {
      await s.close();
    }
  });

  it('a plain-http request without PUBLIC_URL gets no Secure', async () => {
    const u = await registerAndLogin(t);
    expect(cookieLine(u.res, 'access_token_cookie')).not.toContain('Secure');
    expect(cookieLine(u.res, 'csrf_access_token')).not.toContain('Secure');
  });
});
