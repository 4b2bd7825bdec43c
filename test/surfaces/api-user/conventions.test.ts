// api-user.md §1.1–§1.3: routing, trailing slashes, CORS, OPTIONS, HEAD, 405, body errors, 413.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { PASSWORD, freshUser, jwt, multipart, startApiUser } from './support.js';

let t: TestApp;
let user: Awaited<ReturnType<typeof freshUser>>;

beforeAll(async () => {
  t = await startApiUser();
  user = await freshUser(t);
});
afterAll(async () => {
  await t?.close();
});

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

describe('routing (§1.1)', () => {
  it('login, register, me, update and refresh match with and without one trailing slash', async () => {
    for (const path of ['login', 'register', 'refresh']) {
      for (const suffix of ['', '/']) {
        const r = await request(t.url, 'POST', `/api/user/${path}${suffix}`, { json: {} });
        expect(r.status, `${path}${suffix}`).toBe(400);
      }
    }
    for (const suffix of ['', '/']) {
      expect((await request(t.url, 'GET', `/api/user/me${suffix}`, { headers: jwt(user.access) })).status).toBe(200);
      expect((await request(t.url, 'PUT', `/api/user/update${suffix}`, { headers: jwt(user.access) })).status).toBe(200);
    }
  });

  it('answers every other path under the prefix 404 {"detail": "Not found."}', async () => {
    for (const path of ['/api/user/', '/api/user', '/api/user/nope', '/api/user/login//', '/api/user/me/x', '/api/user/media/', '/api/user/media/a/b', '/api/user/LOGIN']) {
      const r = await request(t.url, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.text).toBe('{"detail":"Not found."}');
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('accepts form-encoded bodies', async () => {
    const r = await request(t.url, 'POST', '/api/user/login', {
      body: new URLSearchParams({ email: user.email, password: 'correct horse' }),
    });
    expect(r.status).toBe(200);
  });
});

describe('CORS (§1.1)', () => {
  it('adds Access-Control-Allow-Origin: * to a request carrying Origin, and nothing without it', async () => {
    const withOrigin = await request(t.url, 'GET', '/api/user/me', { headers: { ...jwt(user.access), origin: 'https://app.example' } });
    expect(withOrigin.headers.get('access-control-allow-origin')).toBe('*');
    const without = await request(t.url, 'GET', '/api/user/me', { headers: jwt(user.access) });
    expect(without.headers.get('access-control-allow-origin')).toBeNull();
    const errorWithOrigin = await request(t.url, 'GET', '/api/user/me', { headers: { origin: 'https://app.example' } });
    expect(errorWithOrigin.status).toBe(401);
    expect(errorWithOrigin.headers.get('access-control-allow-origin')).toBe('*');
    const notFound = await request(t.url, 'GET', '/api/user/nope', { headers: { origin: 'https://app.example' } });
    expect(notFound.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers a preflight 200 with an empty body and the allowed methods, headers and max age, before authentication', async () => {
    for (const path of ['/api/user/me', '/api/user/login/', '/api/user/unknown']) {
      const r = await request(t.url, 'OPTIONS', path, {
        headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(r.status, path).toBe(200);
      expect(r.text).toBe('');
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.headers.get('access-control-allow-methods')).toBe('DELETE, GET, OPTIONS, PATCH, POST, PUT');
      expect(r.headers.get('access-control-allow-headers')).toBe('accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with');
      expect(r.headers.get('access-control-max-age')).toBe('86400');
    }
  });
});

describe('OPTIONS and HEAD (§1.1)', () => {
  const routes: Array<[string, string, string]> = [
    ['/api/user/login', 'Login', 'POST, OPTIONS'],
    ['/api/user/register/', 'Register', 'POST, OPTIONS'],
    ['/api/user/refresh', 'Token Refresh', 'POST, OPTIONS'],
  ];
  it.each(routes)('OPTIONS %s answers 200 with Allow and the route description', async (path, name, allow) => {
    const r = await request(t.url, 'OPTIONS', path);
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe(allow);
    expect(r.text).toBe(JSON.stringify({ name, description: '', renders: ['application/json'], parses: PARSES }));
  });

  it('OPTIONS on a route that needs a credential authenticates first', async () => {
    expect((await request(t.url, 'OPTIONS', '/api/user/me')).status).toBe(401);
    const r = await request(t.url, 'OPTIONS', '/api/user/me', { headers: jwt(user.access) });
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(r.json.name).toBe('Me');
    const u = await request(t.url, 'OPTIONS', '/api/user/update', { headers: jwt(user.access) });
    expect(u.headers.get('allow')).toBe('PUT, OPTIONS');
  });

  it('HEAD is served where GET is, with the GET length and no body', async () => {
    const get = await request(t.url, 'GET', '/api/user/me', { headers: jwt(user.access) });
    const head = await request(t.url, 'HEAD', '/api/user/me', { headers: jwt(user.access) });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
    expect(head.headers.get('content-type')).toContain('application/json');
  });
});

describe('405 (§1.2, §1.3)', () => {
  it('answers the wrong method with the method named and Allow', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/api/user/login', 'POST, OPTIONS'],
      ['PUT', '/api/user/register/', 'POST, OPTIONS'],
      ['GET', '/api/user/refresh', 'POST, OPTIONS'],
      ['DELETE', '/api/user/refresh/', 'POST, OPTIONS'],
      ['HEAD', '/api/user/login', 'POST, OPTIONS'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await request(t.url, method, path);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.headers.get('allow')).toBe(allow);
      if (method !== 'HEAD') expect(r.text).toBe(JSON.stringify({ detail: `Method "${method}" not allowed.` }));
    }
  });

  it('checks the credential before the method', async () => {
    expect((await request(t.url, 'PATCH', '/api/user/update')).json).toEqual({ detail: 'Authentication credentials were not provided.' });
    const patch = await request(t.url, 'PATCH', '/api/user/update', { headers: jwt(user.access), json: { full_name: 'x' } });
    expect(patch.status).toBe(405);
    expect(patch.text).toBe('{"detail":"Method \\"PATCH\\" not allowed."}');
    expect(patch.headers.get('allow')).toBe('PUT, OPTIONS');
    const post = await request(t.url, 'POST', '/api/user/me', { headers: jwt(user.access) });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    // A broken header on a route that does not need one still answers 401 before the 405.
    expect((await request(t.url, 'GET', '/api/user/login', { headers: { authorization: 'JWT' } })).status).toBe(401);
  });
});

describe('bodies (§1.3)', () => {
  it('415 names the media type as sent', async () => {
    const r = await request(t.url, 'POST', '/api/user/login', { body: 'email=x', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
    expect(r.text).toBe('{"detail":"Unsupported media type \\"text/plain\\" in request."}');
    const none = await request(t.url, 'POST', '/api/user/register', { body: Buffer.from('{}') });
    expect(none.status).toBe(415);
    expect(none.json).toEqual({ detail: 'Unsupported media type "" in request.' });
  });

  it('malformed JSON answers 400 "JSON parse error - <reason>"', async () => {
    for (const body of ['{', '{"email": }', 'nul', '{"a":1}x']) {
      const r = await request(t.url, 'POST', '/api/user/login', { body, headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(400);
      expect(Object.keys(r.json)).toEqual(['detail']);
      expect(r.json.detail).toMatch(/^JSON parse error - .+/);
    }
  });

  it('a JSON body that is not an object names its Python type', async () => {
    const cases: Array<[string, string]> = [['[]', 'list'], ['"x"', 'str'], ['1', 'int'], ['1.5', 'float'], ['true', 'bool']];
    for (const [body, type] of cases) {
      for (const path of ['/api/user/login', '/api/user/register', '/api/user/refresh']) {
        const r = await request(t.url, 'POST', path, { body, headers: { 'content-type': 'application/json' } });
        expect(r.status).toBe(400);
        expect(r.json).toEqual({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`] });
      }
    }
    const update = await request(t.url, 'PUT', '/api/user/update', { body: '[1]', headers: { ...jwt(user.access), 'content-type': 'application/json' } });
    expect(update.json).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  });

  it('a JSON null body is "No data provided", as DRF answered', async () => {
    const r = await request(t.url, 'POST', '/api/user/login', { body: 'null', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ non_field_errors: ['No data provided'] });
  });

  it('an empty body counts as {}', async () => {
    const r = await request(t.url, 'POST', '/api/user/login', { body: '', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ email: ['This field is required.'], password: ['This field is required.'] });
  });

  it('a broken multipart body answers 400, never 500', async () => {
    const r = await request(t.url, 'POST', '/api/user/register', { body: 'garbage', headers: { 'content-type': 'multipart/form-data' } });
    expect(r.status).toBe(400);
    expect(r.json.detail).toMatch(/^Multipart form parse error - /);
  });

  it('413 {"detail": "Request body too large."} above 1 MiB of JSON and 16 MiB of multipart', async () => {
    const json = await request(t.url, 'POST', '/api/user/login', { body: `{"email":"${'a'.repeat(1024 * 1024)}"}`, headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(413);
    expect(json.text).toBe('{"detail":"Request body too large."}');
    const mp = multipart([{ name: 'profile_pic', filename: 'big.png', data: Buffer.alloc(16 * 1024 * 1024 + 1) }]);
    const big = await request(t.url, 'POST', '/api/user/register', mp);
    expect(big.status).toBe(413);
    expect(big.json).toEqual({ detail: 'Request body too large.' });
  });
});

describe('unexpected failures (v1.md §0.13)', () => {
  it('answer 500 {"detail": "A server error occurred."} and reveal nothing', async () => {
    const broken = await startApiUser();
    try {
      const u = await freshUser(broken);
      // The token records are gone: issuing tokens fails inside the view.
      await sql`drop table jwt_tokens`.execute(broken.ctx.db);
      const r = await request(broken.url, 'POST', '/api/user/login', { json: { email: u.email, password: PASSWORD } });
      expect(r.status).toBe(500);
      expect(r.text).toBe('{"detail":"A server error occurred."}');
      expect(r.headers.get('content-type')).toContain('application/json');
    } finally {
      await broken.close();
    }
  });
});
