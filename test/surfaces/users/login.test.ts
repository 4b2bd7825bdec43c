// POST /users/login/ and /users/logout/ (users.md §1.2, §1.4, §2.3, §2.4): the shared
// session's login slot, lockout, and what logout ends.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_SLOT_MICROS, REFRESH_SLOT_MICROS } from '../../../src/core/browser-sessions.js';
import { MICROS_PER_SECOND, nowMicros, nowSeconds } from '../../../src/core/time.js';
import { startApp, type TestApp } from '../../helpers/app.js';
import { PASSWORD, UsersClient, cookieAttrs, loggedIn } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const INVALID = '{"errors":"Invalid password."}';
const LOCKED = '{"error":"Locked out due to too many login failures."}';
const NOT_AUTHENTICATED = '{"errors":"User is not authenticated."}';

async function registered(username: string): Promise<UsersClient> {
  const c = new UsersClient(t.url);
  expect((await c.register(username)).status).toBe(201);
  return c;
}

async function auditCount(event: string, username: string): Promise<number> {
  const rows = await t.ctx.db.selectFrom('audit_log').select('id').where('event', '=', event).where('user_username', '=', username).execute();
  return rows.length;
}

/** A v1-style session holding only a refresh slot, tied to a recorded JWT login. */
async function v1Session(username: string): Promise<{ key: string; loginId: string; refreshJti: string }> {
  const user = (await t.ctx.accounts.byUsername(username))!;
  const loginId = randomUUID();
  const refreshJti = randomUUID();
  const exp = nowSeconds() + 3600;
  await t.ctx.db.insertInto('jwt_logins').values({ id: loginId, user_id: user.id, created: nowMicros(), last_used: null, ip: null, user_agent: null, refresh_jti: refreshJti, refresh_exp: exp, ended_at: null }).execute();
  await t.ctx.revocation.recordTokens([
    { jti: refreshJti, surface: 'v1', type: 'refresh', userId: user.id, loginId, iat: exp - 3600, exp },
    { jti: randomUUID(), surface: 'v1', type: 'access', userId: user.id, loginId, iat: exp - 3600, exp },
  ]);
  const key = t.ctx.sessions.newKey();
  await t.ctx.sessions.save(key, { loginUser: null, loginExpires: null, refreshJti, refreshExpires: nowMicros() + REFRESH_SLOT_MICROS });
  return { key, loginId, refreshJti };
}

describe('login (§2.3)', () => {
  it('logs in: 200 body, a new session cookie, a new CSRF token, last_login, audit', async () => {
    const c = await registered('alice');
    const before = c.jar.csrftoken;
    const r = await c.login('alice');
    const user = (await t.ctx.accounts.byUsername('alice'))!;
    expect(r.status).toBe(200);
    expect(r.text).toBe(`{"id":${user.number},"username":"alice","message":"Login successful."}`);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const session = cookieAttrs(r, 'sessionid')!;
    expect(session).toMatchObject({ 'max-age': '7200', path: '/', samesite: 'Lax', httponly: '' });
    expect(session.value.length).toBeGreaterThanOrEqual(22);
    expect(cookieAttrs(r, 'csrftoken')!.value).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(c.jar.csrftoken).not.toBe(before);
    expect(user.last_login).toBeGreaterThan(nowMicros() - 60 * MICROS_PER_SECOND);
    expect(await auditCount('login.success', 'alice')).toBe(1);
    // The old CSRF token no longer works; the new one does.
    const stale = await c.send('POST', '/users/logout/', { headers: { 'x-csrftoken': before } });
    expect(stale.json.reason).toBe('CSRF token incorrect.');
    expect((await c.logout()).status).toBe(200);
  });

  it('finds the username case-insensitively but untrimmed', async () => {
    const c = await registered('CaseUser');
    expect((await c.login('caseuser')).json).toMatchObject({ username: 'CaseUser', message: 'Login successful.' });
    expect((await c.logout()).status).toBe(200);
    expect((await c.login(' CaseUser')).text).toBe('{"errors":"Username does not exist."}');
  });

  it('refuses a second login on a logged-in session before reading the body', async () => {
    const c = await loggedIn(t.url, 'twice');
    for (const body of ['{"username":"twice","password":"x"}', 'garbage']) {
      const r = await c.unsafe('POST', '/users/login/', { body });
      expect([r.status, r.text]).toEqual([400, '{"errors":"User is already authenticated."}']);
    }
  });

  it('answers 400 Invalid JSON input to a body that is not a JSON object', async () => {
    const c = new UsersClient(t.url);
    for (const body of ['', '{', '[]', '"x"', '3']) {
      expect((await c.unsafe('POST', '/users/login/', { body })).text).toBe('{"errors":"Invalid JSON input."}');
    }
  });

  it('answers 401 when the username or password is missing, empty or not a string', async () => {
    const c = new UsersClient(t.url);
    const bodies = [{}, { username: 'alice' }, { password: PASSWORD }, { username: '', password: PASSWORD }, { username: 'alice', password: '' }, { username: 12, password: PASSWORD }, { username: 'alice', password: 12345678 }, { username: 'alice', password: null }];
    for (const json of bodies) {
      const r = await c.unsafe('POST', '/users/login/', { json });
      expect([r.status, r.text]).toEqual([401, '{"errors":"Username and password are required."}']);
    }
  });

  it('answers 401 Username does not exist. to an unknown username, without counting it', async () => {
    const c = new UsersClient(t.url);
    for (let i = 0; i < 6; i++) {
      const r = await c.login('nobody-here');
      expect([r.status, r.text]).toEqual([401, '{"errors":"Username does not exist."}']);
    }
    expect((await c.login('with\u0000nul')).text).toBe('{"errors":"Username does not exist."}');
  });

  it('answers 401 Invalid password. to a wrong password, and to one over 128 characters', async () => {
    const c = await registered('wrongpw');
    expect((await c.login('wrongpw', 'not-the-password')).text).toBe(INVALID);
    expect((await c.login('wrongpw', 'x'.repeat(129))).text).toBe(INVALID);
    expect(r401SetsNoSession(await c.login('wrongpw', 'nope'))).toBe(true);
  });

  it('treats an inactive account as a wrong password that counts', async () => {
    const c = await registered('sleeper');
    const user = (await t.ctx.accounts.byUsername('sleeper'))!;
    await t.ctx.accounts.update(user.number, { isActive: false });
    expect((await c.login('sleeper')).text).toBe(INVALID);
    expect((await t.ctx.accounts.byUsername('sleeper'))!.failed_logins).toBe(1);
  });
});

function r401SetsNoSession(r: { status: number; setCookies: string[] }): boolean {
  return r.status === 401 && !r.setCookies.some((s) => s.startsWith('sessionid='));
}

describe('lockout (§1.4)', () => {
  it('locks on the 5th consecutive failure and refuses even the right password while locked', async () => {
    const c = await registered('locky');
    for (let i = 0; i < 4; i++) expect((await c.login('locky', 'wrong')).text).toBe(INVALID);
    const fifth = await c.login('locky', 'wrong');
    expect([fifth.status, fifth.text]).toEqual([403, LOCKED]);
    for (const pw of [PASSWORD, 'wrong']) {
      const r = await c.login('locky', pw);
      expect([r.status, r.text]).toEqual([403, LOCKED]);
    }
    // Also from another client, and with a case variant of the name: the lock is the account's.
    expect((await new UsersClient(t.url).login('LOCKY')).text).toBe(LOCKED);
    expect(await auditCount('lockout', 'locky')).toBe(1);
    expect(await auditCount('login.failure', 'locky')).toBe(5);
    // Attempts while locked are not recorded as failures and do not extend the lock.
    const user = (await t.ctx.accounts.byUsername('locky'))!;
    expect(user.failed_logins).toBe(5);
    // Once the lock has run out, the right password works again and clears the streak.
    await t.ctx.db.updateTable('users').set({ locked_until: nowMicros() - 1, last_failure_at: nowMicros() - 16 * 60 * MICROS_PER_SECOND }).where('number', '=', user.number).execute();
    expect((await c.login('locky')).status).toBe(200);
    expect((await t.ctx.accounts.byUsername('locky'))!.failed_logins).toBe(0);
  });

  it('starts over after a success', async () => {
    const c = await registered('streaky');
    for (let i = 0; i < 4; i++) expect((await c.login('streaky', 'wrong')).status).toBe(401);
    expect((await c.login('streaky')).status).toBe(200);
    expect((await c.logout()).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await c.login('streaky', 'wrong')).text).toBe(INVALID);
    expect((await c.login('streaky', 'wrong')).text).toBe(LOCKED);
  });

  it('counts parallel failures exactly', async () => {
    await registered('parallel');
    const clients = Array.from({ length: 10 }, () => new UsersClient(t.url));
    await Promise.all(clients.map((c) => c.csrf()));
    const answers = await Promise.all(clients.map((c) => c.login('parallel', 'wrong')));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(4);
    expect(answers.filter((r) => r.status === 403)).toHaveLength(6);
  });

  it('shares the lock with every surface: a lock made elsewhere refuses here', async () => {
    const c = await registered('elsewhere');
    const user = (await t.ctx.accounts.byUsername('elsewhere'))!;
    for (let i = 0; i < 5; i++) await t.ctx.lockout.recordFailure(user.number);
    expect((await c.login('elsewhere')).text).toBe(LOCKED);
  });
});

describe('the session (§1.2)', () => {
  it('changes the session id at login, keeping a v1 refresh slot', async () => {
    const c = await registered('rotator');
    const v1 = await v1Session('rotator');
    c.jar.sessionid = v1.key;
    const r = await c.login('rotator');
    expect(r.status).toBe(200);
    const key = r.cookie('sessionid')!;
    expect(key).not.toBe(v1.key);
    expect(await t.ctx.sessions.load(v1.key)).toBeNull();
    const now = await t.ctx.sessions.load(key);
    expect(now).toMatchObject({ refreshJti: v1.refreshJti, loginUser: (await t.ctx.accounts.byUsername('rotator'))!.number });
    // Max-Age follows the longest slot: the refresh slot here.
    expect(Number(cookieAttrs(r, 'sessionid')!['max-age'])).toBeGreaterThan(7200);
  });

  it('never adopts a session id the client made up', async () => {
    const c = await registered('fixated');
    c.jar.sessionid = 'attacker-chosen-session-id';
    const r = await c.login('fixated');
    expect(r.cookie('sessionid')).not.toBe('attacker-chosen-session-id');
  });

  it('slides the login slot on every request that carries it, re-sending the cookie', async () => {
    const c = await loggedIn(t.url, 'slider');
    const key = c.jar.sessionid;
    // Pretend the slot has one minute left.
    const soon = nowMicros() + 60 * MICROS_PER_SECOND;
    await t.ctx.sessions.save(key, { ...(await t.ctx.sessions.load(key))!, loginExpires: soon });
    for (const path of ['/', '/get-csrf-token/', '/users/login/']) {
      const r = await c.get(path);
      expect(cookieAttrs(r, 'sessionid')).toMatchObject({ value: key, 'max-age': '7200', httponly: '' });
    }
    const session = (await t.ctx.sessions.load(key))!;
    expect(session.loginExpires).toBeGreaterThan(nowMicros() + LOGIN_SLOT_MICROS - 60 * MICROS_PER_SECOND);
    // A request without the cookie gets none.
    expect((await new UsersClient(t.url).get('/')).cookie('sessionid')).toBeUndefined();
  });

  it('ends the login when the slot runs out, and clears the cookie', async () => {
    const c = await loggedIn(t.url, 'expiring');
    await t.ctx.sessions.save(c.jar.sessionid, { ...(await t.ctx.sessions.load(c.jar.sessionid))!, loginExpires: nowMicros() - 1 });
    const r = await c.logout();
    expect([r.status, r.text]).toEqual([401, NOT_AUTHENTICATED]);
    expect(cookieAttrs(r, 'sessionid')).toMatchObject({ value: '', 'max-age': '0' });
  });

  it('stops counting a deactivated user as logged in', async () => {
    const c = await loggedIn(t.url, 'deactivated');
    const user = (await t.ctx.accounts.byUsername('deactivated'))!;
    await t.ctx.accounts.update(user.number, { isActive: false });
    expect((await c.logout()).text).toBe(NOT_AUTHENTICATED);
    await t.ctx.accounts.update(user.number, { isActive: true });
    expect((await c.logout()).text).toBe(NOT_AUTHENTICATED);
  });
});

describe('logout (§2.4)', () => {
  it('deletes the session, clears the cookie and audits', async () => {
    const c = await loggedIn(t.url, 'leaver');
    const key = c.jar.sessionid;
    const user = (await t.ctx.accounts.byUsername('leaver'))!;
    const r = await c.logout();
    expect(r.status).toBe(200);
    expect(r.text).toBe(`{"id":${user.number},"username":"leaver","message":"Logout successful."}`);
    expect(cookieAttrs(r, 'sessionid')).toMatchObject({ value: '', 'max-age': '0', expires: 'Thu, 01 Jan 1970 00:00:00 GMT', path: '/' });
    expect(await t.ctx.sessions.load(key)).toBeNull();
    expect(await auditCount('logout', 'leaver')).toBe(1);
    // Replaying the old cookie is not a login.
    const replay = await c.send('POST', '/users/logout/', { cookies: { sessionid: key }, headers: { 'x-csrftoken': c.jar.csrftoken } });
    expect([replay.status, replay.text]).toEqual([401, NOT_AUTHENTICATED]);
  });

  it('answers 401 before 405, and 405 once logged in', async () => {
    const anon = new UsersClient(t.url);
    expect((await anon.get('/users/logout/')).text).toBe(NOT_AUTHENTICATED);
    expect((await anon.logout()).text).toBe(NOT_AUTHENTICATED);
    const c = await loggedIn(t.url, 'methodical');
    const r = await c.get('/users/logout/');
    expect([r.status, r.text, r.headers.get('allow')]).toEqual([405, '', 'POST']);
    const put = await c.unsafe('PUT', '/users/logout/');
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('ends the v1 login held in the same session', async () => {
    const c = await registered('bothworlds');
    const v1 = await v1Session('bothworlds');
    c.jar.sessionid = v1.key;
    expect((await c.login('bothworlds')).status).toBe(200);
    const key = c.jar.sessionid;
    expect((await c.logout()).status).toBe(200);
    expect(await t.ctx.sessions.load(key)).toBeNull();
    const login = await t.ctx.db.selectFrom('jwt_logins').selectAll().where('id', '=', v1.loginId).executeTakeFirstOrThrow();
    expect(login.ended_at).not.toBeNull();
    const tokens = await t.ctx.db.selectFrom('jwt_tokens').selectAll().where('login_id', '=', v1.loginId).execute();
    expect(tokens.map((x) => x.revoked_reason)).toEqual(['logout', 'logout']);
  });
});
