// The fault campaign (issue 13): clients registering, logging in and refreshing against one or
// two real `serve` processes while the campaign SIGKILLs and restarts them, terminates their
// PostgreSQL connections, and stops and freezes their Redis (a private redis-server, never the
// machine's). Afterwards every acknowledged write is checked against the database.
//
// Run by `npm run faults` (test/faults/run.ts, the long form) and, in a short form, by CI as
// test/faults/faults.test.ts.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { FaultClient, HANG_MS, type Tally, newTally } from './clients.js';
import { type ExitReport, Instance, ensureBuilt, sleep } from './instances.js';
import { PrivateRedis, freePort } from './private-redis.js';
import { verify } from './verify.js';

export interface CampaignOptions {
  database: 'sqlite' | 'postgres';
  /** A PostgreSQL server to create the campaign's own database on. */
  postgresUrl?: string;
  instances: number;
  clients: number;
  kills: number;
  pgTerminations: number;
  redisStops: number;
  redisFreezes: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface CampaignResult {
  database: string;
  faults: { kills: number; pgTerminations: number; redisStops: number; redisFreezes: number };
  acked: number;
  lost: string[];
  halfWritten: string[];
  /** 5xx answers other than 503 (an outage is 503; anything else is a bug). */
  errors5xx: number;
  answered503: number;
  slowest503Ms: number;
  hangs: number;
  innocentEnded: string[];
  unexpectedExits: ExitReport[];
  oddAnswers: string[];
  statuses: Record<string, number>;
}

type Fault = 'kill' | 'pg' | 'redis-stop' | 'redis-freeze';

async function freshPostgres(base: string, appName: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `gh_faults_${randomBytes(6).toString('hex')}`;
  const run = async (text: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };
  await run(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  // The campaign finds the instances' connections by this name.
  u.searchParams.set('application_name', appName);
  return { url: u.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

async function terminateConnections(base: string, appName: string): Promise<number> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    const r = await c.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [appName]);
    return r.rowCount ?? 0;
  } finally {
    await c.end();
  }
}

/** The faults in a random order, kills spread among the others. */
function schedule(o: CampaignOptions): Fault[] {
  const faults: Fault[] = [
    ...Array<Fault>(o.kills).fill('kill'),
    ...Array<Fault>(o.database === 'postgres' ? o.pgTerminations : 0).fill('pg'),
    ...Array<Fault>(o.redisStops).fill('redis-stop'),
    ...Array<Fault>(o.redisFreezes).fill('redis-freeze'),
  ];
  for (let i = faults.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [faults[i], faults[j]] = [faults[j], faults[i]];
  }
  return faults;
}

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const log = o.log ?? (() => {});
  ensureBuilt();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-faults-'));
  const appName = `gh-faults-${randomBytes(4).toString('hex')}`;
  const redisPrefix = `ghfaults:${randomBytes(4).toString('hex')}:`;
  const redis = await PrivateRedis.start();
  let pgDb: { url: string; drop: () => Promise<void> } | null = null;
  const instances: Instance[] = [];
  const unexpectedExits: ExitReport[] = [];
  try {
    if (o.database === 'postgres') pgDb = await freshPostgres(o.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/test', appName);
    const databaseUrl = pgDb?.url ?? `sqlite:${path.join(work, 'gatehouse.sqlite3')}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? work,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      DATA_DIR: work,
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      REDIS_PREFIX: redisPrefix,
      SECRET_KEY: 'fault-campaign-' + randomBytes(24).toString('hex'),
      THROTTLE_ANON_RATE: 'off',
      THROTTLE_USER_RATE: 'off',
      SURFACES: 'v1',
      LOG_LEVEL: 'warn',
      // A short grace, so a lost rotation answered after a restart is judged by the rule
      // (§2.3), not forgiven by the grace period.
      V1_REFRESH_GRACE_SECONDS: '1',
    };
    for (let i = 0; i < o.instances; i++) {
      instances.push(new Instance(i, await freePort(), env, path.join(work, `instance-${i}.log`), (r) => unexpectedExits.push(r)));
    }
    // The first start migrates; the others then find the schema in place.
    for (const instance of instances) await instance.start();
    log(`${o.database}: ${o.instances} instance(s) up, ${o.clients} clients`);

    const tally = newTally();
    const pick = () => {
      const up = instances.filter((i) => i.running);
      return up.length ? up[Math.floor(Math.random() * up.length)] : null;
    };
    let stopped = false;
    const clients = Array.from({ length: o.clients }, (_, i) => new FaultClient(i, pick, tally));
    const running = clients.map((c) => c.run(() => stopped));

    const done = { kills: 0, pgTerminations: 0, redisStops: 0, redisFreezes: 0 };
    await sleep(1500); // clients register and log in first
    for (const fault of schedule(o)) {
      await sleep(800 + Math.random() * 1200);
      switch (fault) {
        case 'kill': {
          const up = instances.filter((i) => i.running);
          const victim = up[Math.floor(Math.random() * up.length)];
          if (!victim) break;
          await victim.kill();
          done.kills++;
          log(`kill ${done.kills}/${o.kills}: instance ${victim.index}`);
          await sleep(200 + Math.random() * 600);
          await victim.start();
          break;
        }
        case 'pg': {
          const n = await terminateConnections(o.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/test', appName);
          done.pgTerminations++;
          log(`pg_terminate_backend: ${n} connection(s)`);
          break;
        }
        case 'redis-stop':
          await redis.stop();
          log('redis stopped');
          await sleep(2500);
          await redis.restart();
          done.redisStops++;
          log('redis restarted');
          break;
        case 'redis-freeze':
          redis.freeze();
          log('redis frozen');
          // Longer than a request may take before it counts as hung: a client that waits for
          // the thaw instead of getting a 503 shows up in the table.
          await sleep(HANG_MS + 1000);
          redis.thaw();
          done.redisFreezes++;
          log('redis thawed');
          break;
      }
    }
    // A calm spell, then the clients stop and each still logged in must refresh once more.
    await sleep(2000);
    stopped = true;
    await Promise.all(running);
    for (const i of instances) if (!i.running) await i.start();
    await Promise.all(clients.map((c) => c.finalCheck()));
    for (const i of instances) await i.stop();

    const findings = await verify(databaseUrl, redis.url, redisPrefix, tally);
    return summarize(o, done, tally, findings, unexpectedExits);
  } finally {
    for (const i of instances) await i.stop().catch(() => {});
    await redis.close().catch(() => {});
    await pgDb?.drop().catch(() => {});
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function summarize(o: CampaignOptions, faults: CampaignResult['faults'], tally: Tally, findings: Awaited<ReturnType<typeof verify>>, exits: ExitReport[]): CampaignResult {
  const statuses = Object.fromEntries([...tally.statuses.entries()].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v]));
  const errors5xx = [...tally.statuses.entries()].filter(([s]) => s >= 500 && s !== 503).reduce((n, [, c]) => n + c, 0);
  return {
    database: o.database,
    faults,
    acked: findings.acked,
    lost: findings.lost,
    halfWritten: findings.halfWritten,
    errors5xx,
    answered503: tally.statuses.get(503) ?? 0,
    slowest503Ms: tally.slowest503Ms,
    hangs: tally.hangs,
    innocentEnded: tally.innocentEnded,
    unexpectedExits: exits,
    oddAnswers: tally.oddAnswers,
    statuses,
  };
}

/** The table the campaign prints, one row per database. */
export function table(results: CampaignResult[]): string {
  const header = ['database', 'kills', 'pg terminations', 'redis stops', 'redis freezes', 'acked', 'lost', 'half-written', '5xx (not 503)', '503', 'slowest 503', 'hangs', 'innocent logins ended', 'unexpected exits'];
  const rows = results.map((r) => [
    r.database, r.faults.kills, r.faults.pgTerminations, r.faults.redisStops, r.faults.redisFreezes, r.acked, r.lost.length, r.halfWritten.length,
    r.errors5xx, r.answered503, `${(r.slowest503Ms / 1000).toFixed(1)} s`, r.hangs, r.innocentEnded.length, r.unexpectedExits.length,
  ].map(String));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Whether the campaign met the bar: nothing lost or half-written, no 5xx but 503, no hang, no innocent login ended, no exit. */
export function passed(r: CampaignResult): boolean {
  return r.lost.length === 0 && r.halfWritten.length === 0 && r.errors5xx === 0 && r.hangs === 0 && r.innocentEnded.length === 0 && r.unexpectedExits.length === 0;
}

/** What went wrong, for the log. */
export function problems(r: CampaignResult): string[] {
  return [
    ...r.lost.map((x) => `lost: ${x}`),
    ...r.halfWritten.map((x) => `half-written: ${x}`),
    ...r.innocentEnded.map((x) => `innocent login ended: ${x}`),
    ...r.unexpectedExits.map((x) => `instance ${x.instance} exited (${x.code ?? x.signal}): ${x.lastLines.slice(-500)}`),
    ...(r.errors5xx ? [`5xx answers: ${JSON.stringify(r.statuses)}`] : []),
    ...(r.hangs ? [`${r.hangs} requests without an answer within 10 s`] : []),
  ];
}
