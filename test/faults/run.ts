// `npm run faults`: the long fault campaign (issue 13), on SQLite and on PostgreSQL by default,
// 20 SIGKILLs each, plus PostgreSQL connection terminations and a private Redis stopped and
// frozen. Prints the table and exits 1 unless nothing was lost or half-written, no answer was a
// 5xx other than 503, none hung, no innocent login ended and no instance exited on its own.
//
//   npm run faults -- --db postgres --kills 5 --clients 4
//   FAULTS_POSTGRES_URL=postgres://user@host:5432/db npm run faults
import { parseArgs } from 'node:util';
import { type CampaignResult, passed, problems, runCampaign, table } from './harness.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite,postgres' },
    kills: { type: 'string', default: '20' },
    clients: { type: 'string', default: '8' },
    instances: { type: 'string', default: '2' },
    'pg-terminations': { type: 'string', default: '5' },
    'redis-stops': { type: 'string', default: '2' },
    'redis-freezes': { type: 'string', default: '2' },
  },
});

const postgresUrl = process.env.FAULTS_POSTGRES_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const results: CampaignResult[] = [];
for (const database of values.db!.split(',').map((s) => s.trim()) as ('sqlite' | 'postgres')[]) {
  if (database !== 'sqlite' && database !== 'postgres') throw new Error(`--db: sqlite or postgres, got ${database}`);
  const started = Date.now();
  const r = await runCampaign({
    database,
    postgresUrl,
    instances: Number(values.instances),
    clients: Number(values.clients),
    kills: Number(values.kills),
    pgTerminations: Number(values['pg-terminations']),
    redisStops: Number(values['redis-stops']),
    redisFreezes: Number(values['redis-freezes']),
    log: (line) => console.log(`[${database}] ${line}`),
  });
  console.log(`[${database}] done in ${Math.round((Date.now() - started) / 1000)} s; answers by status: ${JSON.stringify(r.statuses)}`);
  results.push(r);
}
console.log('\n' + table(results) + '\n');
for (const r of results) for (const p of problems(r)) console.log(`[${r.database}] ${p}`);
process.exitCode = results.every(passed) ? 0 : 1;
