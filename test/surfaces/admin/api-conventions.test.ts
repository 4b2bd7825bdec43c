// The JSON API's conventions (admin.md §3.1): v1 credentials only, wrapped failures, the
// denylist before routing, staff permission, throttle, 404/405/400/415/413, slash-less paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { api, bearerLogin, knoxHeader, makeUser, startAdminApp } from './support.js';

let t: TestApp;
let staff: User;
let staffAuth: string;

beforeAll(async () => {
  t = await startAdminApp();
  staff = await makeUser(t.ctx, { staff: true });
  staffAuth = await knoxHeader(t.ctx, staff);
});
afterAll(async () => {
  await t?.close();
});

describe('credentials (v1.md §1.5, wrapped)', () => {
  it('no credential → 401 with WWW-Authenticate: Token', async () => {
    const r = await api(t, 'GET', '/admin/api/stats/', null);
    expect(r.status).toBe(401);
    expect(r.text).toBe('{"detail":"Authentication credentials were not provided."}');
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expect(r.headers.get('content-type')).toContain('application/json');
  });

  it('another scheme, and cookies, mean no credential', async () => {
    for (const headers of [{ authorization: 'Basic abc' }, { authorization: 'JWT abc' }, { cookie: 'sessionid=x; csrftoken=y' }] as Record<string, string>[]) {
      const r = await api(t, 'GET', '/admin/api/stats/', null, { headers });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ detail: 'Authentication credentials were not provided.' });
    }
  });

  it('knox failures are wrapped as {"detail": …}', async () => {
    const cases: [string, string][] = [
      ['Token', 'Invalid token header. No credentials provided.'],
      ['token a b', 'Invalid token header. Token string should not contain spaces.'],
      [`Token ${'0'.repeat(64)}`, 'Invalid token.'],
      [`Token ${'A'.repeat(64)}`, 'Invalid token.'],
    ];
    for (const [header, detail] of cases) {
      const r = await api(t, 'GET', '/admin/api/stats/', header);
      expect(r.status, header).toBe(401);
      expect(r.json).toEqual({ detail });
      expect(r.headers.get('www-authenticate')).toBe('Token');
    }
  });

  it('a knox token of an inactive user → "User inactive or deleted."', async () => {
    const u = await makeUser(t.ctx, { staff: true });
    const header = await knoxHeader(t.ctx, u);
    await t.ctx.accounts.update(u.number, { isActive: false });
    const r = await api(t, 'GET', '/admin/api/stats/', header);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ detail: 'User inactive or deleted.' });
  });

  it('Bearer failures: strings wrapped, objects kept', async () => {
    const bad = await api(t, 'GET', '/admin/api/stats/', 'Bearer not.a.jwt');
    expect(bad.status).toBe(401);
    expect(bad.json).toEqual({ detail: 'Token is invalid or expired' });
    const alone = await api(t, 'GET', '/admin/api/stats/', 'Bearer');
    expect(alone.json).toEqual({ detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
    const noUser = await t.ctx.v1Keys.codec.sign({ token_type: 'access', exp: Math.floor(Date.now() / 1000) + 60, iat: Math.floor(Date.now() / 1000), jti: 'a'.repeat(32) });
    const r = await api(t, 'GET', '/admin/api/stats/', `Bearer ${noUser}`);
    expect(r.json).toEqual({ detail: 'Token contained no recognizable user identification', code: 'token_not_valid' });
    const refresh = await t.ctx.v1Keys.codec.sign({ token_type: 'refresh', exp: Math.floor(Date.now() / 1000) + 60, iat: 1, jti: 'b'.repeat(32), user_id: staff.id });
    expect((await api(t, 'GET', '/admin/api/stats/', `Bearer ${refresh}`)).json).toEqual({ detail: 'Token has wrong type' });
  });

  it('a Bearer of an inactive user keeps its object body', async () => {
    const u = await makeUser(t.ctx, { staff: true });
    const login = await bearerLogin(t.ctx, u);
    await t.ctx.accounts.update(u.number, { isActive: false });
    const r = await api(t, 'GET', '/admin/api/stats/', login.header);
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ detail: 'User is inactive', code: 'user_inactive' });
  });

  it('a valid Bearer of a staff user is accepted', async () => {
    const login = await bearerLogin(t.ctx, staff);
    const r = await api(t, 'GET', '/admin/api/stats/', login.header);
    expect(r.status).toBe(200);
  });
});

describe('denylist before routing (v1.md §1.6)', () => {
  it('a denylisted access JWT gets 401 "Invalid token." on every /admin/api/ path, with no WWW-Authenticate', async () => {
    const login = await bearerLogin(t.ctx, staff);
    await t.ctx.revocation.denyAccess(login.jti, login.exp);
    for (const [method, path] of [['GET', '/admin/api/stats/'], ['GET', '/admin/api/no/such/path/'], ['PUT', '/admin/api/users/'], ['GET', '/admin/api']]) {
      const r = await api(t, method, path, login.header);
      expect(r.status, path).toBe(401);
      expect(r.text).toBe('{"detail":"Invalid token."}');
      expect(r.headers.get('www-authenticate')).toBeNull();
    }
    // Any scheme word: the second word is what is checked.
    const other = await api(t, 'GET', '/admin/api/stats/', login.header.replace('Bearer', 'Whatever'));
    expect(other.status).toBe(401);
    expect(other.json).toEqual({ detail: 'Invalid token.' });
  });
});

describe('permission', () => {
  it('a non-staff user → 403', async () => {
    const u = await makeUser(t.ctx);
    const r = await api(t, 'GET', '/admin/api/stats/', await knoxHeader(t.ctx, u));
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ detail: 'You do not have permission to perform this action.' });
  });

  it('is_superuser without is_staff is not staff → 403', async () => {
    const u = await makeUser(t.ctx);
    await t.ctx.accounts.update(u.number, { isSuperuser: true });
    const r = await api(t, 'GET', '/admin/api/users/', await knoxHeader(t.ctx, u));
    expect(r.status).toBe(403);
  });
});

describe('routing, methods and bodies', () => {
  it('unknown paths → 404 {"detail":"Not found."} (without credentials too)', async () => {
    for (const path of ['/admin/api/nothing/', '/admin/api/', '/admin/api', '/admin/api/profiles/painter/', '/admin/api/users/x/y/z/']) {
      const r = await api(t, 'GET', path, staffAuth);
      expect(r.status, path).toBe(404);
      expect(r.text).toBe('{"detail":"Not found."}');
    }
    expect((await api(t, 'GET', '/admin/api/nothing/', null)).status).toBe(404);
  });

  it('slash-less paths are served as they are, no redirect', async () => {
    const r = await api(t, 'GET', '/admin/api/stats', staffAuth);
    expect(r.status).toBe(200);
    const u = await api(t, 'GET', `/admin/api/users/${staff.id}`, staffAuth);
    expect(u.status).toBe(200);
    expect(u.json.id).toBe(staff.id);
  });

  it('a wrong method → 405 with Allow, after authentication', async () => {
    const r = await api(t, 'PUT', `/admin/api/users/${staff.id}/`, staffAuth, { json: {} });
    expect(r.status).toBe(405);
    expect(r.text).toBe('{"detail":"Method \\"PUT\\" not allowed."}');
    expect(r.headers.get('allow')).toBe('GET, PATCH, DELETE, HEAD');
    const post = await api(t, 'GET', `/admin/api/users/${staff.id}/unlock/`, staffAuth);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('POST');
    const anon = await api(t, 'PUT', `/admin/api/users/${staff.id}/`, null);
    expect(anon.status).toBe(401);
  });

  it('HEAD is served where GET is', async () => {
    const r = await api(t, 'HEAD', '/admin/api/stats/', staffAuth);
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('malformed JSON → 400 "JSON parse error - …"', async () => {
    const r = await api(t, 'PATCH', `/admin/api/users/${staff.id}/`, staffAuth, { body: '{"full_name": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json.detail).toMatch(/^JSON parse error - /);
  });

  it('a JSON body that is not an object → 400 non_field_errors', async () => {
    const r = await api(t, 'PATCH', `/admin/api/users/${staff.id}/`, staffAuth, { json: [1, 2] });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  });

  it('an unsupported media type → 415', async () => {
    const r = await api(t, 'PATCH', `/admin/api/users/${staff.id}/`, staffAuth, { body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(415);
    expect(r.text).toBe('{"detail":"Unsupported media type \\"text/plain\\" in request."}');
  });

  it('a body over 1 MiB → 413 {"detail":"Request body too large."}', async () => {
    const r = await api(t, 'PATCH', `/admin/api/users/${staff.id}/`, staffAuth, { body: JSON.stringify({ full_name: 'x'.repeat(1024 * 1024 + 10) }), headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ detail: 'Request body too large.' });
  });

  it('every answer is no-store and nosniff', async () => {
    for (const auth of [null, staffAuth]) {
      const r = await api(t, 'GET', '/admin/api/stats/', auth);
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('an unexpected failure answers the API\'s 500 body, with nothing of the failure in it', async () => {
    // A fault injected into one core call, for this request only.
    const byId = t.ctx.accounts.byId;
    t.ctx.accounts.byId = async () => {
      throw new Error('injected failure at /secret/path');
    };
    try {
      const r = await api(t, 'GET', `/admin/api/users/${staff.id}/`, staffAuth);
      expect(r.status).toBe(500);
      expect(r.text).toBe('{"detail":"A server error occurred."}');
      expect(r.headers.get('content-type')).toContain('application/json');
    } finally {
      t.ctx.accounts.byId = byId;
    }
  });
});

describe('throttle (per staff user, its own bucket)', () => {
  let tt: TestApp;
  beforeAll(async () => {
    tt = await startAdminApp({ THROTTLE_USER_RATE: '3/min' });
  });
  afterAll(async () => {
    await tt?.close();
  });

  it('the 4th request in a minute → 429 with Retry-After; another staff user has a bucket of their own', async () => {
    const a = await makeUser(tt.ctx, { staff: true });
    const b = await makeUser(tt.ctx, { staff: true });
    const ha = await knoxHeader(tt.ctx, a);
    for (let i = 0; i < 3; i++) expect((await api(tt, 'GET', '/admin/api/stats/', ha)).status).toBe(200);
    const r = await api(tt, 'GET', '/admin/api/stats/', ha);
    expect(r.status).toBe(429);
    expect(r.json.detail).toMatch(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
    expect(r.headers.get('retry-after')).toBe(r.json.detail.match(/(\d+)/)[1]);
    // b: a 405 uses up budget, a 401 does not (it names no user).
    const hb = await knoxHeader(tt.ctx, b);
    expect((await api(tt, 'GET', '/admin/api/stats/', hb)).status).toBe(200);
    expect((await api(tt, 'PUT', '/admin/api/stats/', hb)).status).toBe(405);
    expect((await api(tt, 'GET', '/admin/api/stats/', 'Token nope')).status).toBe(401);
    expect((await api(tt, 'GET', '/admin/api/stats/', hb)).status).toBe(200);
    expect((await api(tt, 'GET', '/admin/api/stats/', hb)).status).toBe(429);
  });
});
