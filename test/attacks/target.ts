// The target of the attack campaign and the JWT suite: a real `node bin/gatehouse.js serve`
// process on its own database (a fresh SQLite file, or a fresh PostgreSQL database) and its own
// Redis key prefix, with its log stream captured to a file so the tests can prove that no
// secret ever reached it. Mail goes to DATA_DIR/outbox/ (SMTP_URL unset).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { ROOT, ensureBuilt } from '../faults/instances.js';
import { freePort } from '../faults/private-redis.js';
import { type ReceivedMail, readOutbox } from '../helpers/smtp.js';

const BIN = path.join(ROOT, 'bin', 'gatehouse.js');

export interface TargetOptions {
  /** A PostgreSQL server to make the target's own database on; SQLite when absent. */
  postgresUrl?: string | null;
  /** A Redis to keep the target's state in, under a prefix of its own; in-process when absent. */
  redisUrl?: string | null;
  /** Settings on top of the campaign's defaults (by their public names). */
  env?: Record<string, string>;
  /** An existing data directory (a restart with other settings); a fresh one otherwise. */
  dataDir?: string;
}

export class Target {
  private child: ChildProcess | null = null;
  private logStream: fs.WriteStream | null = null;
  private exitedEarly: string | null = null;

  private constructor(
    readonly url: string,
    readonly port: number,
    readonly dataDir: string,
    readonly env: Record<string, string>,
    readonly logFile: string,
    private readonly ownsDir: boolean,
    private readonly dropDatabase: (() => Promise<void>) | null,
    private readonly redisPrefix: string | null,
  ) {}

  /** SECRET_KEY as the target has it (the tests derive the surfaces' keys from it). */
  get secretKey(): string {
    return this.env.SECRET_KEY;
  }

  get databaseUrl(): string {
    return this.env.DATABASE_URL;
  }

  static async start(o: TargetOptions = {}): Promise<Target> {
    ensureBuilt();
    const dataDir = o.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gh-attack-'));
    let drop: (() => Promise<void>) | null = null;
    let databaseUrl = `sqlite:${path.join(dataDir, 'gatehouse.sqlite3')}`;
    if (o.postgresUrl) {
      const fresh = await freshPostgres(o.postgresUrl);
      databaseUrl = fresh.url;
      drop = fresh.drop;
    }
    const redisPrefix = o.redisUrl ? `ghattack:${randomBytes(6).toString('hex')}:` : null;
    const port = await freePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dataDir,
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      SECRET_KEY: 'attack-campaign-' + randomBytes(24).toString('hex'),
      // Every request reaches its view: the throttle is tested on its own.
      THROTTLE_ANON_RATE: 'off',
      THROTTLE_USER_RATE: 'off',
      // Everything the process logs is captured and searched for secrets.
      LOG_LEVEL: 'trace',
      ...(o.redisUrl ? { REDIS_URL: o.redisUrl, REDIS_PREFIX: redisPrefix! } : {}),
      ...o.env,
    };
    const t = new Target(`http://127.0.0.1:${port}`, port, dataDir, env, path.join(dataDir, `serve-${port}.log`), o.dataDir === undefined, drop, redisPrefix);
    await t.launch(o.redisUrl ?? null);
    return t;
  }

  private async launch(redisUrl: string | null): Promise<void> {
    this.logStream = fs.createWriteStream(this.logFile, { flags: 'a' });
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: this.dataDir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout!.pipe(this.logStream, { end: false });
    child.stderr!.pipe(this.logStream, { end: false });
    child.once('exit', (code, signal) => {
      if (this.child === child) this.exitedEarly = `exited with ${code ?? signal}`;
    });
    this.redisUrl = redisUrl;
    for (let i = 0; i < 300; i++) {
      if (this.exitedEarly) break;
      if (await healthy(this.url)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    const tail = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').slice(-2000) : '';
    await this.stop();
    throw new Error(`gatehouse serve did not start (${this.exitedEarly ?? 'no answer'}):\n${tail}`);
  }

  private redisUrl: string | null = null;

  /** Whether the process is still running (an exit on its own is a finding). */
  get exitReport(): string | null {
    return this.exitedEarly;
  }

  /** Everything the process wrote to stdout and stderr so far. */
  async log(): Promise<string> {
    await new Promise<void>((resolve) => (this.logStream && this.logStream.writableLength > 0 ? this.logStream.once('drain', resolve) : resolve()));
    return fs.readFileSync(this.logFile, 'utf8');
  }

  /** The mails written to the outbox so far, oldest first. */
  outbox(): Promise<ReceivedMail[]> {
    return readOutbox(path.join(this.dataDir, 'outbox'));
  }

  /** `gatehouse <args>` with the target's settings, as an operator would run it. */
  cli(...args: string[]): void {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: this.dataDir, env: { ...this.env, LOG_LEVEL: 'silent' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`gatehouse ${args[0]} failed: ${r.stderr}`);
  }

  /** `gatehouse createsuperuser` against the target's database. */
  createSuperuser(email: string, username: string, password: string): void {
    this.cli('createsuperuser', '--email', email, '--username', username, '--password', password);
  }

  /** SIGTERM (drain), then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await new Promise<void>((resolve) => (this.logStream ? this.logStream.end(resolve) : resolve()));
    this.logStream = null;
  }

  /** Stops the process and removes what it made: its database, its Redis keys, its directory. */
  async close(): Promise<void> {
    await this.stop();
    await this.dropDatabase?.().catch(() => {});
    if (this.redisUrl && this.redisPrefix) await deleteKeys(this.redisUrl, this.redisPrefix).catch(() => {});
    if (this.ownsDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The same data directory, database and Redis prefix, started again with other settings. */
  async restartWith(env: Record<string, string>): Promise<void> {
    await this.stop();
    Object.assign(this.env, env);
    await this.launch(this.redisUrl);
  }
}

async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(url + '/healthz', { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.status === 200;
  } catch {
    return false;
  }
}

async function freshPostgres(base: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `gh_attack_${randomBytes(6).toString('hex')}`;
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
  return { url: u.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

/** Only the target's own keys: the shared Redis is never flushed. */
async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
