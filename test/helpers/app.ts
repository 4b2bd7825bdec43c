// A real Gatehouse listening on a random loopback port, on its own database: a fresh SQLite
// file, or a fresh PostgreSQL database (plus a private Redis key prefix) when
// TEST_DATABASE_URL / TEST_REDIS_URL are set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { FastifyInstance } from 'fastify';
import { type BuildOptions, buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { Core } from '../../src/core/core.js';
import type { Audit, AuditEvent } from '../../src/core/audit.js';

/** Every core service, for checks behind the HTTP answers; the audit takes any event name (display tests). */
export type TestCore = Omit<Core, 'audit'> & { audit: Audit & { record(e: Omit<AuditEvent, 'event'> & { event: string }): Promise<void> } };

export interface TestApp {
  url: string;
  /** The Redis key prefix this app uses (a sibling shares it). */
  kvPrefix: string;
  app: FastifyInstance;
  ctx: TestCore;
  dataDir: string;
  /** Settings as the app saw them (env-style names). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);
export const usingRedis = Boolean(process.env.TEST_REDIS_URL);

/** Fast hashing for tests that are not about hashing (the default params are tested on their own). */
const FAST_ARGON2 = { memoryCost: 4096, timeCost: 1, parallelism: 1 };

async function freshPostgres(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.TEST_DATABASE_URL!;
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/**
 * Starts an app. `env` takes settings by their public names (THROTTLE_ANON_RATE, ...), read
 * through the real config loader so tests exercise the same parsing as production.
 */
export async function startApp(env: Record<string, string> = {}, configOverrides: Partial<Config> = {}, seams: TestSeams = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-test-'));
  const pgDb = usingPostgres ? await freshPostgres() : null;
  return launch(dataDir, pgDb, `ghtest:${randomBytes(6).toString('hex')}:`, env, configOverrides, true, seams);
}

/** Seams of the core for tests that need them (the events core's DNS answers and pacing). */
export type TestSeams = Pick<BuildOptions, 'events'>;

/**
 * A second instance of `first`: the same database, data directory, secret and Redis prefix, as
 * two processes behind one load balancer would be. Closing it leaves the first one's data.
 */
export async function startSibling(first: TestApp, env: Record<string, string> = {}, configOverrides: Partial<Config> = {}, seams: TestSeams = {}): Promise<TestApp> {
  const sqliteFile = path.join(first.dataDir, 'gatehouse.sqlite3');
  const shared = {
    ...first.env,
    DATABASE_URL: first.env.DATABASE_URL ?? `sqlite:${sqliteFile}`,
    ...env,
  };
  return launch(first.dataDir, null, first.kvPrefix, shared, configOverrides, false, seams);
}

async function launch(
  dataDir: string,
  pgDb: { url: string; drop: () => Promise<void> } | null,
  kvPrefix: string,
  env: Record<string, string>,
  configOverrides: Partial<Config>,
  ownsData: boolean,
  seams: TestSeams,
): Promise<TestApp> {
  const fullEnv: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SECRET_KEY: 'test-secret-key-' + randomBytes(16).toString('hex'),
    THROTTLE_ANON_RATE: 'off',
    THROTTLE_USER_RATE: 'off',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
    ...(usingRedis ? { REDIS_URL: process.env.TEST_REDIS_URL! } : {}),
    ...env,
  };
  const config = { ...loadConfig(fullEnv), argon2: FAST_ARGON2, ...configOverrides };
  const { app, core } = await buildApp(config, { kvPrefix, processMetrics: false, forceCloseConnections: true, ...seams });
  const ctx = core as TestCore;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    kvPrefix,
    app,
    ctx,
    dataDir,
    env: fullEnv,
    async close() {
      await app.close();
      await pgDb?.drop();
      if (ownsData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
