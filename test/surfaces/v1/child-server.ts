// A Gatehouse in its own process, for measurements that an in-process server would distort:
// with client and server on one event loop, work the server queues behind an answer delays the
// client's reading of that answer. Run by `startChildServer()` with tsx; not a test file.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface ChildServer {
  url: string;
  /** Everything the child wrote to stdout so far (its log lines); complete after close(). */
  output(): string;
  close(): Promise<void>;
}

const SELF = fileURLToPath(import.meta.url);

/** A fresh database for the child: a SQLite file, or a new PostgreSQL database. */
async function freshDatabase(dataDir: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { url: `sqlite:${path.join(dataDir, 'db.sqlite3')}`, drop: async () => {} };
  const name = `gh_child_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await run(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

export async function startChildServer(env: Record<string, string>): Promise<ChildServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-child-'));
  const db = await freshDatabase(dataDir);
  const child = spawn(process.execPath, ['--import', 'tsx', SELF], {
    cwd: path.resolve(path.dirname(SELF), '../../..'),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: db.url,
      SECRET_KEY: 'child-secret-key-' + randomBytes(16).toString('hex'),
      THROTTLE_ANON_RATE: 'off',
      THROTTLE_USER_RATE: 'off',
      LOG_LEVEL: 'silent',
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
      ...env,
      GATEHOUSE_CHILD: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /^listening (\d+)$/m.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`child server exited with ${code}`)));
  });
  let closing: Promise<void> | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    close() {
      // Once, however often it is called.
      closing ??= (async () => {
        const exited = new Promise((resolve) => child.once('close', resolve)); // after its output was read
        child.kill('SIGTERM');
        await exited;
        await db.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

// In the child: build the app from the environment and say where it listens.
if (process.env.GATEHOUSE_CHILD === '1') {
  const { buildApp } = await import('../../../src/app.js');
  const { loadConfig } = await import('../../../src/config.js');
  const config = { ...loadConfig(process.env), argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 } };
  const { app } = await buildApp(config, { kvPrefix: `ghchild:${randomBytes(6).toString('hex')}:` });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
  process.once('SIGTERM', () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}
