// The same contract for the in-process store and for Redis (when TEST_REDIS_URL is set).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { Kv } from '../../src/kv/kv.js';
import { MemoryKv } from '../../src/kv/memory.js';
import { RedisKv } from '../../src/kv/redis.js';

const stores: [string, () => Promise<Kv>][] = [['memory', async () => new MemoryKv()]];
if (process.env.TEST_REDIS_URL) stores.push(['redis', () => RedisKv.connect(process.env.TEST_REDIS_URL!, `ghtest:${randomBytes(6).toString('hex')}:`)]);

const opened: Kv[] = [];
afterAll(async () => {
  for (const kv of opened) await kv.close();
});

describe.each(stores)('%s kv', (_name, open) => {
  it('sliding window: refuses at the limit, does not record refusals, reports the wait', async () => {
    const kv = await open();
    opened.push(kv);
    for (let i = 0; i < 3; i++) expect((await kv.hit('w', 3, 60_000)).allowed).toBe(true);
    const refused = await kv.hit('w', 3, 60_000);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(58_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
    await kv.resetHits('w');
    expect((await kv.hit('w', 3, 60_000)).allowed).toBe(true);
  });

  it('sliding window: hits leave the window after its period', async () => {
    const kv = await open();
    opened.push(kv);
    expect((await kv.hit('short', 1, 150)).allowed).toBe(true);
    expect((await kv.hit('short', 1, 150)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect((await kv.hit('short', 1, 150)).allowed).toBe(true);
  });

  it('sliding window holds under concurrency: exactly `limit` of 50 parallel hits pass', async () => {
    const kv = await open();
    opened.push(kv);
    const results = await Promise.all(Array.from({ length: 50 }, () => kv.hit('race', 7, 60_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(7);
  });

  it('claim: one holder at a time, the others learn how long is left', async () => {
    const kv = await open();
    opened.push(kv);
    const results = await Promise.all(Array.from({ length: 10 }, () => kv.claim('mail:1', 60_000)));
    expect(results.filter((r) => r === 0)).toHaveLength(1);
    expect(Math.min(...results.filter((r) => r > 0))).toBeGreaterThan(59_000);
  });

  it('denylist: denied until exp, ignored once expired', async () => {
    const kv = await open();
    opened.push(kv);
    const now = Math.floor(Date.now() / 1000);
    await kv.deny('a'.repeat(32), now + 60);
    await kv.deny('b'.repeat(32), now - 1);
    expect(await kv.isDenied('a'.repeat(32))).toBe(true);
    expect(await kv.isDenied('b'.repeat(32))).toBe(false);
    expect(await kv.isDenied('c'.repeat(32))).toBe(false);
  });
});
