// The scripts of examples/ run against a real Gatehouse, each as a reader would run it
// (`node --import tsx examples/<api>.ts <url>`), and each exits 0. A script exits 1 when the
// service answers anything it does not expect; that is tested too, so a pass means something.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';

const STAFF = { email: 'root@example.com', username: 'root', password: 'Quartz-Lamp-91' };
const SCRIPTS = ['v1', 'api-user', 'account', 'users', 'user-account', 'admin'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runExample(name: string, url: string): Promise<Run> {
  const env = { ...process.env, GATEHOUSE_ADMIN_EMAIL: STAFF.email, GATEHOUSE_ADMIN_PASSWORD: STAFF.password };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join('examples', `${name}.ts`), url], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
  const r = await t.ctx.accounts.create({ ...STAFF, isStaff: true, isSuperuser: true, isActive: true });
  if (!r.ok) throw new Error('superuser');
});
afterAll(async () => {
  await t?.close();
});

describe('examples/', () => {
  it('holds one script per API, each named in docs/api/README.md', () => {
    expect(fs.readdirSync('examples').filter((n) => n.endsWith('.ts')).sort()).toEqual(SCRIPTS.map((s) => `${s}.ts`).sort());
    const readme = fs.readFileSync('docs/api/README.md', 'utf8');
    for (const s of SCRIPTS) expect(readme).toContain(`examples/${s}.ts`);
  });

  it.each(SCRIPTS)('%s.ts runs through against a running Gatehouse', async (name) => {
    const run = await runExample(name, t.url);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  }, 60_000);

  it('a script that meets an unexpected answer exits 1 and says what', async () => {
    const accountOnly = await startApp({ SURFACES: 'account' });
    try {
      const run = await runExample('v1', accountOnly.url);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('v1 example failed: register: expected 201, got 404');
    } finally {
      await accountOnly.close();
    }
  }, 60_000);
});
