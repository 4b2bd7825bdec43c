// account.md §1.1–§1.3: routes without trailing slashes, the /acount/ spelling, OPTIONS,
// HEAD, 405 after authentication, body errors, 413, and the Token header table.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { PASSWORD, freshUser, startAccount, token } from './support.js';

let t: TestApp;
let user: Awaited<ReturnType<typeof freshUser>>;
beforeAll(async () => {
  t = await startAccount();
  user = await freshUser(t);
});
afterAll(async () => {
  await t?.close();
});

const NOT_FOUND = '{"detail":"Not found."}';

describe('routing (§1.1)', () => {
  it('a trailing slash, an unknown path, or another route under /acount/ is 404', async () => {
    const paths = ['/account/register/', '/account/login/', '/account/profile/', '/account/set_picture/', '/acount/set_picture/', '/account/', '/account', '/account/nope', '/acount/login', '/acount/profile', '/acount/'];
    for (const path of paths) {
      const r = await request(t.url, 'GET', path, { headers: token(user.key) });
      expect(r.status, path).toBe(404);
      expect(r.text).toBe(NOT_FOUND);
    }
  });

  it('serves set_picture under both spellings', async () => {
    for (const path of ['/account/set_picture', '/acount/set_picture']) {
      const r = await request(t.url, 'POST', path, { headers: token(user.key), json: { id: 2 } });
      expect(r.json, path).toEqual({ success: true });
    }
  });

  it('sends no CORS headers', async () => {
    const r = await request(t.url, 'GET', '/account/profile', { headers: { ...token(user.key), origin: 'https://app.example' } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('OPTIONS, HEAD and 405', () => {
  it('OPTIONS answers the route description with Allow, after authentication', async () => {
    const r = await request(t.url, 'OPTIONS', '/account/register');
    expect(r.status).toBe(200);
    expect(r.headers.get('allow')).toBe('POST, OPTIONS');
    expect(r.json).toEqual({ name: 'Register', description: '', renders: ['application/json'], parses: ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'] });
    expect((await request(t.url, 'OPTIONS', '/account/profile')).status).toBe(401);
    const p = await request(t.url, 'OPTIONS', '/account/profile', { headers: token(user.key) });
    expect(p.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(p.json.name).toBe('Profile');
  });

  it('HEAD is served where GET is', async () => {
    const get = await request(t.url, 'GET', '/account/get_pictures', { headers: token(user.key) });
    const head = await request(t.url, 'HEAD', '/account/get_pictures', { headers: token(user.key) });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(head.headers.get('content-length')).toBe(get.headers.get('content-length'));
  });

  it('the wrong method is 405, but only after authentication and permission', async () => {
    const get = await request(t.url, 'GET', '/account/register');
    expect(get.status).toBe(405);
    expect(get.text).toBe('{"detail":"Method \\"GET\\" not allowed."}');
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');

    const anonymous = await request(t.url, 'GET', '/account/logout');
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toEqual({ detail: 'Authentication credentials were not provided.' });

    const withKey = await request(t.url, 'GET', '/account/logout', { headers: token(user.key) });
    expect(withKey.status).toBe(405);
    const post = await request(t.url, 'PUT', '/account/profile', { headers: token(user.key) });
    expect(post.status).toBe(405);
    expect(post.json).toEqual({ detail: 'Method "PUT" not allowed.' });
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});

describe('bodies (§1.2)', () => {
  it('415, malformed JSON and 413 answer in the detail shape', async () => {
    const u = await request(t.url, 'POST', '/account/login', { body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(u.status).toBe(415);
    expect(u.text).toBe('{"detail":"Unsupported media type \\"text/plain\\" in request."}');
    const bad = await request(t.url, 'POST', '/account/register', { body: '{"username":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.json.detail).toMatch(/^JSON parse error - /);
    const big = await request(t.url, 'POST', '/account/login', { body: `{"username":"${'u'.repeat(1024 * 1024)}"}`, headers: { 'content-type': 'application/json' } });
    expect(big.status).toBe(413);
    expect(big.text).toBe('{"detail":"Request body too large."}');
  });

  it('a JSON body that is not an object: 400 on login, success false on register', async () => {
    const login = await request(t.url, 'POST', '/account/login', { body: '["a"]', headers: { 'content-type': 'application/json' } });
    expect(login.status).toBe(400);
    expect(login.json).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
    const register = await request(t.url, 'POST', '/account/register', { body: '3.5', headers: { 'content-type': 'application/json' } });
    expect(register.status).toBe(200);
    expect(register.text).toBe('{"success":false,"errors":{"non_field_errors":["Invalid data. Expected a dictionary, but got float."]}}');
  });
});

describe('the Token header (§1.3)', () => {
  async function profile(headers: Record<string, string>) {
    return request(t.url, 'GET', '/account/profile', { headers });
  }

  function expect401(r: Awaited<ReturnType<typeof profile>>, detail: string) {
    expect(r.status).toBe(401);
    expect(r.text).toBe(JSON.stringify({ detail }));
    expect(r.headers.get('www-authenticate')).toBe('Token');
  }

  it('answers each broken header with its message', async () => {
    expect401(await profile({}), 'Authentication credentials were not provided.');
    expect401(await profile({ authorization: `Bearer ${user.key}` }), 'Authentication credentials were not provided.');
    expect401(await profile({ authorization: 'Token' }), 'Invalid token header. No credentials provided.');
    expect401(await profile({ authorization: `Token ${user.key} extra` }), 'Invalid token header. Token string should not contain spaces.');
    expect401(await profile({ authorization: 'Token \u00ff\u00fe' }), 'Invalid token header. Token string should not contain invalid characters.');
    expect401(await profile({ authorization: 'Token 0000000000000000000000000000000000000000' }), 'Invalid token.');
    expect401(await profile({ authorization: `Token ${user.key.toUpperCase()}` }), 'Invalid token.');
    expect401(await profile({ authorization: 'Token \u00c3\u00a9' }), 'Invalid token.');
  });

  it('matches the scheme word in any letter case', async () => {
    for (const scheme of ['Token', 'token', 'TOKEN', 'tOkEn']) {
      expect((await profile({ authorization: `${scheme} ${user.key}` })).status).toBe(200);
    }
  });

  it('refuses the key of an inactive user', async () => {
    const idle = await freshUser(t);
    await t.ctx.accounts.update(idle.number, { isActive: false });
    expect401(await profile(token(idle.key)), 'User inactive or deleted.');
  });

  it('reads the header on register and login too', async () => {
    for (const path of ['/account/register', '/account/login']) {
      const r = await request(t.url, 'POST', path, { headers: { authorization: 'Token' }, json: {} });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ detail: 'Invalid token header. No credentials provided.' });
      const unknown = await request(t.url, 'POST', path, { headers: { authorization: `Token ${'a'.repeat(40)}` }, json: {} });
      expect(unknown.json).toEqual({ detail: 'Invalid token.' });
    }
    const other = await request(t.url, 'POST', '/account/login', { headers: { authorization: 'Basic abc' }, json: {} });
    expect(other.status).toBe(400);
  });
});

describe('unexpected failures (v1.md §0.13)', () => {
  it('answer 500 {"detail": "A server error occurred."} and reveal nothing', async () => {
    const broken = await startAccount();
    try {
      const u = await freshUser(broken);
      await request(broken.url, 'POST', '/account/logout', { headers: token(u.key) });
      // No key can be minted any more: login fails inside the view.
      await sql`drop table account_tokens`.execute(broken.ctx.db);
      const r = await request(broken.url, 'POST', '/account/login', { json: { username: u.username, password: PASSWORD } });
      expect(r.status).toBe(500);
      expect(r.text).toBe('{"detail":"A server error occurred."}');
    } finally {
      await broken.close();
    }
  });
});
