// No secret, code or mfa_token in any log line or audit detail (mfa.md §1, §5). A Gatehouse in
// its own process logs at `trace` to stdout, captured whole; every two-factor flow runs against
// it (enrolment, challenges, wrong and right codes, recovery codes, regeneration, turning off,
// the admin's second page and reset), then the captured lines and the audit log are searched
// for every secret the test saw.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../../src/store/db.js';
import { Client, request } from '../../helpers/http.js';
import { V1, knoxLogin, registerUser, tokenHeader } from './helpers.js';
import { Authenticator, challengeOf, secondStep } from './mfa-support.js';

const CHILD = path.resolve(import.meta.dirname, 'child-server.ts');
const ROOT = path.resolve(import.meta.dirname, '../../..');

let child: ChildProcess;
let url: string;
let dataDir: string;
let databaseUrl: string;
let dropDatabase: () => Promise<void> = async () => {};
let output = '';
/** Everything secret the test saw, by what it is. */
const secrets: { what: string; value: string }[] = [];

function keep(what: string, value: string): void {
  secrets.push({ what, value });
}

/** What of `secrets` appears in `text` as a whole word (a six-digit code inside a timestamp does not count). */
function leaked(text: string): string[] {
  const escape = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return secrets.filter((s) => new RegExp(`(?<![0-9A-Za-z])${escape(s.value)}(?![0-9A-Za-z])`).test(text)).map((s) => s.what);
}

async function freshDatabase(): Promise<void> {
  const base = process.env.TEST_DATABASE_URL;
  if (!base) {
    databaseUrl = `sqlite:${path.join(dataDir, 'db.sqlite3')}`;
    return;
  }
  const name = `gh_logs_${randomBytes(6).toString('hex')}`;
  const run = async (sql: string) => {
    const c = new pg.Client({ connectionString: base });
    await c.connect();
    await c.query(sql);
    await c.end();
  };
  await run(`create database ${name}`);
  const u = new URL(base);
  u.pathname = `/${name}`;
  databaseUrl = u.toString();
  dropDatabase = () => run(`drop database if exists ${name} with (force)`);
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-logs-'));
  await freshDatabase();
  child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      SECRET_KEY: 'logs-secret-key-' + randomBytes(16).toString('hex'),
      THROTTLE_ANON_RATE: 'off',
      THROTTLE_USER_RATE: 'off',
      LOG_LEVEL: 'trace',
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
      GATEHOUSE_CHILD: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const port = await new Promise<number>((resolve, reject) => {
    const look = () => {
      const m = /^listening (\d+)$/m.exec(output);
      if (m) resolve(Number(m[1]));
    };
    child.stdout!.on('data', look);
    child.once('exit', (code) => reject(new Error(`child server exited with ${code}: ${output}`)));
  });
  url = `http://127.0.0.1:${port}`;
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await dropDatabase();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('the logs of a server at LOG_LEVEL=trace', () => {
  it('hold no secret, code or token of any two-factor flow, and neither does the audit log', async () => {
    // A user turns TOTP on.
    const user = await registerUser(url, 'logged');
    keep('password', user.password);
    const token = await knoxLogin(url, user);
    keep('knox token', token);
    const start = await request(url, 'POST', V1 + 'mfa/totp/', { json: { password: user.password }, headers: tokenHeader(token) });
    expect(start.status).toBe(200);
    const totp = new Authenticator(start.json.secret);
    keep('TOTP secret', start.json.secret);
    keep('otpauth URL', start.json.otpauth_url);
    const [wrong] = await totp.wrong();
    keep('wrong code', wrong);
    expect((await request(url, 'POST', V1 + 'mfa/totp/confirm/', { json: { code: wrong }, headers: tokenHeader(token) })).status).toBe(400);
    const confirmCode = await totp.next();
    keep('TOTP code', confirmCode);
    const confirmed = await request(url, 'POST', V1 + 'mfa/totp/confirm/', { json: { code: confirmCode }, headers: tokenHeader(token) });
    expect(confirmed.status).toBe(200);
    for (const c of confirmed.json.recovery_codes as string[]) {
      keep('recovery code', c);
      keep('recovery code (typed bare)', c.replace('-', ''));
    }
    const codes: string[] = confirmed.json.recovery_codes;

    // Logins: a wrong code, a TOTP code (JWT), a recovery code (knox).
    const jwtClient = new Client(url);
    const jwtStep = (await jwtClient.post(V1 + 'login-jwt/', { json: { email: user.email, password: user.password } })).json.mfa_token;
    keep('mfa_token', jwtStep);
    expect((await jwtClient.post(V1 + 'login/mfa/', { json: { mfa_token: jwtStep, code: wrong } })).status).toBe(401);
    const loginCode = await totp.next();
    keep('TOTP code', loginCode);
    const jwt = await jwtClient.post(V1 + 'login/mfa/', { json: { mfa_token: jwtStep, code: loginCode } });
    expect(jwt.status).toBe(200);
    keep('access JWT', jwt.json.access);
    keep('refresh JWT', jwt.json.refresh);
    const knoxStep = await challengeOf(url, 'knox', user);
    keep('mfa_token', knoxStep);
    const knox = await secondStep(url, knoxStep, codes[0]);
    expect(knox.status).toBe(200);
    keep('knox token', knox.json.token);
    expect((await secondStep(url, 'Z'.repeat(43), codes[1])).status).toBe(401);

    // New recovery codes, then TOTP off with one of them.
    const fresh = await request(url, 'POST', V1 + 'mfa/recovery-codes/', { json: { password: user.password }, headers: tokenHeader(knox.json.token) });
    expect(fresh.status).toBe(200);
    for (const c of fresh.json.recovery_codes as string[]) keep('recovery code', c);
    const off = await request(url, 'DELETE', V1 + 'mfa/totp/', { json: { password: user.password, code: fresh.json.recovery_codes[5] }, headers: tokenHeader(knox.json.token) });
    expect(off.status).toBe(204);

    // The admin's second page, for a staff member with TOTP on.
    const staff = await registerUser(url, 'loggedstaff');
    keep('password', staff.password);
    const staffToken = await knoxLogin(url, staff);
    const staffStart = await request(url, 'POST', V1 + 'mfa/totp/', { json: { password: staff.password }, headers: tokenHeader(staffToken) });
    keep('TOTP secret', staffStart.json.secret);
    const staffTotp = new Authenticator(staffStart.json.secret);
    const staffConfirm = await staffTotp.next();
    keep('TOTP code', staffConfirm);
    const staffCodes = (await request(url, 'POST', V1 + 'mfa/totp/confirm/', { json: { code: staffConfirm }, headers: tokenHeader(staffToken) })).json.recovery_codes as string[];
    for (const c of staffCodes) keep('recovery code', c);
    // Made staff by the core's own store (the admin API would need a second admin).
    const store = openStore(databaseUrl);
    try {
      await store.db.updateTable('users').set({ is_staff: 1, is_superuser: 1 }).where('id', '=', staff.id).execute();
    } finally {
      await store.close();
    }
    const browser = new Client(url);
    await browser.get('/admin/login/');
    const form = (fields: Record<string, string>) => ({
      body: new URLSearchParams({ csrfmiddlewaretoken: browser.jar.csrftoken, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect((await browser.post('/admin/login/', form({ username: staff.email, password: staff.password, next: '' }))).status).toBe(302);
    keep('session key', browser.jar.sessionid);
    const [staffWrong] = await staffTotp.wrong();
    expect((await browser.post('/admin/login/mfa/', form({ code: staffWrong, next: '' }))).status).toBe(200);
    const staffLogin = await staffTotp.next();
    keep('TOTP code', staffLogin);
    expect((await browser.post('/admin/login/mfa/', form({ code: staffLogin, next: '' }))).status).toBe(302);
    keep('session key', browser.jar.sessionid);
    keep('CSRF token', browser.jar.csrftoken);
    const reset = await browser.post(`/admin/users/${staff.id}/mfa/reset/`, form({}));
    expect(reset.status).toBe(302);

    // Let the last lines leave the process.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const lines = output.split('\n').filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(20);
    expect(output).toMatch(/"level":10|"level":20|"level":30/);
    expect(leaked(output)).toEqual([]);

    // The audit log: every entry of both users, details included.
    const audit = openStore(databaseUrl);
    try {
      const rows = await audit.db.selectFrom('audit_log').selectAll().execute();
      expect(rows.some((r) => r.event === 'mfa.enable')).toBe(true);
      expect(rows.some((r) => r.event === 'admin.user.mfa_reset')).toBe(true);
      expect(leaked(JSON.stringify(rows))).toEqual([]);
    } finally {
      await audit.close();
    }
  });
});
