// The real command line, as an operator runs it: `node bin/gatehouse.js …` on the built code, in
// a child process with an environment holding only the settings a test gives it.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SETTINGS } from '../../src/config.js';

export const BIN = path.resolve('bin/gatehouse.js');

export function requireBuild(): void {
  if (!fs.existsSync(path.resolve('dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` (the test command does)');
}

/** process.env without any Gatehouse setting (vitest sets NODE_ENV=test, a shell may set more), plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !(SETTINGS as readonly string[]).includes(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { env: Record<string, string>; cwd?: string }): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: opts.env, cwd: opts.cwd, encoding: 'utf8', input: '', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The database settings for a child process: a fresh PostgreSQL database (and the test Redis)
 * when TEST_DATABASE_URL is set, else nothing (SQLite under DATA_DIR).
 */
export async function databaseEnv(): Promise<{ env: Record<string, string>; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) return { env: {}, drop: async () => {} };
  const name = `gh_cli_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  const env: Record<string, string> = { DATABASE_URL: u.toString() };
  if (process.env.TEST_REDIS_URL) env.REDIS_URL = process.env.TEST_REDIS_URL;
  return {
    env,
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  /** Everything written so far, stdout and stderr. */
  output(): string;
  /** The JSON log lines written so far. */
  logLines(): Record<string, any>[];
  /** Resolves with the first log line `pred` accepts. */
  waitForLine(pred: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export function startServe(opts: { env: Record<string, string>; cwd?: string }): ServeProcess {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Complete lines only: the last piece may still be arriving.
  const logLines = () =>
    out
      .split('\n')
      .slice(0, -1)
      .flatMap((l) => {
        try {
          return l.startsWith('{') ? [JSON.parse(l) as Record<string, any>] : [];
        } catch {
          return [];
        }
      });
  return {
    child,
    output: () => out,
    logLines,
    waitForLine(pred, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logLines().find(pred);
          if (found) {
            done();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no such log line within ${timeoutMs} ms; output:\n${out}`));
        }, timeoutMs);
        const onExit = () => {
          done();
          reject(new Error(`serve exited; output:\n${out}`));
        };
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.on('exit', onExit);
        check();
        if (child.exitCode !== null || child.signalCode !== null) onExit();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
