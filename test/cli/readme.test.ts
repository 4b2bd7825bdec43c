// What the README tells a new user is true: the command table names every command, the
// import-users example CSV imports as described, and the admin JSON API takes v1 credentials of
// an active staff user and nothing else.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pbkdf2Sync } from 'node:crypto';
import { importUsers } from '../../src/core/import/import-users.js';
import type { User } from '../../src/core/accounts.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import { cleanEnv, requireBuild, runCli } from '../helpers/cli.js';

const README = fs.readFileSync('README.md', 'utf8');
let t: TestApp;

beforeAll(async () => {
  t = await startApp();
});

afterAll(async () => {
  await t?.close();
});

function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(/^#{2,3} /m);
  return end === -1 ? rest : rest.slice(0, end);
}

describe('README: command line', () => {
  it('the table names every command that gatehouse --help lists', () => {
    requireBuild();
    const help = runCli(['--help'], { env: cleanEnv() }).stdout;
    const commands = [...help.matchAll(/^ {2}([a-z][a-z-]*)\b/gm)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThanOrEqual(5);
    const table = section('## Command line');
    for (const c of commands) expect(table).toMatch(new RegExp(`^\\| \`${c}\\b`, 'm'));
  });
});

describe('README: import-users fields', () => {
  it('the example CSV imports as described', async () => {
    const fields = section('### import-users fields');
    const csv = /```csv\n([\s\S]*?)```/.exec(fields)![1];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-readme-csv-'));
    try {
      const file = path.join(dir, 'users.csv');
      fs.writeFileSync(file, csv);
      const summary = await importUsers({ file, db: t.ctx.db, dialect: t.ctx.dialect, outbox: t.ctx.events.outbox, passwords: t.ctx.passwords });
      expect(summary).toMatchObject({ format: 'csv', records: 2, imported: 2, rejected: 0, skipped: 0, withoutPassword: 1 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const ann = (await t.ctx.accounts.byEmail('ann@example.com'))!;
    expect(ann).toMatchObject({ username: 'ann', full_name: 'Ann Lee', is_active: 1, is_staff: 0, is_superuser: 0, email_verified: 0 });
    expect(ann.created).toBe(Date.UTC(2024, 6, 16, 20, 11, 35) * 1000);
    expect(ann.last_login).toBe(Date.UTC(2025, 0, 2, 8) * 1000);
    const bob = (await t.ctx.accounts.byEmail('bob@example.com'))!;
    expect(bob).toMatchObject({ username: null, full_name: 'Bob', is_active: 1, is_staff: 0, last_login: null });
    expect(bob.created).toBe(Date.UTC(2023, 2, 1) * 1000);
    expect(t.ctx.passwords.isUsable(bob.password)).toBe(false);
    // "Ann keeps her Django password (First,123)".
    const login = await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email: 'ann@example.com', password: 'First,123' } });
    expect(login.status).toBe(200);
  });

  it('each field of the table is one the importer reads: given alone beside an email, it changes the account', async () => {
    const fields = section('### import-users fields');
    const documented = [...fields.matchAll(/^\| (.*?) \|/gm)].flatMap((m) => [...m[1].matchAll(/`([a-z_]+)`/g)].map((x) => x[1]));
    expect(documented).toContain('email');
    const salt = 'readmesalt';
    const column: Record<string, [keyof User, string]> = {
      username: ['username', 'someone'],
      password: ['password', `pbkdf2_sha256$1000$${salt}$${pbkdf2Sync('x', salt, 1000, 32, 'sha256').toString('base64')}`],
      full_name: ['full_name', 'Full Name'],
      first_name: ['full_name', 'First'],
      last_name: ['full_name', 'Last'],
      is_active: ['is_active', 'no'],
      is_staff: ['is_staff', 'yes'],
      is_superuser: ['is_superuser', 't'],
      email_verified: ['email_verified', '1'],
      date_joined: ['created', '2020-01-01'],
      created: ['created', '2020-01-01T00:00:00+02:00'],
      last_login: ['last_login', '2020-01-01 10:00'],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-readme-fields-'));
    try {
      const load = async (name: string, header: string, row: string): Promise<User> => {
        const file = path.join(dir, `${name}.csv`);
        fs.writeFileSync(file, `${header}\n${row}\n`);
        const summary = await importUsers({ file, db: t.ctx.db, dialect: t.ctx.dialect, outbox: t.ctx.events.outbox, passwords: t.ctx.passwords });
        expect(summary.imported, `${name} imported`).toBe(1);
        return (await t.ctx.accounts.byEmail(`${name}@fields.example`))!;
      };
      const baseline = await load('baseline', 'email', 'baseline@fields.example');
      for (const field of documented.filter((f) => f !== 'email')) {
        expect(column, `a value to try for ${field}`).toHaveProperty(field);
        const [col, value] = column[field];
        const name = field.replace(/_/g, '-');
        const user = await load(name, `email,${field.toUpperCase()}`, `${name}@fields.example,${value}`);
        expect(user[col], `${field} sets ${col}`).not.toEqual(baseline[col]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('README: the admin JSON API takes a v1 credential of an active staff user', () => {
  const password = 'Staff,Pass1';

  async function makeUser(name: string, staff: boolean) {
    const r = await t.ctx.accounts.create({ email: `${name}@example.com`, username: name, password, isStaff: staff, isActive: true });
    expect(r.ok).toBe(true);
  }

  beforeAll(async () => {
    await makeUser('staffer', true);
    await makeUser('plain', false);
  });

  it('Token <knox token> from login-knox/', async () => {
    const login = await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email: 'staffer@example.com', password } });
    expect(login.status).toBe(200);
    const r = await request(t.url, 'GET', '/admin/api/stats/', { headers: { authorization: `Token ${login.json.token}` } });
    expect(r.status).toBe(200);
    expect(typeof r.json.users).toBe('number');
  });

  it('Bearer <access JWT> from login-jwt/; its session cookie alone is not enough', async () => {
    const login = await request(t.url, 'POST', '/v1/user/login-jwt/', { json: { email: 'staffer@example.com', password } });
    expect(login.status).toBe(200);
    const ok = await request(t.url, 'GET', '/admin/api/stats/', { headers: { authorization: `Bearer ${login.json.access}` } });
    expect(ok.status).toBe(200);
    const cookieOnly = await request(t.url, 'GET', '/admin/api/stats/', { cookies: { sessionid: login.cookie('sessionid')! } });
    expect(cookieOnly.status).toBe(401);
    expect(cookieOnly.json).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('a user who is not staff gets 403', async () => {
    const login = await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email: 'plain@example.com', password } });
    const r = await request(t.url, 'GET', '/admin/api/stats/', { headers: { authorization: `Token ${login.json.token}` } });
    expect(r.status).toBe(403);
  });
});
