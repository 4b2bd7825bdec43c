// Throttling (v1.md §1.7): the anonymous bucket by client IP shared by the listed routes, the
// user bucket across every other route, the sliding window and its wording. Runs in process,
// and in Redis when TEST_REDIS_URL is set.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { V1, type TestApp, expectJson, request, startV1, tokenHeader } from './helpers.js';

let t: TestApp;
let tokenA: string;
let tokenB: string;

/** Users and tokens made through the core, so that setting up spends no request budget. */
async function seedUser(app: TestApp, email: string): Promise<string> {
  const created = await app.ctx.accounts.create({ email, username: email, password: 'Admin,123' });
  if (!created.ok) throw new Error('seed user not created');
  return (await app.ctx.knox.create(created.user, null, null)).token;
}

async function resetBuckets(): Promise<void> {
  for (const key of ['anon:127.0.0.1', 'anon:::ffff:127.0.0.1', 'anon:::1']) await t.ctx.kv.resetHits(`v1:${key}`);
}

beforeAll(async () => {
  t = await startV1({ THROTTLE_ANON_RATE: '3/min', THROTTLE_USER_RATE: '3/min' });
  tokenA = await seedUser(t, 'a@example.com');
  tokenB = await seedUser(t, 'b@example.com');
});
afterAll(async () => {
  await t?.close();
});
beforeEach(resetBuckets);

function expectThrottled(r: Awaited<ReturnType<typeof request>>, maxWait: number): void {
  expect(r.status).toBe(429);
  const wait = Number(r.headers.get('retry-after'));
  expect(wait).toBeGreaterThanOrEqual(1);
  expect(wait).toBeLessThanOrEqual(maxWait);
  expectJson(r, 429, `Request was throttled. Expected available in ${wait} second${wait === 1 ? '' : 's'}.`);
  expect(r.headers.get('www-authenticate')).toBeNull();
}

describe('the anonymous bucket', () => {
  it('is shared by the listed routes and counts by IP even with a valid credential', async () => {
    const valid = tokenHeader(tokenA);
    expect((await request(t.url, 'POST', V1 + 'register/', { headers: valid, json: {} })).status).toBe(400);
    expect((await request(t.url, 'POST', V1 + 'login-knox/', { headers: valid, json: {} })).status).toBe(400);
    expect((await request(t.url, 'POST', V1 + 'password/reset/', { headers: valid, json: {} })).status).toBe(400);
    for (const [method, path] of [['POST', 'login-jwt/'], ['POST', 'token/refresh/'], ['GET', 'password/reset/confirm/'], ['GET', 'email/verify/abc/'], ['POST', 'register/']]) {
      expectThrottled(await request(t.url, method, V1 + path, { headers: valid, json: method === 'GET' ? undefined : {} }), 60);
    }
  });

  it('does not count 401s from authentication, but counts failed logins', async () => {
    for (let i = 0; i < 5; i++) expectJson(await request(t.url, 'POST', V1 + 'register/', { headers: { authorization: 'Token a b' } }), 401, 'Invalid token header. Token string should not contain spaces.');
    for (let i = 0; i < 3; i++) {
      expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: 'a@example.com', password: 'Wrong,123' } }), 401, 'No active account found with the given credentials.');
    }
    expectThrottled(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: 'a@example.com', password: 'Admin,123' } }), 60);
  });

  it('a 405 uses up budget; once throttled, a broken credential is still 401 first', async () => {
    for (let i = 0; i < 3; i++) expect((await request(t.url, 'PATCH', V1 + 'register/')).status).toBe(405);
    expectThrottled(await request(t.url, 'PATCH', V1 + 'register/'), 60);
    expect((await request(t.url, 'POST', V1 + 'register/', { headers: { authorization: 'Token' } })).status).toBe(401);
  });
});

describe('the user bucket', () => {
  it('is one per user across routes and credentials; other users are unaffected', async () => {
    const a = tokenHeader(tokenA);
    expect((await request(t.url, 'GET', V1 + 'mock-login/', { headers: a })).status).toBe(200);
    expect((await request(t.url, 'GET', V1 + 'sessions/', { headers: a })).status).toBe(200);
    expect((await request(t.url, 'OPTIONS', V1 + 'profile/artist/', { headers: a })).status).toBe(200);
    expectThrottled(await request(t.url, 'GET', V1 + 'me/', { headers: a }), 60);
    expectThrottled(await request(t.url, 'POST', V1 + 'logout-knox/', { headers: a }), 60);
    expect((await request(t.url, 'GET', V1 + 'me/', { headers: tokenHeader(tokenB) })).status).toBe(200);
    // The anonymous routes do not draw on it.
    expect((await request(t.url, 'POST', V1 + 'register/', { headers: a, json: {} })).status).toBe(400);
  });

  it('media and JWKS are never throttled', async () => {
    for (let i = 0; i < 6; i++) {
      expect((await request(t.url, 'GET', '/.well-known/jwks.json')).status).toBe(200);
      expectJson(await request(t.url, 'GET', V1 + 'media/0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11.png'), 404, 'Not found.');
    }
  });
});

describe('the sliding window', () => {
  it('says "in 1 second." in the singular, and frees the slot when the oldest request leaves the window', async () => {
    const app = await startV1({ THROTTLE_USER_RATE: '1/s' });
    try {
      const tok = tokenHeader(await seedUser(app, 'c@example.com'));
      expect((await request(app.url, 'GET', V1 + 'mock-login/', { headers: tok })).status).toBe(200);
      const refused = await request(app.url, 'GET', V1 + 'mock-login/', { headers: tok });
      expectJson(refused, 429, 'Request was throttled. Expected available in 1 second.');
      expect(refused.headers.get('retry-after')).toBe('1');
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await request(app.url, 'GET', V1 + 'mock-login/', { headers: tok })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
