// The admin UI in a real browser (Debian's chromium through playwright-core): a superuser made by
// the real `createsuperuser` command logs in, finds a user, unlocks, revokes, edits a profile,
// deletes a user and reads it all in the audit log; a staff user without superuser rights is
// refused the superuser-only actions. Screenshots at 375 and 1280 px go to
// test-results/screenshots/ for a person to look at.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { type TestBrowser, openBrowser } from '../../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { PASSWORD, makeUser, startAdminApp } from './support.js';

const SHOTS = path.resolve('test-results/screenshots');
const ROOT = { email: 'root.admin@example.com', username: 'rootadmin', password: 'root admin password' };

let t: TestApp;
let context: BrowserContext;
let page: Page;
let testBrowser: TestBrowser | undefined;
let target: User;
let doomed: User;
const consoleErrors: string[] = [];

/** `gatehouse createsuperuser`, the real command, on the test app's database. */
function createSuperuser(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const pass: Record<string, string> = {};
  for (const name of ['NODE_ENV', 'DATA_DIR', 'DATABASE_URL', 'SECRET_KEY']) if (env[name]) pass[name] = env[name];
  const child = spawn(process.execPath, ['bin/gatehouse.js', 'createsuperuser', '--email', ROOT.email, '--username', ROOT.username, '--password', ROOT.password], {
    env: { PATH: process.env.PATH ?? '', ...pass },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

async function shoot(name: string): Promise<void> {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
    // Usable at this width: nothing wider than the window.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} at ${width}px overflows by ${overflow}px`).toBeLessThanOrEqual(0);
    // Tables fit too: no sideways scrolling to reach a column.
    const scrolled = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')].filter((w) => w.scrollWidth > w.clientWidth).length);
    expect(scrolled, `${name} at ${width}px has a table wider than the page`).toBe(0);
  }
}

/** Every visible form control has a label. */
async function expectLabels(): Promise<void> {
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
      .filter((el) => ((el as HTMLInputElement).labels?.length ?? 0) === 0)
      .map((el) => (el as HTMLInputElement).name));
  expect(unlabelled).toEqual([]);
}

async function logIn(identifier: string, password: string, screenshot = false): Promise<void> {
  await page.goto(`${t.url}/admin/`);
  expect(page.url()).toBe(`${t.url}/admin/login/?next=/admin/`);
  if (screenshot) await shoot('login');
  await page.getByLabel('Username or email').fill(identifier);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${t.url}/admin/`);
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  t = await startAdminApp();
  const made = await createSuperuser(t.env);
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
  target = await makeUser(t.ctx, { username: 'tina_target', email: 'tina@example.com', fullName: 'Tina <Target>' });
  await t.ctx.profiles.create('artist', target.number, { bio: 'Draws birds', instagram: 'https://instagram.com/tina' });
  doomed = await makeUser(t.ctx, { username: 'doomed_dan', email: 'dan@example.com' });
  await makeUser(t.ctx, { username: 'staff_sam', staff: true });
  for (let i = 0; i < 12; i++) await makeUser(t.ctx, { fullName: `Filler Person ${i}`, verified: i % 3 === 0 });
  testBrowser = await openBrowser({ width: 1280, height: 900 });
  context = testBrowser.context;
  page = context.pages()[0] ?? (await context.newPage());
  // CSP violations and script errors show up here; the UI has no script, so there must be none.
  // (A 403 or 404 page is logged as a failed load; that is the answer under test, not an error.)
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
}, 60_000);

afterAll(async () => {
  await testBrowser?.close();
  await t?.close();
});

describe('a superuser made by createsuperuser', () => {
  it('logs in and sees the dashboard', async () => {
    const root = await t.ctx.accounts.byUsername(ROOT.username);
    expect(root).toMatchObject({ is_staff: 1, is_superuser: 1, is_active: 1, email_verified: 0 });
    await logIn(ROOT.email.toUpperCase(), ROOT.password, true);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');
    expect(await page.locator('.who strong').textContent()).toBe(ROOT.username);
    await shoot('dashboard');
  });

  it('finds a user by search', async () => {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('Search email, username or name').fill('TINA');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/admin\/users\/\?q=TINA/);
    const rows = page.locator('table.list tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('Tina <Target>');
    await expectLabels();
    await page.goto(`${t.url}/admin/users/`);
    await shoot('user-list');
    await page.goto(`${t.url}/admin/users/?q=tina`);
    await page.locator('table.list tbody tr').first().getByRole('link', { name: String(target.number) }).click();
    await page.waitForURL(`${t.url}/admin/users/${target.id}/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('tina_target');
  });

  it('sees a lock made by five wrong logins, and unlocks it', async () => {
    for (let i = 0; i < 5; i++) {
      const user = (await t.ctx.accounts.byId(target.id))!;
      await t.ctx.login.attempt({ user, password: 'wrong guess', identifier: 'tina_target', method: 'knox', meta: { surface: 'v1', ip: '203.0.113.9', userAgent: 'attacker' } });
    }
    await page.reload();
    const facts = page.locator('dl.facts');
    expect(await facts.locator('div', { hasText: 'Locked until' }).locator('time').count()).toBe(1);
    expect(await facts.locator('div', { hasText: 'Failed logins' }).locator('dd').textContent()).toBe('5');
    await expectLabels();
    await shoot('user-detail');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await page.waitForURL(`${t.url}/admin/users/${target.id}/`);
    expect(await page.getByRole('status').textContent()).toBe('The user was unlocked.');
    expect(await facts.locator('div', { hasText: 'Locked until' }).locator('time').count()).toBe(0);
    expect((await t.ctx.accounts.byId(target.id))!.locked_until).toBeNull();
  });

  it('revokes the user\u2019s sessions: their knox token stops working', async () => {
    const { token } = await t.ctx.knox.create(target, '198.51.100.1', 'phone');
    expect((await t.ctx.v1Auth.authenticate(`Token ${token}`, { knox: true, bearer: true })).ok).toBe(true);
    await page.reload();
    expect(await page.locator('dl.facts div', { hasText: 'Knox tokens' }).locator('dd').textContent()).toBe('1');
    await page.getByRole('button', { name: 'Revoke sessions' }).click();
    await page.waitForURL(`${t.url}/admin/users/${target.id}/`);
    expect(await page.getByRole('status').textContent()).toBe('Every session and token of the user has ended.');
    expect(await t.ctx.v1Auth.authenticate(`Token ${token}`, { knox: true, bearer: true })).toEqual({ ok: false, error: 'Invalid token.' });
  });

  it('edits a profile', async () => {
    await page.getByRole('link', { name: 'Artist profiles' }).click();
    await page.getByLabel('Search username, bio or instagram').fill('birds');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('table.list tbody tr').first().getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Instagram').fill('not a url');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.locator('#instagram-errors').textContent()).toBe('Enter a valid URL.');
    await page.getByLabel('Bio').fill('Draws birds and boats');
    await page.getByLabel('Instagram').fill('https://instagram.com/tina.draws');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('status').textContent()).toBe('The profile was changed.');
    const [profile] = await t.ctx.profiles.ofUser(target.number);
    expect(profile).toMatchObject({ bio: 'Draws birds and boats', instagram: 'https://instagram.com/tina.draws' });
  });

  it('deletes a user after confirming', async () => {
    await page.goto(`${t.url}/admin/users/${doomed.id}/`);
    await page.getByRole('link', { name: 'Delete' }).click();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Delete user?');
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.waitForURL(`${t.url}/admin/users/`);
    expect(await page.getByRole('status').textContent()).toBe('The user was deleted.');
    expect(await t.ctx.accounts.byId(doomed.id)).toBeUndefined();
  });

  it('reads those actions in the audit log', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await shoot('audit');
    const events = await page.locator('table.list tbody .event').allTextContents();
    for (const e of ['admin.user.delete', 'admin.profile.update', 'admin.user.revoke', 'admin.user.unlock', 'lockout', 'login.success']) expect(events).toContain(e);
    await page.getByLabel('Event').selectOption('admin.user.delete');
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.locator('table.list tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('doomed_dan');
    await expectLabels();
  });

  it('logs out', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${t.url}/admin/login/`);
    expect(await page.getByRole('status').textContent()).toBe('You are logged out.');
  });
});

describe('a staff user without superuser rights', () => {
  it('is refused the superuser-only actions', async () => {
    await logIn('staff_sam', PASSWORD);
    const root = (await t.ctx.accounts.byUsername(ROOT.username))!;
    await page.goto(`${t.url}/admin/users/${root.id}/`);
    expect(await page.locator('.notice-info').textContent()).toBe('Only a superuser can change this account.');
    expect(await page.getByRole('button', { name: 'Unlock' }).count()).toBe(0);
    const answer = await page.goto(`${t.url}/admin/users/${root.id}/password/`);
    expect(answer?.status()).toBe(403);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Permission denied.');
    // A form of a page they may use, pointed at the superuser: the POST is refused too.
    await page.goto(`${t.url}/admin/users/${target.id}/`);
    await page.locator('form[action$="/revoke-sessions/"]').evaluate((f, url) => f.setAttribute('action', url), `/admin/users/${root.id}/revoke-sessions/`);
    await page.getByRole('button', { name: 'Revoke sessions' }).click();
    await page.waitForURL(`${t.url}/admin/users/${root.id}/revoke-sessions/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Permission denied.');
    const revokes = await t.ctx.db.selectFrom('audit_log').select('id').where('event', '=', 'admin.user.revoke').where('user_id', '=', root.id).execute();
    expect(revokes).toEqual([]);
  });

  it('the pages raised no script or CSP error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
