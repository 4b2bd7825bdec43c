// The short form of the fault campaign (the long one is `npm run faults`): a few SIGKILLs of two
// real `serve` instances under load, a PostgreSQL connection termination (on PostgreSQL), and
// the private Redis stopped and frozen. Nothing acknowledged may be lost or half-written, no
// answer may be a 5xx other than 503 or hang, no innocent login may end, no instance may exit.
import { describe, expect, it } from 'vitest';
import { passed, problems, runCampaign, table } from './harness.js';

const database = process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite';

describe('fault campaign (short form)', () => {
  it(`${database}: kills, a connection termination, Redis stopped and frozen`, async () => {
    const r = await runCampaign({
      database,
      postgresUrl: process.env.TEST_DATABASE_URL,
      instances: 2,
      clients: 4,
      kills: 3,
      pgTerminations: 1,
      redisStops: 1,
      redisFreezes: 1,
    });
    console.log('\n' + table([r]));
    expect(r.faults).toEqual({ kills: 3, pgTerminations: database === 'postgres' ? 1 : 0, redisStops: 1, redisFreezes: 1 });
    expect(r.acked).toBeGreaterThan(0);
    expect(problems(r)).toEqual([]);
    expect(passed(r)).toBe(true);
  }, 240_000);
});
