// `gatehouse serve` starts with one log line giving the URL, /docs, /admin/ and, while there is no
// superuser, the command to make one; ./data/ then holds what the README says it holds.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localUrl, startLine } from '../../src/cli/serve.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { cleanEnv, databaseEnv, requireBuild, runCli, startServe } from '../helpers/cli.js';

const READY = /^Gatehouse is ready at /;
let root: string;
let db: Awaited<ReturnType<typeof databaseEnv>>;

beforeAll(async () => {
  requireBuild();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-start-'));
  db = await databaseEnv();
});

afterAll(async () => {
  fs.rmSync(root, { recursive: true, force: true });
  await db?.drop();
});

function readmeSection(title: string): string {
  const readme = fs.readFileSync('README.md', 'utf8');
  const start = readme.indexOf(`\n${title}\n`);
  expect(start, `README section ${title}`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

// While it runs: SQLite keeps its -wal and -shm files beside the database (gone after a clean stop).
function expectDataDirAsDocumented(dir: string): void {
  const sqlite = db.env.DATABASE_URL ? [] : ['gatehouse.sqlite3', 'gatehouse.sqlite3-shm', 'gatehouse.sqlite3-wal'];
  expect(fs.readdirSync(dir).sort()).toEqual(['media', 'outbox', 'secret_key', ...sqlite].sort());
  expect(fs.statSync(path.join(dir, 'outbox')).mode & 0o777).toBe(0o700);
  expect(fs.statSync(path.join(dir, 'secret_key')).mode & 0o777).toBe(0o600);
  const section = readmeSection('### What `./data/` holds');
  for (const name of ['gatehouse.sqlite3', 'secret_key', 'media/', 'outbox/', 'keys/']) expect(section).toContain(`\`${name}\``);
}

describe('the start line', () => {
  const dataDir = () => path.join(root, 'data');
  const env = (extra: Record<string, string> = {}) =>
    cleanEnv({ DATA_DIR: dataDir(), PORT: '0', NODE_ENV: 'development', LOG_LEVEL: 'info', ...db.env, ...extra });

  it('gives the URL, the docs and the admin, and says to run createsuperuser while there is no superuser; ./data/ holds what the README says', async () => {
    // Started from a directory with a .env: the line names it.
    const cwd = path.join(root, 'project');
    fs.mkdirSync(cwd);
    fs.writeFileSync(path.join(cwd, '.env'), 'MAIL_FROM=Gatehouse <no-reply@localhost>\n');
    const server = startServe({ env: env(), cwd });
    try {
      const line = await server.waitForLine((l) => READY.test(l.msg));
      const listening = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(server.output())![1];
      expect(line).toMatchObject({
        level: 30,
        url: listening,
        docs: `${listening}/docs`,
        admin: `${listening}/admin/`,
        superuser: false,
        envFile: path.join(cwd, '.env'),
        database: db.env.DATABASE_URL ? 'postgres' : 'sqlite',
      });
      expect(line.msg).toBe(
        `Gatehouse is ready at ${listening} (API docs: ${listening}/docs, admin: ${listening}/admin/). ` +
          'No superuser yet: run `npx gatehouse createsuperuser` to log in to the admin',
      );
      expect(server.logLines().filter((l) => READY.test(l.msg))).toHaveLength(1);
      expectDataDirAsDocumented(dataDir());
      // The links lead somewhere.
      expect((await fetch(line.docs)).status).toBe(200);
      const admin = await fetch(line.admin, { redirect: 'manual' });
      expect(admin.status).toBe(302);
      expect(admin.headers.get('location')).toBe('/admin/login/?next=/admin/');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('once a superuser exists, the line has no hint', async () => {
    const made = runCli(['createsuperuser', '--email', 'root@example.com', '--username', 'root', '--password', 'correct horse battery'], {
      env: env(),
      cwd: root,
    });
    expect(made.stderr).toBe('');
    const server = startServe({ env: env(), cwd: root });
    try {
      const line = await server.waitForLine((l) => READY.test(l.msg));
      expect(line.superuser).toBe(true);
      expect(line.envFile).toBeUndefined();
      expect(line.msg).toMatch(/^Gatehouse is ready at http:\/\/127\.0\.0\.1:\d+ \(API docs: \S+\/docs, admin: \S+\/admin\/\)$/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('without the admin surface it names neither the admin nor createsuperuser', async () => {
    const fresh = path.join(root, 'v1-only');
    const server = startServe({ env: { ...env({ SURFACES: 'v1' }), DATA_DIR: fresh }, cwd: root });
    try {
      const line = await server.waitForLine((l) => READY.test(l.msg));
      expect(line.admin).toBeUndefined();
      expect(line.superuser).toBeUndefined();
      expect(line.msg).toMatch(/^Gatehouse is ready at http:\/\/127\.0\.0\.1:\d+ \(API docs: \S+\/docs\)$/);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('a wildcard address is shown as localhost; IPv6 in brackets', () => {
    expect(localUrl('0.0.0.0', 8000)).toBe('http://localhost:8000');
    expect(localUrl('::', 8000)).toBe('http://localhost:8000');
    expect(localUrl('::1', 8000)).toBe('http://[::1]:8000');
    expect(localUrl('gatehouse.internal', 80)).toBe('http://gatehouse.internal:80');
    expect(startLine({ url: 'http://localhost:8000', surfaces: ['v1', 'admin'], hasSuperuser: null, envFile: null }).msg).toBe(
      'Gatehouse is ready at http://localhost:8000 (API docs: http://localhost:8000/docs, admin: http://localhost:8000/admin/)',
    );
  });
});

describe('Accounts.hasActiveSuperuser', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is true only for an account that is active, staff and superuser', async () => {
    const make = async (name: string, flags: { isActive: boolean; isStaff: boolean; isSuperuser: boolean }) => {
      const r = await t.ctx.accounts.create({ email: `${name}@example.com`, username: name, ...flags });
      expect(r.ok).toBe(true);
    };
    expect(await t.ctx.accounts.hasActiveSuperuser()).toBe(false);
    await make('staff', { isActive: true, isStaff: true, isSuperuser: false });
    await make('inactive', { isActive: false, isStaff: true, isSuperuser: true });
    await make('nostaff', { isActive: true, isStaff: false, isSuperuser: true });
    expect(await t.ctx.accounts.hasActiveSuperuser()).toBe(false);
    await make('root', { isActive: true, isStaff: true, isSuperuser: true });
    expect(await t.ctx.accounts.hasActiveSuperuser()).toBe(true);
  });
});
