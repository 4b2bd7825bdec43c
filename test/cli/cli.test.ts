// The real command line, as an operator runs it: `node bin/gatehouse.js …` on the built code.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db.js';

const BIN = path.resolve('bin/gatehouse.js');
let dataDir: string;
let env: Record<string, string>;
let pgName: string | null = null;

beforeAll(async () => {
  if (!fs.existsSync('dist/main.js')) throw new Error('dist/ is missing: run `npm run build` (the test command does)');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-cli-'));
  env = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'development', ARGON2_MEMORY_KIB: '19456' } as Record<string, string>;
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  if (process.env.TEST_DATABASE_URL) {
    pgName = `gh_cli_${randomBytes(5).toString('hex')}`;
    const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await c.connect();
    await c.query(`create database ${pgName}`);
    await c.end();
    const u = new URL(process.env.TEST_DATABASE_URL);
    u.pathname = `/${pgName}`;
    env.DATABASE_URL = u.toString();
    env.REDIS_URL = process.env.TEST_REDIS_URL ?? '';
  }
});

afterAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (pgName) {
    const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await c.connect();
    await c.query(`drop database if exists ${pgName} with (force)`);
    await c.end();
  }
});

function run(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extraEnv }, encoding: 'utf8', input: '', timeout: 60_000 });
}

describe('gatehouse command line', () => {
  it('migrate applies the migrations once', () => {
    const first = run(['migrate']);
    expect(first.status).toBe(0);
    const second = run(['migrate']);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain('up to date');
  });

  it('createsuperuser with flags makes an active staff superuser', async () => {
    const r = run(['createsuperuser', '--email', 'root@example.com', '--username', 'root', '--password', 'correct horse battery']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const store = openStore(env.DATABASE_URL ?? `sqlite:${path.join(dataDir, 'gatehouse.sqlite3')}`);
    const u = await store.db.selectFrom('users').selectAll().where('username', '=', 'root').executeTakeFirstOrThrow();
    const audit = await store.db.selectFrom('audit_log').selectAll().where('event', '=', 'user.createsuperuser').executeTakeFirst();
    await store.close();
    expect(u).toMatchObject({ email: 'root@example.com', is_active: 1, is_staff: 1, is_superuser: 1, email_verified: 0 });
    expect(u.password).toMatch(/^\$argon2id\$/);
    expect(audit).toMatchObject({ surface: 'cli', user_id: u.id });
  });

  it('createsuperuser refuses bad or duplicate values with one line and exit 1', () => {
    const cases: [string[], string][] = [
      [['--email', 'not-an-email', '--username', 'x1', '--password', 'long enough'], 'gatehouse: email: enter a valid email address\n'],
      [['--email', 'a@example.com', '--username', 'x2', '--password', 'short'], 'gatehouse: password: at least 8 characters\n'],
      [['--email', 'ROOT@example.com', '--username', 'x3', '--password', 'long enough'], 'gatehouse: email: a user with that email already exists\n'],
      [['--email', 'b@example.com', '--username', 'ROOT', '--password', 'long enough'], 'gatehouse: username: a user with that username already exists\n'],
      [['--email', 'c@example.com', '--username', 'x4'], 'gatehouse: --password is required when there is no terminal to ask on\n'],
    ];
    for (const [args, line] of cases) {
      const r = run(['createsuperuser', ...args]);
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(line);
    }
  });

  it('a bad setting stops the start with one line naming it', () => {
    const r = run(['serve'], { PORT: 'abc' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('gatehouse: PORT: expected an integer, got "abc"\n');
    const p = run(['serve'], { NODE_ENV: 'production', SECRET_KEY: '' });
    expect(p.status).toBe(1);
    expect(p.stderr).toBe('gatehouse: SECRET_KEY: must be set when NODE_ENV=production\n');
  });

  it('an unknown command is an error', () => {
    const r = run(['frobnicate']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^gatehouse: unknown command "frobnicate"/);
  });

  it('serve answers, keeps its key in DATA_DIR, logs no secrets, and exits cleanly on SIGTERM', async () => {
    const server = await startServe();
    const { child, url } = server;
    const health = await fetch(url + '/healthz');
    expect(health.status).toBe(200);
    const ready = await fetch(url + '/readyz');
    expect(ready.status).toBe(200);
    await fetch(url + '/healthz', { headers: { authorization: 'Token supersecretvalue', cookie: 'sessionid=cookiesecret' } });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'secret_key'))).toBe(true);
    expect(server.out()).not.toContain('supersecretvalue');
    expect(server.out()).not.toContain('cookiesecret');
    expect(server.out()).toContain('draining in-flight requests');
  });

  it('a request that arrives during the drain, on a connection already in use, is served in its surface\u2019s words and the connection closed', async () => {
    const server = await startServe();
    const { child, url } = server;
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.on('data', (d) => (answer += d));
    // The request has begun (so the connection is not idle) when the drain starts.
    socket.write('GET /v1/user/mock-login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((r) => setTimeout(r, 100));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && !server.out().includes('draining in-flight requests'); i++) await new Promise((r) => setTimeout(r, 20));
    socket.write('\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    expect(answer).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(answer).toContain('"Authentication credentials were not provided."');
    expect(await exit).toBe(0);
  });
});

/** `gatehouse serve` on a free port, once it says where it listens; `out()` is everything it printed so far. */
async function startServe(): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no listening line: ' + out)), 20_000);
    child.stdout!.on('data', () => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  return { child, url, out: () => out };
}
