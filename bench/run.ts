// The benchmark (issue 18): named scenarios against real `gatehouse serve` processes, on SQLite
// always and on PostgreSQL + Redis when BENCH_DATABASE_URL and BENCH_REDIS_URL are given, every
// figure a ratio to a yardstick measured in the same run (a bare node:http server answering the
// same JSON; raw argon2id verification for logins). Writes a JSON report and prints a table;
// `npm run bench:table <json>` puts that table into the README.
//
// Usage: npm run build && npm run bench [-- knox,bearer]
//   BENCH_ONLY=knox,bearer      scenarios to run (default: all; also the first argument)
//   BENCH_SECONDS=10            per measurement
//   BENCH_REPEAT=3              repetitions of the knox/Bearer GETs and the logins, each right
//                               after a fresh yardstick; the median ratio is reported
//   BENCH_CONNECTIONS=16,64     for the knox and Bearer GETs (others use 16)
//   BENCH_DATABASES=sqlite,postgres   which of the configured databases to run on
//   BENCH_DATABASE_URL, BENCH_REDIS_URL   PostgreSQL (a database the bench may create others
//                               from; it creates and drops its own) and Redis (keys under bench:)
//   BENCH_OUT=path.json         default bench/results/<date>.json
//   BENCH_FAIL_ON_ERRORS=1      exit 1 when any request failed (CI's smoke), not only on a crash
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Load } from './lib/load.js';
import { ROOT, type Target, postgresTarget, sqliteTarget } from './lib/servers.js';
import { type BenchContext, type Scenario, authGets, growth, logins, measureBaseline, measureRawArgon2, mfa, oidc, passkey, profiles, refresh, webhooks } from './scenarios.js';
import { type BenchReport, type ScenarioResult, judge } from './targets.js';

const ALL = ['knox', 'bearer', 'login', 'refresh', 'mfa', 'passkey', 'oidc', 'profiles', 'webhooks', 'growth'] as const;

function list(text: string | undefined): string[] | null {
  if (!text) return null;
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  return items.length ? items : null;
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('run `npm run build` first');
  const seconds = Number(process.env.BENCH_SECONDS ?? 10);
  const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
  const connections = (list(process.env.BENCH_CONNECTIONS) ?? ['16', '64']).map(Number);
  const only = list(process.env.BENCH_ONLY) ?? list(process.argv[2]);
  const unknown = (only ?? []).filter((s) => !(ALL as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; known: ${ALL.join(', ')}`);
  let selected: string[] = only ?? [...ALL];
  if (process.env.BENCH_SCALE === '0') selected = selected.filter((s) => s !== 'growth');

  const wanted = list(process.env.BENCH_DATABASES);
  const targets: Target[] = [];
  if (!wanted || wanted.includes('sqlite')) targets.push(sqliteTarget());
  const pgUrl = process.env.BENCH_DATABASE_URL;
  const redisUrl = process.env.BENCH_REDIS_URL;
  if ((!wanted || wanted.includes('postgres')) && pgUrl && redisUrl) targets.push(postgresTarget(pgUrl, redisUrl));
  if (wanted?.includes('postgres') && !(pgUrl && redisUrl)) throw new Error('postgres asked for: set BENCH_DATABASE_URL and BENCH_REDIS_URL');

  const results: ScenarioResult[] = [];
  // The yardsticks are measured again for each database, just before its scenarios: this
  // machine's speed drifts by tens of percent over the minutes a run takes.
  const baselines = new Map<number, Promise<Load>>();
  let raw: Promise<Load> | null = null;
  let current: Target = targets[0];
  const log = (line: string) => console.error(`[bench] ${line}`);
  const ctx: BenchContext = {
    seconds,
    repeat,
    connections,
    log,
    baseline(n) {
      let b = baselines.get(n);
      if (!b) {
        b = measureBaseline(seconds, n).then((l) => {
          log(`baseline @${n}: ${Math.round(l.rps)} req/s, p99 ${l.p99} ms`);
          results.push({ id: `baseline-${n}:${current.kind}`, scenario: 'baseline', database: current.kind, label: 'bare node:http answering the same JSON (yardstick)', connections: n, ...l, ratio: 1 });
          return l;
        });
        baselines.set(n, b);
      }
      return b;
    },
    rawArgon2() {
      raw ??= measureRawArgon2(seconds).then((l) => {
        log(`raw argon2id: ${l.rps.toFixed(1)}/s`);
        results.push({ id: `argon2:${current.kind}`, scenario: 'argon2', database: current.kind, label: 'raw argon2id verification behind node:http (login yardstick)', connections: 16, ...l, ratio: 1 });
        return l;
      });
      return raw;
    },
  };
  const scenarios: Array<[string, Scenario]> = [];
  const gets = { knox: selected.includes('knox'), bearer: selected.includes('bearer') };
  if (gets.knox || gets.bearer) scenarios.push(['knox/bearer', authGets(gets)]);
  const named: Record<string, Scenario> = { login: logins, refresh, mfa, passkey, oidc, profiles, webhooks, growth };
  for (const name of selected) if (named[name]) scenarios.push([name, named[name]]);

  let crashed = 0;
  for (const target of targets) {
    current = target;
    baselines.clear();
    raw = null;
    for (const n of connections) await ctx.baseline(n);
    if (!connections.includes(16)) await ctx.baseline(16);
    for (const [name, run] of scenarios) {
      log(`${target.label}: ${name}`);
      try {
        results.push(...(await run(ctx, target)));
      } catch (err) {
        crashed++;
        log(`${target.label}: ${name} FAILED: ${(err as Error).stack ?? err}`);
        results.push({ id: `${name}:${target.kind}`, scenario: name, database: target.kind, label: `${name} (failed: ${(err as Error).message.split('\n')[0]})`, connections: 0, rps: 0, p50: 0, p99: 0, errors: 1, requests: 0 });
      }
    }
  }

  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      ramGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      os: `${os.type()} ${os.release()}`,
    },
    config: { seconds, repeat, connections, databases: targets.map((t) => t.label), only: only ?? null, logLevel: 'info (one access-log line per request)' },
    results: results.map(judge),
  };
  const out = process.env.BENCH_OUT ?? path.join(ROOT, 'bench/results', `${report.date.slice(0, 10)}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  const { renderTable } = await import('./table.js');
  console.log(renderTable(report));
  log(`wrote ${out}`);

  const failedRequests = report.results.reduce((n, r) => n + r.errors, 0);
  if (crashed) {
    console.error(`${crashed} scenario(s) failed`);
    process.exit(1);
  }
  if (process.env.BENCH_FAIL_ON_ERRORS === '1' && failedRequests > 0) {
    console.error(`${failedRequests} request(s) failed`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
