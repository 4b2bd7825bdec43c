// Load scenarios against a real `gatehouse serve` process, each reported as a ratio to a
// baseline taken in the same run (DESIGN.md, "The speed we will be held to"):
//   - a knox-authenticated request vs a bare node:http server answering the same JSON;
//   - the same with a v1 Bearer JWT;
//   - a login vs raw argon2id verification at the same parameters, and the p99 of
//     authenticated requests while logins storm;
//   - the p99 of authenticated requests with 1,000,000 users vs 10,000.
// Usage: npm run build && npm run bench   (BENCH_SECONDS=10 by default; BENCH_SCALE=0 skips the 1M run)
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import SQLite from 'better-sqlite3';
import { hash } from '@node-rs/argon2';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SCALE = process.env.BENCH_SCALE !== '0';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

interface Server { url: string; child: ChildProcess; stop(): Promise<void> }

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
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
  return () => new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function startScript(script: string): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, script)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, stop: stopper(child) };
}

async function startGatehouse(dataDir: string): Promise<Server> {
  const port = await freePort();
  const log = fs.openSync(path.join(dataDir, 'server.log'), 'a');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/gatehouse.js'), 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      THROTTLE_ANON_RATE: 'off',
      THROTTLE_USER_RATE: 'off',
      LOCKOUT_FAILURES: '0',
      SURFACES: 'v1',
      NODE_ENV: 'development',
    },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url + '/healthz', child);
  return { url, child, stop: stopper(child) };
}

interface Load { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(opts: autocannon.Options): Promise<Load> {
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

async function json(url: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const r = await fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${await r.text()}`);
  return r.json();
}

const PASSWORD = 'Bench,Pass1';

async function credentials(base: string): Promise<{ knox: string; bearer: string }> {
  await json(`${base}/v1/user/register/`, 'POST', { email: 'bench@example.com', username: 'bench', password: PASSWORD, confirm_password: PASSWORD });
  const knox = (await json(`${base}/v1/user/login-knox/`, 'POST', { email: 'bench@example.com', password: PASSWORD })).token as string;
  const bearer = (await json(`${base}/v1/user/login-jwt/`, 'POST', { email: 'bench@example.com', password: PASSWORD })).access as string;
  return { knox, bearer };
}

/** Seeds `count` users with knox tokens for the first `withTokens`, straight into SQLite. */
async function seedUsers(dbFile: string, count: number, withTokens: number): Promise<string[]> {
  const db = new SQLite(dbFile);
  db.pragma('journal_mode = WAL');
  const passwordHash = await hash(PASSWORD, { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 });
  const now = Date.now() * 1000;
  const insertUser = db.prepare(`insert into users (id, email, email_ci, username, username_ci, password, full_name, email_verified, is_active, is_staff, is_superuser, created, updated, failed_logins)
    values (?, ?, ?, ?, ?, ?, '', 0, 1, 0, 0, ?, ?, 0)`);
  const insertToken = db.prepare('insert into knox_tokens (id, digest, user_number, created, expires, last_used, ip, user_agent) values (?, ?, ?, ?, ?, null, null, null)');
  const tokens: string[] = [];
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const email = `user${i}@example.com`;
      const info = insertUser.run(randomUUID(), email, email, `user${i}`, `user${i}`, passwordHash, now + i, now + i);
      if (i % Math.max(1, Math.floor(count / withTokens)) === 0 && tokens.length < withTokens) {
        const raw = randomBytes(32);
        insertToken.run(randomUUID(), createHash('sha512').update(raw).digest('hex'), info.lastInsertRowid, now, now + 36e9);
        tokens.push(raw.toString('hex'));
      }
    }
  });
  for (let i = 0; i < count; i += 50_000) batch(i, Math.min(count, i + 50_000));
  db.close();
  return tokens;
}

async function scaleRun(users: number): Promise<Load> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `gatehouse-bench-${users}-`));
  let server = await startGatehouse(dir); // creates and migrates the database
  await server.stop();
  const tokens = await seedUsers(path.join(dir, 'gatehouse.sqlite3'), users, 1000);
  server = await startGatehouse(dir);
  try {
    const requests = tokens.map((t) => ({ method: 'GET' as const, path: '/v1/user/mock-login/', headers: { authorization: `Token ${t}` } }));
    let i = 0;
    return await load({
      url: server.url,
      requests: [{ setupRequest: (req: any) => ({ ...req, ...requests[i++ % requests.length] }) }],
    });
  } finally {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('run `npm run build` first');
  const rows: string[][] = [];
  const note = (scenario: string, l: Load, ratio: string) => {
    rows.push([scenario, fmt(l.rps), fmt(l.p50, 1), fmt(l.p99, 1), ratio, String(l.errors + l.non2xx)]);
    console.error(`${scenario}: ${fmt(l.rps)} req/s, p99 ${l.p99} ms, ${ratio}`);
  };

  const baseline = await startScript('bench/baseline-server.ts');
  const base = await load({ url: baseline.url });
  await baseline.stop();
  note('bare node:http, same JSON (baseline)', base, '1.00x');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  const gh = await startGatehouse(dir);
  try {
    const { knox, bearer } = await credentials(gh.url);
    const k = await load({ url: `${gh.url}/v1/user/mock-login/`, headers: { authorization: `Token ${knox}` } });
    note('GET mock-login/ with a knox token (SQLite)', k, `${(k.rps / base.rps).toFixed(2)}x baseline`);
    const b = await load({ url: `${gh.url}/v1/user/mock-login/`, headers: { authorization: `Bearer ${bearer}` } });
    note('GET mock-login/ with a Bearer JWT', b, `${(b.rps / base.rps).toFixed(2)}x baseline`);

    const argon = await startScript('bench/argon2-server.ts');
    const raw = await load({ url: argon.url, method: 'POST', body: '{}' });
    await argon.stop();
    note('raw argon2id verify behind node:http (login baseline)', raw, '1.00x');
    const loginBody = JSON.stringify({ email: 'bench@example.com', password: PASSWORD });
    const [storm, during] = await Promise.all([
      load({ url: `${gh.url}/v1/user/login-knox/`, method: 'POST', body: loginBody, headers: { 'content-type': 'application/json' } }),
      load({ url: `${gh.url}/v1/user/mock-login/`, headers: { authorization: `Bearer ${bearer}` }, connections: 4 }),
    ]);
    note('POST login-knox/ (argon2id m=19 MiB, t=2, p=1)', storm, `${(storm.rps / raw.rps).toFixed(2)}x raw argon2id`);
    note('GET mock-login/ (Bearer) during the login storm', during, `p99 ${fmt(during.p99, 1)} ms`);
  } finally {
    await gh.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  if (SCALE) {
    const small = await scaleRun(10_000);
    note('knox GET with 10,000 users (1,000 tokens rotating)', small, 'p99 reference');
    const big = await scaleRun(1_000_000);
    note('knox GET with 1,000,000 users (1,000 tokens rotating)', big, `p99 ${(big.p99 / Math.max(small.p99, 0.001)).toFixed(2)}x of 10,000`);
  }

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nGatehouse benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${SECONDS} s per scenario, ${CONNECTIONS} connections\n`);
  console.log('| scenario | req/s | p50 ms | p99 ms | ratio | errors |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
