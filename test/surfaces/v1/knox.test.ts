// Knox tokens (v1.md §2.1, §3.2, §3.5, §3.6, §3.8) and the lockout of the login routes (§1.8).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, type TestApp, type TestUser, bearerHeader, Client, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1({ LOCKOUT_FAILURES: '3' });
});
afterAll(async () => {
  await t?.close();
});

const login = (body: unknown) => request(t.url, 'POST', V1 + 'login-knox/', { json: body });
const mock = (tok: string) => request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(tok) });

async function numberOf(user: TestUser): Promise<number> {
  return (await t.ctx.accounts.byId(user.id))!.number;
}

describe('login-knox/', () => {
  it('the seed example: id, email, username and a 64-hex token, no cookie, stored only as a digest', async () => {
    const u = await registerUser(t.url);
    const r = await login({ email: u.email, password: u.password });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['id', 'email', 'username', 'token']);
    expect(r.json).toMatchObject({ id: u.id, email: u.email, username: u.username });
    expect(r.json.token).toMatch(/^[0-9a-f]{64}$/);
    expect(r.setCookies).toEqual([]);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const rows = await t.ctx.db.selectFrom('knox_tokens').selectAll().where('user_number', '=', await numberOf(u)).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].digest).toMatch(/^[0-9a-f]{128}$/);
    expect(rows[0].digest).not.toContain(r.json.token);
    expect((await t.ctx.accounts.byId(u.id))!.last_login).not.toBeNull();
  });

  it('validation: required, blank and email format', async () => {
    expectJson(await login({}), 400, ['Email field is required.', 'Password field is required.']);
    expectJson(await login({ email: ' ', password: '' }), 400, ['Email field cannot be blank.', 'Password field cannot be blank.']);
    expectJson(await login({ email: 'nope', password: 'x' }), 400, 'Email error. Enter a valid email address.');
  });

  it('bad credentials: 401 with the period and WWW-Authenticate: Token', async () => {
    const u = await registerUser(t.url);
    for (const body of [{ email: 'nobody@example.com', password: u.password }, { email: u.email, password: 'Wrong,123' }]) {
      const r = await login(body);
      expectJson(r, 401, 'No active account found with the given credentials.');
      expect(r.headers.get('www-authenticate')).toBe('Token');
    }
  });

  it('looks the email up case-insensitively but as sent: padding fails the credential check', async () => {
    const u = await registerUser(t.url);
    expect((await login({ email: u.email.toUpperCase(), password: u.password })).status).toBe(200);
    expectJson(await login({ email: ` ${u.email}`, password: u.password }), 401, 'No active account found with the given credentials.');
    expectJson(await login({ email: u.email, password: ` ${u.password}` }), 401, 'No active account found with the given credentials.');
  });

  it('an inactive account and an over-long password are bad credentials', async () => {
    const u = await registerUser(t.url);
    expectJson(await login({ email: u.email, password: 'A,1' + 'a'.repeat(130) }), 401, 'No active account found with the given credentials.');
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', u.id).execute();
    expectJson(await login({ email: u.email, password: u.password }), 401, 'No active account found with the given credentials.');
  });

  it('a user without an email (created elsewhere) simply fails', async () => {
    await t.ctx.accounts.create({ username: 'no-mail-user', password: 'Admin,123' });
    expectJson(await login({ email: 'no-mail-user', password: 'Admin,123' }), 400, 'Email error. Enter a valid email address.');
  });
});

describe('the cap (V1_KNOX_TOKEN_LIMIT = 3)', () => {
  it('four logins leave three tokens: the oldest dies', async () => {
    const u = await registerUser(t.url);
    const tokens = [];
    for (let i = 0; i < 4; i++) tokens.push(await knoxLogin(t.url, u));
    expectJson(await mock(tokens[0]), 401, 'Invalid token.');
    for (const tok of tokens.slice(1)) expectJson(await mock(tok), 200, 'Hello world.');
    expect(await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', await numberOf(u)).execute()).toHaveLength(3);
  });

  it('expired tokens go first and never hold a place: a login beside 2 live and 1 expired keeps the 2 live', async () => {
    const u = await registerUser(t.url);
    const tokens = [];
    for (let i = 0; i < 3; i++) tokens.push(await knoxLogin(t.url, u));
    const number = await numberOf(u);
    // The newest one expires: it must not count among the kept ones.
    const newest = await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', number).orderBy('created', 'desc').orderBy('id', 'desc').executeTakeFirstOrThrow();
    await t.ctx.db.updateTable('knox_tokens').set({ expires: 1 }).where('id', '=', newest.id).execute();
    const fresh = await knoxLogin(t.url, u);
    for (const tok of [tokens[0], tokens[1], fresh]) expectJson(await mock(tok), 200, 'Hello world.');
    expectJson(await mock(tokens[2]), 401, 'Invalid token.');
    expect(await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', number).execute()).toHaveLength(3);
  });

  it('20 concurrent logins of one user leave exactly 3 tokens, and those 3 work', async () => {
    const u = await registerUser(t.url);
    const results = await Promise.all(Array.from({ length: 20 }, () => login({ email: u.email, password: u.password })));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    const rows = await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', await numberOf(u)).execute();
    expect(rows).toHaveLength(3);
    const answers = await Promise.all(results.map((r) => mock(r.json.token)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(3);
    expect(answers.filter((r) => r.status === 401)).toHaveLength(17);
  });
});

describe('the cap at its edges (V1_KNOX_TOKEN_LIMIT = 1, and 0 = unlimited)', () => {
  const withCap = async (cap: string, run: (app: TestApp) => Promise<void>) => {
    const app = await startV1({ V1_KNOX_TOKEN_LIMIT: cap });
    try {
      await run(app);
    } finally {
      await app.close();
    }
  };
  const loginAt = (app: TestApp, u: TestUser) => request(app.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: u.password } });
  const mockAt = (app: TestApp, tok: string) => request(app.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(tok) });

  it('a cap of 1: each login ends the one before; 10 at once leave exactly one working token', async () => {
    await withCap('1', async (app) => {
      const u = await registerUser(app.url);
      const first = (await loginAt(app, u)).json.token;
      const second = (await loginAt(app, u)).json.token;
      expectJson(await mockAt(app, first), 401, 'Invalid token.');
      expectJson(await mockAt(app, second), 200, 'Hello world.');
      const burst = await Promise.all(Array.from({ length: 10 }, () => loginAt(app, u)));
      expect(burst.map((r) => r.status)).toEqual(Array(10).fill(200));
      const answers = await Promise.all([second, ...burst.map((r) => r.json.token)].map((tok) => mockAt(app, tok)));
      expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    });
  });

  it('0: no cap, every login keeps its token', async () => {
    await withCap('0', async (app) => {
      const u = await registerUser(app.url);
      const tokens = [];
      for (let i = 0; i < 5; i++) tokens.push((await loginAt(app, u)).json.token);
      for (const tok of tokens) expectJson(await mockAt(app, tok), 200, 'Hello world.');
    });
  });
});

describe('logout-knox/ and logout-knox-all/', () => {
  it('logout-knox deletes only the token used; it is "Invalid token." afterwards', async () => {
    const u = await registerUser(t.url);
    const [a, b] = [await knoxLogin(t.url, u), await knoxLogin(t.url, u)];
    const pair = await jwtLogin(new Client(t.url), u);
    const r = await request(t.url, 'POST', V1 + 'logout-knox/', { headers: tokenHeader(a) });
    expectJson(r, 200, 'User logged out successfully.');
    expectJson(await mock(a), 401, 'Invalid token.');
    expectJson(await request(t.url, 'POST', V1 + 'logout-knox/', { headers: tokenHeader(a) }), 401, 'Invalid token.');
    expectJson(await mock(b), 200, 'Hello world.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(pair.access) }), 200, 'Hello world.');
    const audit = await t.ctx.db.selectFrom('audit_log').select('details').where('event', '=', 'logout').where('user_id', '=', u.id).execute();
    expect(audit.map((e) => JSON.parse(e.details).method)).toEqual(['knox']);
  });

  it('logout-knox-all deletes every knox token, leaves JWT logins, and the tokens die', async () => {
    const u = await registerUser(t.url);
    const [a, b, c] = [await knoxLogin(t.url, u), await knoxLogin(t.url, u), await knoxLogin(t.url, u)];
    const pair = await jwtLogin(new Client(t.url), u);
    expectJson(await request(t.url, 'POST', V1 + 'logout-knox-all/', { headers: tokenHeader(b) }), 200, 'Batch logout successful.');
    for (const tok of [a, b, c]) expectJson(await mock(tok), 401, 'Invalid token.');
    expectJson(await request(t.url, 'POST', V1 + 'logout-knox-all/', { headers: tokenHeader(a) }), 401, 'Invalid token.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(pair.access) }), 200, 'Hello world.');
  });

  it('mock-login/ answers "Hello world." to either scheme and 401 without one', async () => {
    const u = await registerUser(t.url);
    expectJson(await mock(await knoxLogin(t.url, u)), 200, 'Hello world.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/'), 401, 'Authentication credentials were not provided.');
  });
});

describe('lockout (§1.8, LOCKOUT_FAILURES=3)', () => {
  it('the failure that reaches the limit is already 403; then every password is refused; knox and jwt alike', async () => {
    const u = await registerUser(t.url);
    const bad = { email: u.email, password: 'Wrong,123' };
    expect((await login(bad)).status).toBe(401);
    expect((await login(bad)).status).toBe(401);
    const third = await login(bad);
    expectJson(third, 403, 'Locked out due to too many login failures.');
    expect(third.headers.get('www-authenticate')).toBeNull();
    expectJson(await login({ email: u.email, password: u.password }), 403, 'Locked out due to too many login failures.');
    expectJson(await request(t.url, 'POST', V1 + 'login-jwt/', { json: { email: u.email, password: u.password } }), 403, 'Locked out due to too many login failures.');
    const events = await t.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', u.id).where('event', 'in', ['login.failure', 'lockout']).execute();
    expect(events.map((e) => e.event)).toEqual(['login.failure', 'login.failure', 'login.failure', 'lockout']);
  });

  it('unknown emails never lock anything, and a success clears the streak', async () => {
    const u = await registerUser(t.url);
    for (let i = 0; i < 4; i++) expect((await login({ email: `x${u.email}`, password: 'Wrong,123' })).status).toBe(401);
    expect((await login({ email: u.email, password: 'Wrong,123' })).status).toBe(401);
    expect((await login({ email: u.email, password: 'Wrong,123' })).status).toBe(401);
    expect((await login({ email: u.email, password: u.password })).status).toBe(200);
    expect((await login({ email: u.email, password: 'Wrong,123' })).status).toBe(401);
    expect((await login({ email: u.email, password: u.password })).status).toBe(200);
  });
});
