// The short form of the attack campaign (the long one is `npm run attack`): fast-check draws
// hostile requests over every route of the live OpenAPI document and the undocumented ones
// (random methods and path spellings, live, broken, tampered and revoked credentials, cookies,
// forged Origin and Host, hostile JSON, form and multipart bodies), sent to a real `serve`
// process at LOG_LEVEL=trace. No answer may be a 5xx, a refused request may not change the
// database, a revoked v1 token may not be served, and the log may not hold a secret.
//
// ATTACK_RUNS and ATTACK_SEED repeat or widen a run: ATTACK_SEED=123 ATTACK_RUNS=5000 npx vitest run test/attacks/campaign.test.ts
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Campaign, summaryTable } from './campaign.js';
import { findLeaks, mailSecrets } from './log-check.js';
import { TRUSTED_ORIGIN, requestArb } from './requests.js';
import { Target } from './target.js';

const database = process.env.TEST_DATABASE_URL ? 'postgres' : 'sqlite';
const RUNS = Number(process.env.ATTACK_RUNS ?? 1500);
const SEED = process.env.ATTACK_SEED === undefined ? undefined : Number(process.env.ATTACK_SEED);

let target: Target;
let campaign: Campaign;
const started = Date.now();

beforeAll(async () => {
  target = await Target.start({
    postgresUrl: process.env.TEST_DATABASE_URL ?? null,
    redisUrl: process.env.TEST_REDIS_URL ?? null,
    env: { TRUSTED_ORIGINS: TRUSTED_ORIGIN },
  });
  campaign = await Campaign.start(target);
}, 120_000);

afterAll(async () => {
  await campaign?.close();
  await target?.close();
});

describe(`attack campaign on ${database} (short form)`, () => {
  it('hostile requests on every route: no 5xx, refusals change nothing, a revoked token is never served', async () => {
    expect(campaign.routes.length).toBeGreaterThan(60);
    await fc.assert(
      fc.asyncProperty(requestArb(campaign.routes), async (req) => {
        const o = await campaign.send(req);
        if (o.finding) throw new Error(`${o.finding.kind}: ${o.finding.request}\n  -> ${o.finding.status}: ${o.finding.detail}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const s = campaign.summary();
    console.log('\n' + summaryTable(s, database, Math.round((Date.now() - started) / 1000)));
    expect(s.errors5xx).toBe(0);
    expect(s.dbChangesByRefusals).toBe(0);
    expect(s.revokedServed).toBe(0);
    // The requests reached the views and were judged, not all refused at the door.
    expect(s.refusedChecked).toBe(s.refused);
    expect(s.served).toBeGreaterThan(RUNS / 20);
    expect(s.refused).toBeGreaterThan(RUNS / 2);
  }, 240_000);

  it('no password, token, key or mailed token reached the log (trace level)', async () => {
    await target.stop();
    expect(target.exitReport).toBeNull();
    const log = await target.log();
    // The log was written at trace level, and every request left its line.
    expect(log.split('\n').filter((l) => l.includes('"msg":"request"')).length).toBeGreaterThan(RUNS / 2);
    const mails = await target.outbox();
    const mailed = mailSecrets(mails);
    const secrets = [...campaign.ids.secrets, ...mailed, target.secretKey];
    expect(secrets.length).toBeGreaterThan(20);
    // The check sees a secret where there is one: the mails themselves hold their tokens.
    expect(mailed.length).toBeGreaterThan(0);
    expect(findLeaks(mails.map((m) => m.text).join('\n'), mailed).length).toBeGreaterThan(0);
    expect(findLeaks(log, secrets)).toEqual([]);
  }, 60_000);
});
