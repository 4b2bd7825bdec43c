// `gatehouse mail [--last N]` on a real outbox: mails written by a running Gatehouse, read back
// decoded, with the reset link printed whole, and that link then used to reset the password.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatMail, readOutbox } from '../../src/cli/mail.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import { cleanEnv, requireBuild, runCli } from '../helpers/cli.js';

const V1 = '/v1/user/';
let t: TestApp;
let outbox: string;

beforeAll(async () => {
  requireBuild();
  t = await startApp();
  outbox = path.join(t.dataDir, 'outbox');
});

afterAll(async () => {
  await t?.close();
});

const mail = (args: string[], dataDir = t.dataDir, extra: Record<string, string> = {}) =>
  runCli(['mail', ...args], { env: cleanEnv({ DATA_DIR: dataDir, ...extra }), cwd: dataDir });

function emlFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.eml') && !n.startsWith('.')).sort() : [];
}

async function waitForMails(count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const files = emlFiles(outbox);
    if (files.length >= count) return files;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the outbox did not reach ${count} mails`);
}

async function register(email: string, username: string, password: string): Promise<void> {
  const r = await request(t.url, 'POST', V1 + 'register/', { json: { email, username, password, confirm_password: password } });
  expect(r.status).toBe(201);
}

async function requestReset(email: string): Promise<void> {
  const r = await request(t.url, 'POST', V1 + 'password/reset/', { json: { email } });
  expect(r.status).toBe(200);
}

describe('gatehouse mail', () => {
  it('says so when the outbox is empty or missing', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-nomail-'));
    try {
      const r = mail([], empty);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`No mail in ${path.join(empty, 'outbox')}.\n`);
      const smtp = mail([], empty, { SMTP_URL: 'smtp://127.0.0.1:2525' });
      expect(smtp.stdout).toBe(`No mail in ${path.join(empty, 'outbox')}: SMTP_URL is set, so mail goes to the SMTP server instead.\n`);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('prints the newest mail decoded, with a reset link that can be copied whole and used', async () => {
    await register('ann@example.com', 'ann', 'First,123');
    await requestReset('ann@example.com');
    const [file] = await waitForMails(1);

    const r = mail([]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`1 mail in ${outbox}:`);
    expect(lines[2]).toBe(`── ${file}`);
    expect(r.stdout).toMatch(/^Date: {4}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);
    expect(r.stdout).toMatch(/^From: {4}Gatehouse <no-reply@localhost>$/m);
    expect(r.stdout).toMatch(/^To: {6}ann@example\.com$/m);
    expect(r.stdout).toMatch(/^Subject: \S.*$/m);

    // The link is a line of its own, whole; in the file itself it is cut by quoted-printable.
    const prefix = `${t.url}${V1}password/reset/confirm/?token=`;
    const linkLines = lines.filter((l) => l.startsWith(prefix));
    expect(linkLines).toHaveLength(1);
    const link = linkLines[0];
    expect(link).toMatch(/^\S+$/);
    const raw = fs.readFileSync(path.join(outbox, file), 'utf8');
    expect(raw).not.toContain(link);

    const token = new URL(link).searchParams.get('token');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const confirm = await request(t.url, 'POST', V1 + 'password/reset/confirm/', { json: { token, password: 'Second,456', confirm_password: 'Second,456' } });
    expect(confirm.status).toBe(200);
    expect(confirm.json).toBe('Password reset successful.');
    const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: 'ann@example.com', password: 'Second,456' } });
    expect(login.status).toBe(200);
  });

  it('--last N prints the N newest, oldest first; without it only the newest', async () => {
    await register('bob@example.com', 'bob', 'First,123');
    await requestReset('bob@example.com');
    const files = await waitForMails(2);
    expect(files.length).toBeGreaterThanOrEqual(2);

    const newest = mail([]);
    expect(newest.stdout.split('\n')[0]).toBe(`The newest of ${files.length} mails in ${outbox}:`);
    expect(newest.stdout).toMatch(/^To: {6}bob@example\.com$/m);
    expect(newest.stdout).not.toContain('ann@example.com');

    const two = mail(['--last', '2']);
    expect(two.status).toBe(0);
    const headers = two.stdout.split('\n').filter((l) => l.startsWith('── '));
    expect(headers.map((h) => h.slice(3))).toEqual(files.slice(-2));
    expect(two.stdout.indexOf('To:      ann@example.com')).toBeLessThan(two.stdout.indexOf('To:      bob@example.com'));

    const all = mail(['--last=1000']);
    expect(all.stdout.split('\n')[0]).toBe(`All ${files.length} mails in ${outbox}, oldest first:`);
  });

  it('never passes terminal control sequences or bidi overrides through, and skips files that are not finished mails', async () => {
    const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const hostile = await composer.sendMail({
      from: 'Gatehouse <no-reply@localhost>',
      to: { name: 'Eve \x1b[2J', address: 'eve@example.com' },
      subject: 'Hello \x1b]0;owned\x07 there',
      text: 'Name: \x1b[31mred\x1b[0m \u202Egnp.exe\nhttp://127.0.0.1/ok\r\n',
    });
    fs.writeFileSync(path.join(outbox, '9999-12-31T00-00-00.000Z-hostile.eml'), hostile.message as Buffer);
    // A mail still being written (core/mail.ts writes a hidden temp file, then renames it), and a stray file.
    fs.writeFileSync(path.join(outbox, '.9999-12-31T23-59-59.999Z-x.eml.1234.tmp'), 'Subject: half');
    fs.writeFileSync(path.join(outbox, 'notes.txt'), 'not a mail');

    const r = mail([]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('── 9999-12-31T00-00-00.000Z-hostile.eml\n');
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(r.stdout).toContain('Subject: Hello \uFFFD]0;owned\uFFFD there');
    expect(r.stdout).toContain('Name: \uFFFD[31mred\uFFFD[0m \uFFFDgnp.exe\nhttp://127.0.0.1/ok\n');
    expect(r.stdout).not.toContain('half');
  });

  it('a mail with only an HTML part shows the links of that part, whole', async () => {
    const long = `http://127.0.0.1:8000/v1/user/email/verify/${'a'.repeat(120)}/?x=1&y=2`;
    const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const info = await composer.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'html', html: `<p>Go <a href="${long.replace('&', '&amp;')}">here</a></p>` });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-htmlmail-'));
    try {
      fs.writeFileSync(path.join(dir, 'one.eml'), info.message as Buffer);
      const reading = await readOutbox(dir, 5);
      expect(reading.total).toBe(1);
      const text = formatMail(reading.mails[0]);
      expect(text).toContain(`(no plain-text part; the links of its HTML part:)\n${long}\n`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
