// users.md §1 and §2.1: routing, slashes, 404/405/413, the CSRF cookie and check, and CORS.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { CSRF_FAILED, NOT_FOUND, UsersClient, cookieAttrs, loggedIn } from './helpers.js';

let t: TestApp;
let trusting: TestApp;
beforeAll(async () => {
  [t, trusting] = await Promise.all([startApp(), startApp({ TRUSTED_ORIGINS: 'http://good.example' })]);
});
afterAll(async () => {
  await Promise.all([t?.close(), trusting?.close()]);
});

const TOKEN = 'A'.repeat(32);
const withToken = { cookie: `csrftoken=${TOKEN}`, 'x-csrftoken': TOKEN };

describe('GET / and GET /get-csrf-token/ (§2.1)', () => {
  it.each([
    ['/', '{"message":"hello from backend."}'],
    ['/get-csrf-token/', '{"message":"CSRF cookie set."}'],
  ])('%s answers 200 with a fresh csrftoken cookie', async (path, body) => {
    const r = await request(t.url, 'GET', path);
    expect(r.status).toBe(200);
    expect(r.text).toBe(body);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const c = cookieAttrs(r, 'csrftoken')!;
    expect(c.value).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(c).toMatchObject({ 'max-age': '31449600', path: '/', samesite: 'Lax' });
    expect(c).not.toHaveProperty('httponly');
    expect(c).not.toHaveProperty('secure');
  });

  it('re-sends the cookie the browser has, and replaces one that is not a token', async () => {
    const kept = await request(t.url, 'GET', '/get-csrf-token/', { cookies: { csrftoken: TOKEN } });
    expect(kept.cookie('csrftoken')).toBe(TOKEN);
    const replaced = await request(t.url, 'GET', '/', { cookies: { csrftoken: 'short' } });
    expect(replaced.cookie('csrftoken')).toMatch(/^[A-Za-z0-9]{32}$/);
    const a = await request(t.url, 'GET', '/');
    const b = await request(t.url, 'GET', '/');
    expect(a.cookie('csrftoken')).not.toBe(b.cookie('csrftoken'));
  });

  it('gets Secure cookies behind HTTPS (v1.md §0.3)', async () => {
    const app = await startApp({ PUBLIC_URL: 'https://accounts.example' });
    try {
      const r = await request(app.url, 'GET', '/');
      expect(cookieAttrs(r, 'csrftoken')).toHaveProperty('secure');
    } finally {
      await app.close();
    }
  });

  it('answers every other method 405 with an empty body, HEAD included, after CSRF for unsafe ones', async () => {
    for (const path of ['/', '/get-csrf-token/']) {
      for (const method of ['HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE']) {
        const r = await request(t.url, method, path, { headers: withToken });
        expect([method, r.status, r.text, r.headers.get('allow')]).toEqual([method, 405, '', 'GET']);
      }
      const r = await request(t.url, 'POST', path);
      expect(r.status).toBe(403);
      expect(r.json.reason).toBe('CSRF cookie not set.');
    }
  });
});

describe('routing (§1.1)', () => {
  it('redirects a slash-less route 301 to the slashed path, query kept, before CSRF, for any method', async () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/users/login', '/users/login/'],
      ['PUT', '/users/register?a=1&b=%20', '/users/register/?a=1&b=%20'],
      ['GET', '/users/avatar', '/users/avatar/'],
      ['DELETE', '/users/logout', '/users/logout/'],
      ['GET', '/get-csrf-token?x', '/get-csrf-token/?x'],
    ];
    for (const [method, path, location] of cases) {
      const r = await request(t.url, method, path, { json: method === 'GET' ? undefined : { a: 1 } });
      expect([r.status, r.headers.get('location'), r.text]).toEqual([301, location, '']);
    }
    // Before the body is read, too: a body over the limit is redirected, not refused.
    const big = await request(t.url, 'POST', '/users/register', { body: 'x'.repeat(2 * 1024 * 1024) });
    expect([big.status, big.headers.get('location')]).toEqual([301, '/users/register/']);
  });

  it('answers unknown paths under /users/ and /media/ 404 {"error": "Page not found."}, before CSRF', async () => {
    const paths = ['/users/', '/users', '/users/1/', '/users/me/', '/users/login/x/', '/media/', '/media/x', '/media/avatars/1/', '/get-csrf-token/x'];
    for (const path of paths) {
      for (const method of ['GET', 'POST']) {
        const r = await request(t.url, method, path);
        expect([path, method, r.status]).toEqual([path, method, 404]);
        if (path.startsWith('/get-csrf-token/')) expect(r.text).toBe('{"detail":"Not found."}');
        else expect(r.text).toBe(NOT_FOUND);
        expect(r.headers.get('content-type')).toContain('application/json');
      }
    }
  });

  it('answers 405 with an empty body and Allow: POST on the POST routes; 401 first where a login is needed', async () => {
    for (const path of ['/users/register/', '/users/login/']) {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const r = await request(t.url, method, path);
        expect([path, method, r.status, r.text, r.headers.get('allow')]).toEqual([path, method, 405, '', 'POST']);
      }
      const put = await request(t.url, 'PUT', path, { headers: withToken, json: {} });
      expect([put.status, put.headers.get('allow')]).toEqual([405, 'POST']);
    }
    for (const path of ['/users/logout/', '/users/avatar/']) {
      const r = await request(t.url, 'GET', path);
      expect([r.status, r.text]).toEqual([401, '{"errors":"User is not authenticated."}']);
    }
  });

  it('checks CSRF before 405 and 401', async () => {
    for (const [method, path] of [['PUT', '/users/login/'], ['DELETE', '/users/register/'], ['POST', '/users/logout/'], ['PATCH', '/users/avatar/']]) {
      const r = await request(t.url, method, path);
      expect([method, path, r.status, r.json?.reason]).toEqual([method, path, 403, 'CSRF cookie not set.']);
    }
  });

  it('answers 413 {"errors": "Request body too large."} past 1 MiB of JSON', async () => {
    const r = await request(t.url, 'POST', '/users/register/', { headers: withToken, json: { username: 'x'.repeat(1024 * 1024) } });
    expect([r.status, r.text]).toEqual([413, '{"errors":"Request body too large."}']);
  });

  it('never answers 500 or HTML to arbitrary bodies, types and headers', async () => {
    const c = new UsersClient(t.url);
    await c.csrf();
    const types = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=x'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/users/register/', '/users/login/'), fc.constantFrom(...types), fc.oneof(fc.json(), fc.string()), async (path, type, body) => {
        const r = await c.unsafe('POST', path, { body, headers: { 'content-type': type } });
        expect(r.status).toBeGreaterThanOrEqual(200);
        expect(r.status).toBeLessThan(500);
        expect(r.headers.get('content-type') ?? 'application/json').toContain('application/json');
      }),
      { numRuns: 60 },
    );
  });
});

describe('CSRF (§1.3)', () => {
  const post = (headers: Record<string, string>, body?: string) =>
    request(t.url, 'POST', '/users/register/', { headers, body: body ?? '[]' });

  it('names each failing check, in order', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ origin: 'http://evil.example' }, 'Origin checking failed - http://evil.example does not match any trusted origins.'],
      [{ ...withToken, origin: 'null' }, 'Origin checking failed - null does not match any trusted origins.'],
      [{ 'x-csrftoken': TOKEN }, 'CSRF cookie not set.'],
      [{ cookie: `csrftoken=${TOKEN}` }, 'CSRF token missing.'],
      [{ cookie: `csrftoken=${TOKEN}`, 'x-csrftoken': '' }, 'CSRF token missing.'],
      [{ cookie: `csrftoken=${TOKEN}`, 'x-csrftoken': 'B'.repeat(32) }, 'CSRF token incorrect.'],
      [{ cookie: `csrftoken=${TOKEN}`, 'x-csrftoken': TOKEN.slice(1) }, 'CSRF token incorrect.'],
    ];
    for (const [headers, reason] of cases) {
      const r = await post(headers);
      expect(r.status).toBe(403);
      expect(r.text).toBe(JSON.stringify({ errors: CSRF_FAILED, reason }));
    }
  });

  it('passes a matching header, with or without the request\u2019s own Origin', async () => {
    expect((await post(withToken)).text).toBe('{"errors":"Invalid JSON input."}');
    expect((await post({ ...withToken, origin: t.url })).text).toBe('{"errors":"Invalid JSON input."}');
  });

  it('takes the csrfmiddlewaretoken form field when the header is absent', async () => {
    const form = { cookie: `csrftoken=${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' };
    expect((await post(form, `csrfmiddlewaretoken=${TOKEN}`)).text).toBe('{"errors":"Invalid JSON input."}');
    expect((await post(form, `csrfmiddlewaretoken=${'C'.repeat(32)}`)).json.reason).toBe('CSRF token incorrect.');
    expect((await post(form, 'other=1')).json.reason).toBe('CSRF token missing.');
    // Only forms carry the field: the same text as JSON is no token.
    expect((await post({ cookie: `csrftoken=${TOKEN}`, 'content-type': 'text/plain' }, `csrfmiddlewaretoken=${TOKEN}`)).json.reason).toBe('CSRF token missing.');
  });

  it('takes the csrfmiddlewaretoken multipart field on the avatar upload', async () => {
    const c = await loggedIn(t.url, 'formfielder');
    const form = new FormData();
    form.append('csrfmiddlewaretoken', c.jar.csrftoken);
    const ok = await c.send('POST', '/users/avatar/', { body: form });
    expect([ok.status, ok.text]).toEqual([400, '{"errors":"No file uploaded."}']);
    const wrong = new FormData();
    wrong.append('csrfmiddlewaretoken', 'D'.repeat(32));
    expect((await c.send('POST', '/users/avatar/', { body: wrong })).json.reason).toBe('CSRF token incorrect.');
  });
});

describe('CORS with TRUSTED_ORIGINS (§1.1)', () => {
  const GOOD = 'http://good.example';

  it('answers a trusted Origin with credentialed CORS headers, on every kind of answer', async () => {
    for (const [method, path, status] of [['GET', '/', 200], ['GET', '/users/nope/', 404], ['POST', '/users/login/', 403], ['GET', '/users/login/', 405]] as const) {
      const r = await request(trusting.url, method, path, { headers: { origin: GOOD } });
      expect(r.status).toBe(status);
      expect(r.headers.get('access-control-allow-origin')).toBe(GOOD);
      expect(r.headers.get('access-control-allow-credentials')).toBe('true');
      expect(r.headers.get('vary')).toBe('Origin');
    }
  });

  it('gives nothing to other origins', async () => {
    const r = await request(trusting.url, 'GET', '/', { headers: { origin: 'http://bad.example' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
    const plain = await request(t.url, 'GET', '/', { headers: { origin: GOOD } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers a trusted preflight 200 with the allowed methods and headers', async () => {
    const r = await request(trusting.url, 'OPTIONS', '/users/login/', {
      headers: { origin: GOOD, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-csrftoken' },
    });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers.get('access-control-allow-origin')).toBe(GOOD);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(r.headers.get('access-control-allow-methods')).toBe('DELETE, GET, OPTIONS, PATCH, POST, PUT');
    expect(r.headers.get('access-control-allow-headers')).toBe('accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with');
    const untrusted = await request(trusting.url, 'OPTIONS', '/users/login/', { headers: { origin: 'http://bad.example', 'access-control-request-method': 'POST' } });
    expect([untrusted.status, untrusted.headers.get('access-control-allow-origin')]).toEqual([405, null]);
  });

  it('lets a trusted Origin through the CSRF Origin check, and only that one', async () => {
    const ok = await request(trusting.url, 'POST', '/users/login/', { headers: { ...withToken, origin: GOOD }, body: '{}' });
    expect(ok.text).toBe('{"errors":"Username and password are required."}');
    const bad = await request(trusting.url, 'POST', '/users/login/', { headers: { ...withToken, origin: 'http://good.example:8080' }, body: '{}' });
    expect(bad.json.reason).toBe('Origin checking failed - http://good.example:8080 does not match any trusted origins.');
  });
});
