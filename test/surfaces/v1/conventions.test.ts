// v1.md §1.1–§1.3: routing, slashes, methods, OPTIONS, HEAD, bodies and generic failures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, type TestApp, type TestUser, expectJson, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

let t: TestApp;
let user: TestUser;
let token: string;

beforeAll(async () => {
  t = await startV1();
  user = await registerUser(t.url);
  token = await knoxLogin(t.url, user);
});
afterAll(async () => {
  await t?.close();
});

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];
const ROUTES: Array<[path: string, name: string, allow: string]> = [
  ['register/', 'Register', 'POST, OPTIONS'],
  ['login-knox/', 'Knox Login', 'POST, OPTIONS'],
  ['login-jwt/', 'JWT Login', 'POST, OPTIONS'],
  ['token/refresh/', 'JWT Refresh', 'POST, OPTIONS'],
  ['mock-login/', 'Mock Login', 'GET, HEAD, OPTIONS'],
  ['logout-knox/', 'Knox Logout', 'POST, OPTIONS'],
  ['logout-knox-all/', 'Knox Logout All', 'POST, OPTIONS'],
  ['profile/artist/', 'Artist Profile List', 'GET, POST, HEAD, OPTIONS'],
  ['profile/collector/', 'Collector Profile List', 'GET, POST, HEAD, OPTIONS'],
  ['profile/artist/0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11/', 'Artist Profile Detail', 'GET, PUT, DELETE, HEAD, OPTIONS'],
  ['profile/collector/0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11/', 'Collector Profile Detail', 'GET, PUT, DELETE, HEAD, OPTIONS'],
  ['me/', 'Me', 'GET, PUT, DELETE, HEAD, OPTIONS'],
  ['me/avatar/', 'Avatar', 'PUT, DELETE, OPTIONS'],
  ['password/change/', 'Password Change', 'POST, OPTIONS'],
  ['password/reset/', 'Password Reset', 'POST, OPTIONS'],
  ['password/reset/confirm/', 'Password Reset Confirm', 'GET, POST, HEAD, OPTIONS'],
  ['email/verify/', 'Email Verify', 'POST, OPTIONS'],
  ['email/verify/sometoken/', 'Email Verify Confirm', 'GET, HEAD, OPTIONS'],
  ['sessions/', 'Sessions', 'GET, HEAD, OPTIONS'],
  ['sessions/0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11/', 'Session Detail', 'DELETE, OPTIONS'],
];

describe('OPTIONS and 405 (§1.1, §1.3)', () => {
  it.each(ROUTES)('OPTIONS %s names the view and lists the methods', async (path, name, allow) => {
    const r = await request(t.url, 'OPTIONS', V1 + path, { headers: tokenHeader(token) });
    expectJson(r, 200, { name, description: '', renders: ['application/json'], parses: PARSES });
    expect(r.text).toBe(JSON.stringify({ name, description: '', renders: ['application/json'], parses: PARSES }));
    expect(r.headers.get('allow')).toBe(allow);
  });

  it.each(ROUTES)('PATCH %s answers 405 with Allow', async (path, _name, allow) => {
    const r = await request(t.url, 'PATCH', V1 + path, { headers: tokenHeader(token), json: {} });
    expectJson(r, 405, { detail: 'Method "PATCH" not allowed.' });
    expect(r.headers.get('allow')).toBe(allow);
  });

  it('an unsupported method on a route needing credentials is 401 first, then 405', async () => {
    const dead = await request(t.url, 'POST', V1 + 'mock-login/', { headers: tokenHeader('0'.repeat(64)) });
    expectJson(dead, 401, 'Invalid token.');
    const none = await request(t.url, 'POST', V1 + 'mock-login/');
    expectJson(none, 401, 'Authentication credentials were not provided.');
    const live = await request(t.url, 'POST', V1 + 'mock-login/', { headers: tokenHeader(token) });
    expectJson(live, 405, { detail: 'Method "POST" not allowed.' });
  });

  it('HEAD is served where GET is, with no body, and is 405 elsewhere', async () => {
    const r = await request(t.url, 'HEAD', V1 + 'mock-login/', { headers: tokenHeader(token) });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers.get('content-length')).toBe(String(JSON.stringify('Hello world.').length));
    const post = await request(t.url, 'HEAD', V1 + 'register/');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('PUT, DELETE and GET on a POST route are 405 too', async () => {
    for (const method of ['PUT', 'DELETE', 'GET']) {
      const r = await request(t.url, method, V1 + 'register/');
      expectJson(r, 405, { detail: `Method "${method}" not allowed.` });
    }
  });
});

describe('slashes and unknown paths (§1.1)', () => {
  it.each(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s without the slash gets 301 with the query kept and an empty body', async (method) => {
    const r = await request(t.url, method, V1 + 'register?next=%2Fx&a=1', { headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('/v1/user/register/?next=%2Fx&a=1');
    expect(r.text).toBe('');
  });

  it('a detail route without its slash gets 301 too', async () => {
    const r = await request(t.url, 'GET', V1 + 'profile/artist/whatever');
    expect(r.status).toBe(301);
    expect(r.headers.get('location')).toBe('/v1/user/profile/artist/whatever/');
  });

  it.each(['nope/', 'nope', 'cron-job/', 'cron-job', '', 'register//', 'profile/', 'media/'])('unknown path /v1/user/%s is 404 "Not found."', async (path) => {
    const r = await request(t.url, 'GET', V1 + path);
    expectJson(r, 404, 'Not found.');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('bodies (§1.1, §1.3, §1.4, §0.13)', () => {
  it('415 names the Content-Type as sent, also when it is missing', async () => {
    const plain = await request(t.url, 'POST', V1 + 'register/', { body: 'x', headers: { 'content-type': 'text/plain' } });
    expectJson(plain, 415, { detail: 'Unsupported media type "text/plain" in request.' });
    const none = await request(t.url, 'POST', V1 + 'register/', { body: Buffer.from('abc') });
    expectJson(none, 415, { detail: 'Unsupported media type "" in request.' });
  });

  it('malformed JSON is a 400 object with the parser reason', async () => {
    const r = await request(t.url, 'POST', V1 + 'register/', { body: '{"email": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(Object.keys(r.json)).toEqual(['detail']);
    expect(r.json.detail).toMatch(/^JSON parse error - .+/);
  });

  it.each([
    [[1, 2], 'list'],
    ['text', 'str'],
    [12, 'int'],
    [1.5, 'float'],
    [true, 'bool'],
  ])('a JSON body %j that is not an object names its Python type', async (body, type) => {
    const r = await request(t.url, 'POST', V1 + 'register/', { json: body });
    expectJson(r, 400, `Non_Field_Errors error. Invalid data. Expected a dictionary, but got ${type}.`);
  });

  it('a JSON null body and an empty body count as {}', async () => {
    const required = ['Email field is required.', 'Username field is required.', 'Password field is required.', 'Confirm_Password field is required.'];
    expectJson(await request(t.url, 'POST', V1 + 'register/', { json: null }), 400, required);
    expectJson(await request(t.url, 'POST', V1 + 'register/'), 400, required);
    expectJson(await request(t.url, 'POST', V1 + 'register/', { body: '', headers: { 'content-type': 'text/plain' } }), 400, required);
  });

  it('views that read no body ignore its type', async () => {
    const other = await knoxLogin(t.url, user);
    const r = await request(t.url, 'POST', V1 + 'logout-knox/', { headers: { ...tokenHeader(other), 'content-type': 'text/plain' }, body: 'whatever' });
    expectJson(r, 200, 'User logged out successfully.');
  });

  it('a multipart body without a boundary is a clean 400', async () => {
    const r = await request(t.url, 'POST', V1 + 'register/', { body: 'x', headers: { 'content-type': 'multipart/form-data' } });
    expect(r.status).toBe(400);
    expect(r.json.detail).toMatch(/^Multipart form parse error - /);
  });

  it('a JSON body over 1 MiB is 413 "Request body too large."', async () => {
    const r = await request(t.url, 'POST', V1 + 'register/', { json: { email: 'x'.repeat(1024 * 1024 + 10) } });
    expectJson(r, 413, 'Request body too large.');
  });

  it('every answer carries nosniff, and answers that carry a credential are not stored', async () => {
    const r = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-store');
  });
});

describe('unexpected failures (§0.13)', () => {
  it('answer 500 "Internal server error." as JSON, never a stack trace', async () => {
    const broken = await startV1();
    try {
      const u = await registerUser(broken.url);
      const tok = await knoxLogin(broken.url, u);
      await broken.ctx.db.schema.dropTable('profiles').execute();
      const r = await request(broken.url, 'GET', V1 + 'profile/artist/', { headers: tokenHeader(tok) });
      expectJson(r, 500, 'Internal server error.');
      expect(r.text).not.toMatch(/profiles|sqlite|relation|at /i);
    } finally {
      await broken.close();
    }
  });
});

describe('JWKS (§5.9)', () => {
  it('HS256 publishes an empty key set, cached five minutes, unthrottled', async () => {
    const r = await request(t.url, 'GET', '/.well-known/jwks.json');
    expectJson(r, 200, { keys: [] });
    expect(r.headers.get('cache-control')).toBe('public, max-age=300');
  });
});
