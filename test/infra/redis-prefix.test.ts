// REDIS_PREFIX (spec README, operating contract): every Redis key of a deployment starts with it,
// sessions included, so two deployments sharing one Redis never share throttle buckets, mail
// claims, denylists or sessions. Run against a private redis-server, whose every key we can list.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuildOptions, buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { Client, request } from '../helpers/http.js';
import { PrivateRedis } from '../faults/private-redis.js';
import { V1, bearerHeader, jwtLogin, registerUser } from '../surfaces/v1/helpers.js';

interface Deployment { url: string; close(): Promise<void> }

let redis: PrivateRedis;
let inspect: Redis;
const running: Deployment[] = [];

beforeAll(async () => {
  redis = await PrivateRedis.start();
  inspect = new Redis(redis.url);
});

afterAll(async () => {
  for (const d of running) await d.close();
  inspect?.disconnect();
  await redis?.close();
});

/** A deployment of its own (own SQLite database and data), on the shared private Redis. */
async function deploy(env: Record<string, string>, options: BuildOptions = {}, dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-prefix-'))): Promise<Deployment> {
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SECRET_KEY: 'prefix-test-secret-' + randomBytes(16).toString('hex'),
    REDIS_URL: redis.url,
    LOG_LEVEL: 'silent',
    THROTTLE_USER_RATE: 'off',
    SURFACES: 'v1',
    ...env,
  });
  const { app } = await buildApp({ ...config, argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 } }, { processMetrics: false, forceCloseConnections: true, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const d = {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  running.push(d);
  return d;
}

const register = (d: Deployment) => request(d.url, 'POST', V1 + 'register/', { json: {} });

describe('REDIS_PREFIX', () => {
  it('defaults to gatehouse: for every key', async () => {
    await inspect.flushdb(); // the private Redis only
    const d = await deploy({ THROTTLE_ANON_RATE: '100/min' });
    expect((await register(d)).status).toBe(400);
    const keys = await inspect.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.startsWith('gatehouse:')).toBe(true);
    await d.close();
    running.splice(running.indexOf(d), 1);
  });

  it('keeps the throttle buckets of two deployments apart; one prefix means one deployment', async () => {
    const a = await deploy({ REDIS_PREFIX: 'deploy-a:', THROTTLE_ANON_RATE: '2/min' });
    const b = await deploy({ REDIS_PREFIX: 'deploy-b:', THROTTLE_ANON_RATE: '2/min' });
    expect((await register(a)).status).toBe(400);
    expect((await register(a)).status).toBe(400);
    expect((await register(a)).status).toBe(429);
    // Same client address, another deployment: its own bucket.
    expect((await register(b)).status).toBe(400);
    // A second instance of deployment A shares A's buckets, as instances must.
    const a2 = await deploy({ REDIS_PREFIX: 'deploy-a:', THROTTLE_ANON_RATE: '2/min' });
    expect((await register(a2)).status).toBe(429);
  });

  it('keeps mail claims apart: each deployment mails its own user number 1', async () => {
    // Both deployments have a user number 1; the claim "one reset mail per minute for user 1"
    // must not be shared between them.
    const outboxCount = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.eml')).length : 0);
    const mailed: number[] = [];
    for (const prefix of ['mail-a:', 'mail-b:']) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-prefix-mail-'));
      const d = await deploy({ REDIS_PREFIX: prefix, THROTTLE_ANON_RATE: 'off' }, {}, dataDir);
      const user = await registerUser(d.url, 'mail');
      expect((await request(d.url, 'POST', V1 + 'password/reset/', { json: { email: user.email } })).status).toBe(200);
      const outbox = path.join(dataDir, 'outbox');
      for (let i = 0; i < 50 && outboxCount(outbox) === 0; i++) await new Promise((r) => setTimeout(r, 100));
      mailed.push(outboxCount(outbox));
    }
    expect(mailed).toEqual([1, 1]);
  });

  it('prefixes every key, sessions and denylist entries included', async () => {
    const d = await deploy({ REDIS_PREFIX: 'every-key:', THROTTLE_ANON_RATE: '100/min' });
    const user = await registerUser(d.url, 'keys');
    const c = new Client(d.url);
    const { access } = await jwtLogin(c, user);
    expect((await c.post(V1 + 'token/refresh/')).status).toBe(200);
    expect((await c.post(V1 + 'logout-jwt/', { headers: bearerHeader(access) })).status).toBe(200);
    await jwtLogin(c, user); // a session that stays
    const mine = await inspect.keys('every-key:*');
    expect(mine.some((k) => k.startsWith('every-key:sess:'))).toBe(true);
    expect(mine.some((k) => k.startsWith('every-key:deny:'))).toBe(true);
    expect(mine.some((k) => k.startsWith('every-key:hit:'))).toBe(true);
    const prefixes = ['gatehouse:', 'deploy-a:', 'deploy-b:', 'mail-a:', 'mail-b:', 'every-key:', 'override:'];
    for (const k of await inspect.keys('*')) expect(prefixes.some((p) => k.startsWith(p)), k).toBe(true);
  });

  it("buildApp's kvPrefix option (tests) still overrides it", async () => {
    const d = await deploy({ REDIS_PREFIX: 'ignored:', THROTTLE_ANON_RATE: '100/min' }, { kvPrefix: 'override:' });
    expect((await register(d)).status).toBe(400);
    expect(await inspect.keys('ignored:*')).toEqual([]);
    expect((await inspect.keys('override:*')).length).toBeGreaterThan(0);
  });
});
