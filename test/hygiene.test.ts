// Service-wide rules with every surface mounted (v1.md §0.1, §0.2, §0.13): each surface answers
// the generic failures in its own style, never HTML where JSON is spoken, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app.js';
import { request } from './helpers/http.js';

let t: TestApp;
let proxied: TestApp;
beforeAll(async () => {
  t = await startApp();
  proxied = await startApp({ TRUST_PROXY: '127.0.0.1' });
});
afterAll(async () => {
  await t?.close();
  await proxied?.close();
});

describe('malformed URLs answer 400 in the surface style (§0.13)', () => {
  it.each([
    ['/v1/user/%E0%A4%A/', '"Bad request."'],
    ['/api/user/%E0%A4%A', '{"detail":"Bad request."}'],
    ['/account/%E0%A4%A', '{"detail":"Bad request."}'],
    ['/users/%E0%A4%A/', '{"error":"Bad request."}'],
    ['/user_account/%E0%A4%A', '{"msg":"Bad request."}'],
    ['/admin/api/%E0%A4%A/', '{"detail":"Bad request."}'],
    ['/%E0%A4%A', '{"detail":"Bad request."}'],
  ])('%s', async (path, body) => {
    const r = await request(t.url, 'GET', path);
    expect(r.status).toBe(400);
    expect(r.text).toBe(body);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('the admin UI answers with an HTML page', async () => {
    const r = await request(t.url, 'GET', '/admin/%E0%A4%A/');
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('text/html');
  });
});

describe('bodies over the limit answer 413 "Request body too large." in the surface style (§0.13)', () => {
  const big = 'x'.repeat(1024 * 1024 + 1);
  it.each([
    ['/v1/user/register/', '"Request body too large."'],
    ['/api/user/register', '{"detail":"Request body too large."}'],
    ['/account/register', '{"detail":"Request body too large."}'],
    ['/user_account/login', '{"msg":"Request body too large."}'],
    ['/admin/api/users/', '{"detail":"Request body too large."}'],
  ])('%s', async (path, body) => {
    const r = await request(t.url, 'POST', path, { body: big, headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(413);
    expect(r.text).toBe(body);
  });

  it('users: {"errors": "Request body too large."} (after its CSRF check)', async () => {
    const csrf = (await request(t.url, 'GET', '/get-csrf-token/')).cookie('csrftoken')!;
    const r = await request(t.url, 'POST', '/users/register/', { body: big, headers: { 'content-type': 'application/json', 'x-csrftoken': csrf }, cookies: { csrftoken: csrf } });
    expect(r.status).toBe(413);
    expect(r.json).toEqual({ errors: 'Request body too large.' });
  });
});

describe('unknown paths (§0.1)', () => {
  it.each([
    ['/nowhere', '{"detail":"Not found."}'],
    ['/v1/user/nowhere/', '"Not found."'],
    ['/v1/user/cron-job/', '"Not found."'],
    ['/api/user/nowhere', '{"detail":"Not found."}'],
    ['/account/nowhere', '{"detail":"Not found."}'],
    ['/acount/nowhere', '{"detail":"Not found."}'],
    ['/users/nowhere/', '{"error":"Page not found."}'],
    ['/media/nowhere', '{"error":"Page not found."}'],
    ['/user_account/nowhere', '{"msg":"Not Found"}'],
    ['/admin/api/nowhere/', '{"detail":"Not found."}'],
  ])('%s', async (path, body) => {
    const r = await request(t.url, 'GET', path);
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text)).toEqual(JSON.parse(body));
  });
});

describe('client IP (§0.2)', () => {
  async function failedLoginIp(app: TestApp, xff: string): Promise<string | null> {
    const email = `ip${Math.random().toString(36).slice(2)}@example.com`;
    await request(app.url, 'POST', '/v1/user/login-knox/', { json: { email, password: 'Whatever,1' }, headers: { 'x-forwarded-for': xff } });
    const row = await app.ctx.db.selectFrom('audit_log').select('ip').where('event', '=', 'login.failure').orderBy('id', 'desc').executeTakeFirstOrThrow();
    return row.ip;
  }

  it('is the socket peer unless the peer is a trusted proxy', async () => {
    expect(await failedLoginIp(t, '203.0.113.9')).toBe('127.0.0.1');
  });

  it('behind a trusted proxy, X-Forwarded-For is read right to left, skipping trusted addresses', async () => {
    expect(await failedLoginIp(proxied, '198.51.100.1, 203.0.113.9, 127.0.0.1')).toBe('203.0.113.9');
  });
});

describe('OpenAPI (issue 2, item 8)', () => {
  it('documents the routes of every surface, each with a summary', async () => {
    const doc = (await request(t.url, 'GET', '/openapi.json')).json;
    for (const path of ['/v1/user/register/', '/api/user/login', '/account/login', '/users/login/', '/user_account/login', '/admin/api/users/']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    for (const [path, ops] of Object.entries<Record<string, { summary?: string }>>(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect(op.summary, `${method} ${path}`).toBeTruthy();
    }
  });
});

describe('JSON answers are plain application/json, as every original sent them', () => {
  it.each(['/healthz', '/v1/user/mock-login/', '/api/user/me', '/account/profile', '/users/nowhere/', '/user_account/profile_settings', '/admin/api/stats/'])('%s', async (path) => {
    const r = await request(t.url, 'GET', path);
    expect(r.headers.get('content-type')).toBe('application/json');
  });
});
