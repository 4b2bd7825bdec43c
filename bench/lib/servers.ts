// The processes a scenario runs against: the two yardsticks (bare node:http, raw argon2id) and
// real `gatehouse serve` processes, each on a database of its own: a fresh SQLite file, or a
// fresh PostgreSQL database (created and dropped by the bench) with its own Redis key prefix.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

export interface Server {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${url}`);
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** A bench/*.ts server that prints `listening <port>`. */
export async function startScript(script: string, env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, port, child, stop: stopper(child) };
}

export type DatabaseKind = 'sqlite' | 'postgres';

/** Where one Gatehouse (or two sharing it) keeps its data. */
export interface Instance {
  kind: DatabaseKind;
  dataDir: string;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  /** Removes the data directory, the database and the Redis keys. */
  dispose(): Promise<void>;
}

export interface Target {
  kind: DatabaseKind;
  /** The label in the results, e.g. `SQLite` or `PostgreSQL + Redis`. */
  label: string;
  fresh(): Promise<Instance>;
}

export function sqliteTarget(): Target {
  return {
    kind: 'sqlite',
    label: 'SQLite',
    async fresh() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
      return {
        kind: 'sqlite',
        dataDir,
        databaseUrl: `sqlite:${path.join(dataDir, 'gatehouse.sqlite3')}`,
        redisUrl: '',
        redisPrefix: '',
        async dispose() {
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  };
}

let sequence = 0;

/** PostgreSQL at `adminUrl` (a database the bench may connect to and create others from) with Redis. */
export function postgresTarget(adminUrl: string, redisUrl: string): Target {
  return {
    kind: 'postgres',
    label: 'PostgreSQL + Redis',
    async fresh() {
      const name = `gatehouse_bench_${process.pid}_${++sequence}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`drop database if exists ${name}`);
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      const u = new URL(adminUrl);
      u.pathname = '/' + name;
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
      const redisPrefix = `bench:${process.pid}:${sequence}:`;
      return {
        kind: 'postgres',
        dataDir,
        databaseUrl: u.href,
        redisUrl,
        redisPrefix,
        async dispose() {
          fs.rmSync(dataDir, { recursive: true, force: true });
          const a = new pg.Client({ connectionString: adminUrl });
          await a.connect();
          try {
            await a.query(`drop database if exists ${name} with (force)`);
          } finally {
            await a.end();
          }
          await dropRedisKeys(redisUrl, redisPrefix);
        },
      };
    },
  };
}

async function dropRedisKeys(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', prefix + '*', 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** The settings every bench Gatehouse runs with: throttling off so every request is served. */
export function baseEnv(inst: Instance, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATA_DIR: inst.dataDir,
    DATABASE_URL: inst.databaseUrl,
    REDIS_URL: inst.redisUrl,
    REDIS_PREFIX: inst.redisPrefix || 'gatehouse:',
    SECRET_KEY: 'bench-secret-key-bench-secret-key-bench-secret-key',
    THROTTLE_ANON_RATE: 'off',
    THROTTLE_USER_RATE: 'off',
    LOCKOUT_FAILURES: '0',
    SURFACES: 'v1',
    NODE_ENV: 'development',
    ...extra,
  };
}

export interface GatehouseOptions {
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  port?: number;
}

/** A real `gatehouse serve` process; its log (one JSON line per request) goes to DATA_DIR/server.log. */
export async function startGatehouse(inst: Instance, o: GatehouseOptions = {}): Promise<Server> {
  const port = o.port ?? (await freePort());
  const log = fs.openSync(path.join(inst.dataDir, 'server.log'), 'a');
  // BENCH_SERVER_ROOT: another checkout's bin/ and dist/ (an A/B comparison of two builds).
  const serverRoot = process.env.BENCH_SERVER_ROOT ?? ROOT;
  // BENCH_PROFILE_DIR: every Gatehouse of the run writes a CPU profile there when it stops.
  const profile = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_PROFILE_DIR)}`] : [];
  const child = spawn(process.execPath, [...profile, ...(o.nodeArgs ?? []), path.join(serverRoot, 'bin/gatehouse.js'), 'serve'], {
    env: { ...cleanEnv(), ...baseEnv(inst, o.env), PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', log, log],
    cwd: inst.dataDir,
  });
  fs.closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(url + '/healthz', child, 'gatehouse serve');
  } catch (err) {
    child.kill('SIGKILL');
    const tail = fs.readFileSync(path.join(inst.dataDir, 'server.log'), 'utf8').slice(-2000);
    throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
  }
  return { url, port, child, stop: stopper(child) };
}

/** The bench's own environment without any Gatehouse setting a developer may have exported. */
function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(DATABASE_URL|REDIS_URL|REDIS_PREFIX|PUBLIC_URL|LOG_LEVEL|OIDC_|WEBAUTHN_|THROTTLE_|LOCKOUT_|SURFACES|ARGON2_|AMQP_)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}
