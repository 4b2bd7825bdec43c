// user-account.md §1.1: routes, methods, bodies, generic answers, response format and CORS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { P, bearer, get, post, registerAndLogin, startUa } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startUa();
});
afterAll(async () => {
  await t?.close();
});

describe('routing (§1.1)', () => {
  it.each([
    '/user_account',
    '/user_account/',
    '/user_account/login/',
    '/user_account/profile_settings/',
    '/user_account/nope',
    '/user_account/confirm_email',
    '/user_account/confirm_email/',
    '/user_account/confirm_email/a/b',
    '/user_account/reset_password/',
    '/user_account/reset_password/x/',
  ])('%s → 404 {"msg": "Not Found"}', async (path) => {
    const r = await request(t.url, 'GET', path);
    expect(r.status).toBe(404);
    expect(r.text).toBe('{"msg":"Not Found"}');
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('an unknown path is 404 for every method, before any method check', async () => {
    const r = await request(t.url, 'DELETE', '/user_account/confirm_email/');
    expect(r.status).toBe(404);
    expect(r.text).toBe('{"msg":"Not Found"}');
  });

  it.each([
    ['GET', '/login', 'OPTIONS, POST'],
    ['PUT', '/registration', 'OPTIONS, POST'],
    ['GET', '/reset_password_request', 'OPTIONS, POST'],
    ['POST', '/profile_settings', 'GET, HEAD, OPTIONS'],
    ['DELETE', '/confirm_email/abc', 'GET, HEAD, OPTIONS'],
    ['PATCH', '/reset_password/abc', 'GET, HEAD, OPTIONS, POST'],
    ['POST', '/logout', 'GET, HEAD, OPTIONS'],
  ])('%s %s → 405 with Allow: %s', async (method, route, allow) => {
    const r = await request(t.url, method, P + route);
    expect(r.status).toBe(405);
    expect(r.text).toBe('{"msg":"Method Not Allowed"}');
    expect(r.headers.get('allow')).toBe(allow);
  });

  it('405 comes before the token checks', async () => {
    const r = await request(t.url, 'POST', P + '/logout', { headers: { authorization: 'Bearer garbage' } });
    expect(r.status).toBe(405);
  });

  it('OPTIONS answers 200 with Allow and an empty body', async () => {
    const r = await request(t.url, 'OPTIONS', P + '/reset_password/whatever');
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS, POST');
    expect(r.text).toBe('');
  });

  it('HEAD is served where GET is: same status and headers, no body', async () => {
    const { token } = await registerAndLogin(t);
    const g = await get(t, '/profile_settings', bearer(token));
    const h = await request(t.url, 'HEAD', P + '/profile_settings', { headers: bearer(token) });
    expect(h.status).toBe(200);
    expect(h.text).toBe('');
    expect(h.headers.get('content-type')).toBe(g.headers.get('content-type'));
    expect(h.headers.get('content-length')).toBe(String(Buffer.byteLength(g.text)));
    const anonymous = await request(t.url, 'HEAD', P + '/profile_settings');
    expect(anonymous.status).toBe(401);
  });
});

describe('bodies (§1.1)', () => {
  it.each([
    ['text/plain', '{"username":"a","pwd":"b"}'],
    ['application/x-www-form-urlencoded', 'username=a&pwd=b'],
    ['', '{"username":"a","pwd":"b"}'],
  ])('Content-Type %j → 415', async (type, body) => {
    const headers: Record<string, string> = type ? { 'content-type': type } : {};
    const r = await request(t.url, 'POST', P + '/login', { body, headers });
    expect(r.status).toBe(415);
    expect(r.text).toBe('{"msg":"Unsupported Media Type"}');
  });

  it('a body without Content-Type is 415 even when empty', async () => {
    const r = await request(t.url, 'POST', P + '/registration');
    expect(r.status).toBe(415);
  });

  it('application/<x>+json and a charset parameter are JSON', async () => {
    const r = await request(t.url, 'POST', P + '/login', { body: '{"username":"nobody","pwd":"x"}', headers: { 'content-type': 'application/vnd.api+json; charset=utf-8' } });
    expect(r.status).toBe(401);
  });

  it.each(['', '{', '{"a":1,}', '[1,2]', '"text"', '42', 'null', 'true', '{"a":NaN}'])('body %j → 400 Invalid JSON', async (body) => {
    const r = await request(t.url, 'POST', P + '/registration', { body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"msg":"Invalid JSON"}');
  });

  it('invalid UTF-8 is Invalid JSON, never replaced silently', async () => {
    const body = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from('","pwd":"x"}')]);
    const r = await request(t.url, 'POST', P + '/login', { body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"msg":"Invalid JSON"}');
  });

  it('a UTF-8 BOM and UTF-16 bodies are read as the original read them', async () => {
    const json = '{"username":"nobody","pwd":"x"}';
    for (const body of [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')])]) {
      const r = await request(t.url, 'POST', P + '/login', { body, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(401);
    }
  });

  it('a body over 1 MiB → 413 {"msg": "Request body too large."}', async () => {
    const r = await request(t.url, 'POST', P + '/registration', { body: '{"a":"' + 'x'.repeat(1024 * 1024) + '"}', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.text).toBe('{"msg":"Request body too large."}');
  });

  it('deeply nested JSON is refused cleanly', async () => {
    const body = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = await request(t.url, 'POST', P + '/login', { body, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
  });
});

describe('response format (§1.1)', () => {
  it('bodies are compact JSON with keys sorted alphabetically', async () => {
    const { token, username } = await registerAndLogin(t, { full_name: 'Admin A.A.', email: 'daniel.z@yandex.ru', phone: '+71234567890', contacts: 'tg' });
    const r = await get(t, '/profile_settings', bearer(token));
    expect(r.text).toBe(
      `{"contacts":"tg","email":"d******z@yandex.ru","full_name":"Admin A.A.","is_email_verified":false,"phone":"+71234567890","pwd":"********","username":"${username}"}`,
    );
    const l = await post(t, '/login', { username: 'nobody', pwd: 'x' });
    expect(l.text).toBe('{"msg":"Wrong username or password"}');
  });

  it('the login answer lists msg before token', async () => {
    const u = await registerAndLogin(t);
    expect(u.res.text).toBe(`{"msg":"login successful","token":"${u.token}"}`);
  });
});

describe('CORS (§1.1)', () => {
  it('a request with Origin gets Access-Control-Allow-Origin: * and no credentials', async () => {
    const r = await post(t, '/login', { username: 'nobody', pwd: 'x' }, { origin: 'https://app.example' });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('errors outside the views carry it too (404)', async () => {
    const r = await request(t.url, 'GET', P + '/nope', { headers: { origin: 'https://app.example' } });
    expect(r.status).toBe(404);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('no Origin, no CORS header', async () => {
    const r = await post(t, '/login', { username: 'nobody', pwd: 'x' });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a preflight gets 200, echoing the requested method and headers', async () => {
    const r = await request(t.url, 'OPTIONS', P + '/reset_password_request', {
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-csrf-token' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toBe('POST');
    expect(r.headers.get('access-control-allow-headers')).toBe('content-type, x-csrf-token');
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    expect(r.text).toBe('');
  });
});
