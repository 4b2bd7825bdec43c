// JWT logins (v1.md §2.2, §2.3, §3.3, §3.4, §3.7): claims, the session-held refresh, rotation,
// the grace window, reuse detection, logout, and the race of parallel refreshes.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, Client, type TestApp, type TestUser, bearerHeader, claimsOf, expectJson, headerOf, jwtLogin, registerUser, request, startV1 } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

const mock = (access: string) => request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(access) });
const refreshOf = (c: Client) => c.post(V1 + 'token/refresh/');

/** The refresh jti the client's server-side session holds (database or Redis). */
async function slotOf(c: Client): Promise<string | null> {
  return (await t.ctx.sessions.load(c.jar.sessionid))?.refreshJti ?? null;
}

/** Puts `jti` back into the client's session slot, as a concurrent duplicate would present it. */
async function putInSlot(c: Client, jti: string): Promise<void> {
  const session = await t.ctx.sessions.load(c.jar.sessionid);
  if (!session) throw new Error('the client has no session');
  const { key, ...slots } = session;
  await t.ctx.sessions.save(key, { ...slots, refreshJti: jti });
}

async function tokenRow(jwt: string) {
  return t.ctx.db.selectFrom('jwt_tokens').selectAll().where('jti', '=', String(claimsOf(jwt).jti)).executeTakeFirstOrThrow();
}

async function newSession(): Promise<{ user: TestUser; client: Client; access: string; refresh: string }> {
  const user = await registerUser(t.url, 'jwt');
  const client = new Client(t.url);
  return { user, client, ...(await jwtLogin(client, user)) };
}

describe('login-jwt/ (§3.3)', () => {
  it('answers refresh, access, id, email, username in order, sets the session cookie and stores the refresh slot', async () => {
    const user = await registerUser(t.url);
    const client = new Client(t.url);
    const r = await client.post(V1 + 'login-jwt/', { json: { email: user.email, password: user.password } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['refresh', 'access', 'id', 'email', 'username']);
    expect(r.json).toMatchObject({ id: user.id, email: user.email, username: user.username });
    expect(r.headers.get('cache-control')).toBe('no-store');
    const cookie = r.setCookies.find((c) => c.startsWith('sessionid='))!;
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(Number(/Max-Age=(\d+)/.exec(cookie)![1])).toBeGreaterThan(14 * 86400 - 5);
    expect(cookie).not.toMatch(/Secure/);
    expect(await slotOf(client)).toBe(claimsOf(r.json.refresh).jti);
  });

  it('signs HS256 tokens with the claims in order and the configured lifetimes', async () => {
    const { access, refresh, user } = await newSession();
    expect(headerOf(access)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const a = claimsOf(access);
    const f = claimsOf(refresh);
    expect(Object.keys(a)).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id']);
    expect(Object.keys(f)).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id']);
    expect(a).toMatchObject({ token_type: 'access', user_id: user.id });
    expect(f).toMatchObject({ token_type: 'refresh', user_id: user.id, iat: a.iat });
    expect(Number(a.exp) - Number(a.iat)).toBe(36 * 3600);
    expect(Number(f.exp) - Number(f.iat)).toBe(86400);
    expect(a.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(f.jti).not.toBe(a.jti);
    const rows = await t.ctx.db.selectFrom('jwt_tokens').select(['type', 'login_id']).where('user_id', '=', user.id).execute();
    expect(rows).toHaveLength(2);
    expect(rows[0].login_id).not.toBeNull();
    expect(rows[1].login_id).toBe(rows[0].login_id);
  });

  it('validation, and 401 for unknown or malformed emails', async () => {
    const login = (body: unknown) => request(t.url, 'POST', V1 + 'login-jwt/', { json: body });
    expectJson(await login({}), 400, ['Email field is required.', 'Password field is required.']);
    expectJson(await login({ email: '', password: ' ' }), 400, ['Email field cannot be blank.', 'Password field cannot be blank.']);
    expectJson(await login({ email: 'not an email', password: 'x' }), 401, 'No active account found with the given credentials.');
  });

  it('checks the trimmed email and password', async () => {
    const user = await registerUser(t.url);
    const r = await request(t.url, 'POST', V1 + 'login-jwt/', { json: { email: ` ${user.email.toUpperCase()} `, password: ` ${user.password}\n` } });
    expect(r.status).toBe(200);
  });

  it('a new login in the same session blacklists the held refresh (superseded) but not the old access', async () => {
    const s = await newSession();
    const oldCookie = s.client.jar.sessionid;
    const second = await jwtLogin(s.client, s.user);
    expect(s.client.jar.sessionid).not.toBe(oldCookie);
    expect((await tokenRow(s.refresh)).revoked_reason).toBe('superseded');
    expectJson(await mock(s.access), 200, 'Hello world.');
    const r = await refreshOf(s.client);
    expect(r.status).toBe(200);
    expect(claimsOf(r.json.refresh).jti).not.toBe(claimsOf(second.refresh).jti);
    expect((await tokenRow(second.refresh)).revoked_reason).toBe('rotated');
  });

  it('a session holding a dead refresh still gets the new one (fresh session)', async () => {
    const s = await newSession();
    await request(t.url, 'POST', V1 + 'logout-jwt/', { headers: bearerHeader(s.access) });
    await putInSlot(s.client, String(claimsOf(s.refresh).jti));
    await jwtLogin(s.client, s.user);
    expect((await refreshOf(s.client)).status).toBe(200);
  });
});

describe('token/refresh/ (§3.4)', () => {
  it('rotates: a new pair, the old refresh marked rotated, the slot and cookie updated', async () => {
    const s = await newSession();
    const r = await refreshOf(s.client);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['access', 'refresh']);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.setCookies.some((c) => c.startsWith('sessionid='))).toBe(true);
    const f = claimsOf(r.json.refresh);
    expect(f.jti).not.toBe(claimsOf(s.refresh).jti);
    expect(Number(f.exp) - Number(f.iat)).toBe(86400);
    expect(Math.abs(Number(f.iat) - Date.now() / 1000)).toBeLessThan(5);
    const old = await tokenRow(s.refresh);
    expect(old.revoked_reason).toBe('rotated');
    expect(old.replaced_by).toBe(f.jti);
    expect(await slotOf(s.client)).toBe(f.jti);
    expectJson(await mock(r.json.access), 200, 'Hello world.');
    expectJson(await mock(s.access), 200, 'Hello world.');
    expect((await refreshOf(s.client)).status).toBe(200);
  });

  it('reads only the session: no cookie (or a body) is "Authentication credentials were not provided."', async () => {
    const s = await newSession();
    const r = await request(t.url, 'POST', V1 + 'token/refresh/', { json: { refresh: s.refresh } });
    expectJson(r, 401, 'Authentication credentials were not provided.');
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expectJson(await request(t.url, 'POST', V1 + 'token/refresh/', { cookies: { sessionid: 'forged' } }), 401, 'Authentication credentials were not provided.');
  });

  it('a broken credential header is refused first', async () => {
    const s = await newSession();
    expectJson(await s.client.post(V1 + 'token/refresh/', { headers: { authorization: 'Bearer' } }), 401, { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
  });

  it('within the grace window a rotated refresh gets a new access and the current refresh, unrotated', async () => {
    const s = await newSession();
    const first = await refreshOf(s.client);
    await putInSlot(s.client, String(claimsOf(s.refresh).jti));
    const again = await refreshOf(s.client);
    expect(again.status).toBe(200);
    expect(again.json.refresh).toBe(first.json.refresh);
    expect(again.json.access).not.toBe(first.json.access);
    expect((await tokenRow(first.json.refresh)).revoked_at).toBeNull();
    expect(await slotOf(s.client)).toBe(claimsOf(first.json.refresh).jti);
    expectJson(await mock(again.json.access), 200, 'Hello world.');
  });

  it('after the grace window, once its successor was presented, it is reuse: the whole login ends, audited, and the slot is cleared', async () => {
    const s = await newSession();
    const first = await refreshOf(s.client);
    const second = await refreshOf(s.client); // the successor of the first refresh is presented here
    const oldJti = String(claimsOf(s.refresh).jti);
    await t.ctx.db.updateTable('jwt_tokens').set({ revoked_at: Date.now() * 1000 - 11_000_000 }).where('jti', '=', oldJti).execute();
    await putInSlot(s.client, oldJti);
    const r = await refreshOf(s.client);
    expectJson(r, 401, 'Token is blacklisted');
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expect(r.setCookies.find((c) => c.startsWith('sessionid='))).toMatch(/Max-Age=0/);
    expect(s.client.jar.sessionid).toBeUndefined();
    for (const access of [s.access, first.json.access, second.json.access]) expectJson(await mock(access), 401, 'Invalid token.');
    expect((await tokenRow(second.json.refresh)).revoked_reason).toBe('reuse');
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'token.reuse').where('user_id', '=', s.user.id).execute();
    expect(audit).toHaveLength(1);
  });

  it('a refresh blacklisted for another reason is "Token is blacklisted" and the slot is cleared', async () => {
    const s = await newSession();
    await request(t.url, 'POST', V1 + 'logout-jwt/', { headers: bearerHeader(s.access) });
    const r = await refreshOf(s.client);
    expectJson(r, 401, 'Token is blacklisted');
    expect(await slotOf(s.client)).toBeNull();
    expectJson(await refreshOf(s.client), 401, 'Authentication credentials were not provided.');
  });

  it('an expired refresh is "Token is invalid or expired" and the slot is cleared', async () => {
    const s = await newSession();
    await t.ctx.db.updateTable('jwt_tokens').set({ exp: Math.floor(Date.now() / 1000) - 1 }).where('jti', '=', String(claimsOf(s.refresh).jti)).execute();
    expectJson(await refreshOf(s.client), 401, 'Token is invalid or expired');
    expectJson(await refreshOf(s.client), 401, 'Authentication credentials were not provided.');
  });

  it('a user gone is "User not found"; inactive is the user_inactive object', async () => {
    const a = await newSession();
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', a.user.id).execute();
    expectJson(await refreshOf(a.client), 401, { detail: 'User is inactive', code: 'user_inactive' });
    const b = await newSession();
    await t.ctx.db.deleteFrom('users').where('id', '=', b.user.id).execute();
    expectJson(await refreshOf(b.client), 401, 'User not found');
  });

  it('after a refresh following a JWT login, the new access works and the login is listed once', async () => {
    const s = await newSession();
    const r = await refreshOf(s.client);
    const list = await request(t.url, 'GET', V1 + 'sessions/', { headers: bearerHeader(r.json.access) });
    expect(list.json.filter((e: { kind: string }) => e.kind === 'jwt')).toHaveLength(1);
  });

  it('20 parallel refreshes of one session: no 500, one live chain that keeps working', async () => {
    const s = await newSession();
    const results = await Promise.all(Array.from({ length: 20 }, () => request(t.url, 'POST', V1 + 'token/refresh/', { cookies: { sessionid: s.client.jar.sessionid! } })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const loginId = (await tokenRow(s.refresh)).login_id!;
    const live = await t.ctx.db.selectFrom('jwt_tokens').select('jti').where('login_id', '=', loginId).where('type', '=', 'refresh').where('revoked_at', 'is', null).execute();
    expect(live).toHaveLength(1);
    const login = await t.ctx.db.selectFrom('jwt_logins').selectAll().where('id', '=', loginId).executeTakeFirstOrThrow();
    expect(login.refresh_jti).toBe(live[0].jti);
    for (const r of results) expectJson(await mock(r.json.access), 200, 'Hello world.');
    const next = await refreshOf(s.client);
    expect(next.status).toBe(200);
    expect((await tokenRow(next.json.refresh)).revoked_at).toBeNull();
  });
});

describe('logout-jwt/ (§3.7)', () => {
  it('denylists the access until it expires, ends the login and removes the slot', async () => {
    const s = await newSession();
    const rotated = await refreshOf(s.client);
    const r = await s.client.post(V1 + 'logout-jwt/', { headers: bearerHeader(rotated.json.access) });
    expectJson(r, 200, 'User logged out successfully.');
    expect(s.client.jar.sessionid).toBeUndefined();
    for (const access of [rotated.json.access, s.access]) expectJson(await mock(access), 401, 'Invalid token.');
    expectJson(await s.client.post(V1 + 'logout-jwt/', { headers: bearerHeader(rotated.json.access) }), 401, 'Invalid token.');
    const login = await t.ctx.db.selectFrom('jwt_logins').select('ended_at').where('user_id', '=', s.user.id).executeTakeFirstOrThrow();
    expect(login.ended_at).not.toBeNull();
    const denied = await t.ctx.db.selectFrom('jwt_tokens').select(['jti', 'revoked_reason']).where('jti', '=', String(claimsOf(rotated.json.access).jti)).executeTakeFirstOrThrow();
    expect(denied.revoked_reason).toBe('logout');
    expect(await t.ctx.kv.isDenied(String(claimsOf(rotated.json.access).jti))).toBe(true);
  });

  it('other logins of the user survive', async () => {
    const s = await newSession();
    const other = await jwtLogin(new Client(t.url), s.user);
    await request(t.url, 'POST', V1 + 'logout-jwt/', { headers: bearerHeader(s.access) });
    expectJson(await mock(other.access), 200, 'Hello world.');
  });
});

describe('asymmetric keys (§2.2, §5.9)', () => {
  it.each([
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
    ['RS256', { kty: 'RSA', e: 'AQAB' }],
  ])('%s: kid in the header, the public key in /.well-known/jwks.json, verifiable from it', async (alg, shape) => {
    const { createLocalJWKSet, jwtVerify } = await import('jose');
    const app = await startV1({ V1_JWT_ALGORITHM: alg });
    try {
      const user = await registerUser(app.url);
      const r = await request(app.url, 'POST', V1 + 'login-jwt/', { json: { email: user.email, password: user.password } });
      const header = headerOf(r.json.access);
      expect(header).toMatchObject({ alg, typ: 'JWT' });
      const jwks = await request(app.url, 'GET', '/.well-known/jwks.json');
      expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
      expect(jwks.json.keys).toHaveLength(1);
      expect(jwks.json.keys[0]).toMatchObject({ ...shape, kid: header.kid, alg, use: 'sig' });
      expect(jwks.json.keys[0].d).toBeUndefined();
      expect(fs.readdirSync(path.join(app.dataDir, 'keys')).filter((f) => f.startsWith(`v1-${alg}-`))).toEqual([`v1-${alg}-${header.kid}.json`]);
      const { payload } = await jwtVerify(r.json.access, createLocalJWKSet(jwks.json));
      expect(payload.user_id).toBe(user.id);
      expectJson(await request(app.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(r.json.access) }), 200, 'Hello world.');
    } finally {
      await app.close();
    }
  });
});
