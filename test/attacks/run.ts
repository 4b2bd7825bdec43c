// `npm run attack`: the long attack campaign (issue 13). Hostile requests drawn by fast-check
// over every route of the live OpenAPI document and the undocumented ones, sent one at a time to
// a real `node bin/gatehouse.js serve` at LOG_LEVEL=trace, each judged (campaign.ts): no 5xx,
// no hang, no exit, no database change from a refused request, no revoked token served; at the
// end no secret in the log. Prints a table per database and exits 1 on any finding.
//
//   npm run attack -- --requests 100000
//   npm run attack -- --requests 20000 --db sqlite,postgres --seed 42
//   ATTACK_POSTGRES_URL=postgres://user@host:5432/db ATTACK_REDIS_URL=redis://host:6379 npm run attack -- --db postgres
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { Campaign, type Summary, summaryTable } from './campaign.js';
import { findLeaks, mailSecrets, type Leak } from './log-check.js';
import { TRUSTED_ORIGIN, requestArb } from './requests.js';
import { Target } from './target.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    db: { type: 'string', default: 'sqlite' },
    seed: { type: 'string' },
  },
});

const total = Number(values.requests);
if (!Number.isInteger(total) || total < 1) throw new Error(`--requests: a positive integer, got ${values.requests}`);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const postgresUrl = process.env.ATTACK_POSTGRES_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.ATTACK_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CHUNK = 1000;

interface Result { database: string; summary: Summary; leaks: Leak[]; exit: string | null; seconds: number }

async function campaignOn(database: 'sqlite' | 'postgres'): Promise<Result> {
  const started = Date.now();
  const log = (line: string) => console.log(`[${database}] ${line}`);
  const target = await Target.start({
    postgresUrl: database === 'postgres' ? postgresUrl : null,
    // PostgreSQL runs with Redis, as a deployment of several instances would.
    redisUrl: database === 'postgres' ? redisUrl : null,
    env: { TRUSTED_ORIGINS: TRUSTED_ORIGIN },
  });
  let campaign: Campaign | null = null;
  try {
    campaign = await Campaign.start(target);
    log(`${campaign.routes.length} routes, ${total} requests, seed ${seed}`);
    const arb = requestArb(campaign.routes);
    for (let sent = 0, chunk = 0; sent < total; chunk++) {
      for (const req of fc.sample(arb, { numRuns: Math.min(CHUNK, total - sent), seed: seed + chunk })) {
        const o = await campaign.send(req);
        sent++;
        if (o.finding) log(`FINDING ${o.finding.kind}: ${o.finding.request}\n    -> ${o.finding.status}: ${o.finding.detail}`);
        if (o.finding?.kind === 'process-exit') throw new Error('the process exited; the campaign stops');
      }
      if ((chunk + 1) % 10 === 0 || sent === total) {
        const s = campaign.summary();
        log(`${sent}/${total}: 5xx ${s.errors5xx}, db changed by a refusal ${s.dbChangesByRefusals}, revoked served ${s.revokedServed}, no answer ${s.noAnswer} (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    }
    await target.stop();
    const secrets = [...campaign.ids.secrets, ...mailSecrets(await target.outbox()), target.secretKey];
    const leaks = findLeaks(await target.log(), secrets);
    return { database, summary: campaign.summary(), leaks, exit: target.exitReport, seconds: Math.round((Date.now() - started) / 1000) };
  } finally {
    await campaign?.close();
    await target.close();
  }
}

const results: Result[] = [];
for (const db of values.db!.split(',').map((s) => s.trim())) {
  if (db !== 'sqlite' && db !== 'postgres') throw new Error(`--db: sqlite or postgres, got ${db}`);
  results.push(await campaignOn(db));
}

let failed = false;
for (const r of results) {
  console.log('\n' + summaryTable(r.summary, r.database, r.seconds));
  console.log(`secrets in the log: ${r.leaks.length}; process exited on its own: ${r.exit ?? 'no'}; seed ${seed}`);
  for (const f of r.summary.findings) console.log(`  ${f.kind}: ${f.request}\n    -> ${f.status}: ${f.detail}`);
  for (const l of r.leaks.slice(0, 20)) console.log(`  leak of ${l.secret}: ${l.line}`);
  const s = r.summary;
  if (s.errors5xx || s.dbChangesByRefusals || s.revokedServed || s.noAnswer || r.leaks.length || r.exit) failed = true;
}
process.exitCode = failed ? 1 : 0;
