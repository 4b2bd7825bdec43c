// v1.md §0.13 "Outages", with Redis: a Redis that is stopped or frozen (SIGSTOP: connections
// stay open, nothing answers) makes every request that needs it answer 503 in the surface's
// style within about 2 s, never 500 and never a hang; a credential that cannot be checked
// against the denylist is refused; and the service recovers by itself once Redis is back.
// The Redis here is a private redis-server: the machine's shared one is never touched.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { Client, type HttpResponse, request } from '../helpers/http.js';
import { PrivateRedis } from '../faults/private-redis.js';
import { V1, bearerHeader, jwtLogin, knoxLogin, registerUser, tokenHeader } from '../surfaces/v1/helpers.js';
import { DETAIL_OUTAGE, V1_OUTAGE, answered, eventually, expectOutage } from './support.js';

let redis: PrivateRedis;
let t: TestApp;
let access: string;
let knox: string;
const browser = { client: null as unknown as Client };
let apiUserAccess: string;
let uaToken: string;

beforeAll(async () => {
  redis = await PrivateRedis.start();
  // Throttling on (generously), so the throttled routes need Redis too.
  t = await startApp({ REDIS_URL: redis.url, THROTTLE_ANON_RATE: '10000/min', THROTTLE_USER_RATE: '10000/min' });
  const user = await registerUser(t.url, 'outage');
  knox = await knoxLogin(t.url, user);
  browser.client = new Client(t.url);
  access = (await jwtLogin(browser.client, user)).access;

  const email = `api-${Date.now()}@example.com`;
  expect((await request(t.url, 'POST', '/api/user/register', { json: { email, full_name: 'A', password: 'correct horse' } })).status).toBe(201);
  apiUserAccess = (await request(t.url, 'POST', '/api/user/login', { json: { email, password: 'correct horse' } })).json.tokens.access;

  const username = `ua${Date.now()}`;
  const reg = await request(t.url, 'POST', '/user_account/registration', { json: { username, full_name: 'U', email: `${username}@example.test`, pwd: 'pw-secret-1', phone: null, contacts: null } });
  expect(reg.status, reg.text).toBe(200);
  uaToken = (await request(t.url, 'POST', '/user_account/login', { json: { username, pwd: 'pw-secret-1' } })).json.token;
});

afterAll(async () => {
  redis?.thaw();
  await t?.close();
  await redis?.close();
});

/** Every request here needs Redis: the denylist (Bearer), the throttle, or the session. */
const needsRedis: [string, () => Promise<HttpResponse>, unknown][] = [
  ['v1 Bearer request (denylist)', () => request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(access) }), V1_OUTAGE],
  ['v1 Token request (user throttle)', () => request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(knox) }), V1_OUTAGE],
  ['v1 refresh (session)', () => request(t.url, 'POST', V1 + 'token/refresh/', { cookies: { ...browser.client.jar } }), V1_OUTAGE],
  ['v1 register (anonymous throttle)', () => request(t.url, 'POST', V1 + 'register/', { json: {} }), V1_OUTAGE],
  ['api-user access token (denylist)', () => request(t.url, 'GET', '/api/user/me', { headers: { authorization: `JWT ${apiUserAccess}` } }), DETAIL_OUTAGE],
  ['user-account token (denylist)', () => request(t.url, 'GET', '/user_account/profile_settings', { headers: { authorization: `Bearer ${uaToken}` } }), { msg: 'Service temporarily unavailable.' }],
  ['users session', () => request(t.url, 'GET', '/get-csrf-token/', { cookies: { sessionid: 'some-session-key' } }), { error: 'Service temporarily unavailable.' }],
  ['admin API (denylist)', () => request(t.url, 'GET', '/admin/api/users/', { headers: bearerHeader(access) }), DETAIL_OUTAGE],
  ['admin UI session', () => request(t.url, 'GET', '/admin/', { cookies: { sessionid: 'some-session-key' } }), '<html>'],
];

async function serving(): Promise<boolean> {
  const r = await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(access) });
  return r.status === 200;
}

describe('Redis stopped', () => {
  it('every request that needs it answers 503 in the surface style, fails closed, and /readyz names Redis', async () => {
    expect(await serving()).toBe(true);
    await redis.stop();
    for (const [what, send, body] of needsRedis) {
      const r = await answered(send());
      expectOutage(r, body);
      expect(what).toBeTruthy();
    }
    const ready = await answered(request(t.url, 'GET', '/readyz'));
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'unavailable' } });
    // What needs no Redis still works.
    expect((await request(t.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('recovers by itself once Redis is back: the same credentials and session work again', async () => {
    await redis.restart();
    await eventually(serving);
    expect((await request(t.url, 'GET', '/readyz')).status).toBe(200);
    expect((await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(knox) })).status).toBe(200);
    const refreshed = await browser.client.post(V1 + 'token/refresh/');
    expect(refreshed.status, refreshed.text).toBe(200);
    access = refreshed.json.access;
  });
});

describe('Redis frozen (no answer at all)', () => {
  it('gives 503 instead of hanging, for every request that needs it', async () => {
    expect(await serving()).toBe(true);
    redis.freeze();
    try {
      const answers = await Promise.all(needsRedis.map(([, send]) => answered(send())));
      answers.forEach((r, i) => expectOutage(r, needsRedis[i][2]));
      const ready = await answered(request(t.url, 'GET', '/readyz'));
      expect(ready.status).toBe(503);
      expect(ready.json.checks.redis).toBe('unavailable');
    } finally {
      redis.thaw();
    }
  });

  it('recovers once Redis answers again', async () => {
    await eventually(serving);
    const refreshed = await browser.client.post(V1 + 'token/refresh/');
    expect(refreshed.status, refreshed.text).toBe(200);
  });
});

describe('a logout cannot be undone by an outage', () => {
  it('a denylisted access token stays refused after Redis comes back', async () => {
    const user = await registerUser(t.url, 'logout');
    const c = new Client(t.url);
    const { access: token } = await jwtLogin(c, user);
    expect((await c.post(V1 + 'logout-jwt/', { headers: bearerHeader(token) })).status).toBe(200);
    await redis.stop();
    // The instance that denied it remembers the denial (kv/redis-denylist.ts): refused, not 503.
    const during = await answered(request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(token) }));
    expect(during.status).toBe(401);
    expect(during.json).toBe('Invalid token.');
    await redis.restart();
    await eventually(serving);
    const r = await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(token) });
    expect(r.status).toBe(401);
    expect(r.json).toBe('Invalid token.');
  });
});
