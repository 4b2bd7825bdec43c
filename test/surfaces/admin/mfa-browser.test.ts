// The admin UI's two-factor pages in a real browser (Debian's chromium through playwright-core):
// a staff user with TOTP on logs in through the second page, typing codes computed from the
// secret; a wrong one shows "Invalid code."; on a user's page "Turn off two-factor" removes the
// TOTP and a passkey registered with a virtual authenticator; with ADMIN_REQUIRE_MFA a passkey
// counts as a second factor. Screenshots of the second page go to test-results/screenshots/.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import { resolveRelyingParty } from '../../../src/core/passkeys/index.js';
import { type TestApp, startApp } from '../../helpers/app.js';
import { type TestBrowser, openBrowser } from '../../helpers/browser.js';
import { request } from '../../helpers/http.js';
import { type PasskeyPageServer, openPasskeyClient, startPasskeyPage } from '../../helpers/webauthn.js';
import { type Authenticator, enrolOver } from '../v1/mfa-support.js';
import { PASSWORD, makeUser } from './support.js';

const SHOTS = path.resolve('test-results/screenshots');
const MFA_REQUIRED = 'Two-factor authentication is required for staff. Turn it on at /v1/user/mfa/.';

let t: TestApp;
let strict: TestApp;
let browser: TestBrowser | undefined;
let passkeyPage: PasskeyPageServer | undefined;
let page: Page;
const consoleErrors: string[] = [];

async function withTotp(app: TestApp, spec: Parameters<typeof makeUser>[1]): Promise<{ user: User; totp: Authenticator; recoveryCodes: string[] }> {
  const user = await makeUser(app.ctx, spec);
  const login = await request(app.url, 'POST', '/v1/user/login-knox/', { json: { email: user.email, password: PASSWORD } });
  expect(login.status, login.text).toBe(200);
  const { totp, recoveryCodes } = await enrolOver(app.url, { id: user.id, email: user.email!, username: user.username!, password: PASSWORD }, login.json.token);
  return { user, totp, recoveryCodes };
}

/** A passkey registered for `user` with a Chromium virtual authenticator, through the app's passkey core. */
async function registerPasskey(app: TestApp, user: User): Promise<void> {
  const resolved = resolveRelyingParty({ webauthnRpId: null, webauthnOrigins: [], webauthnRpName: 'Gatehouse', publicUrl: null }, passkeyPage!.origin);
  if (!resolved.ok) throw new Error('no relying party');
  const client = await openPasskeyClient(browser!, passkeyPage!.origin);
  try {
    const o = await app.ctx.passkeys.registration.options(user, resolved.rp);
    if (!o.ok) throw new Error(`options refused: ${o.reason}`);
    const credential = await client.create(o.options);
    const r = await app.ctx.passkeys.registration.register({ user, credential, name: 'Laptop', rp: resolved.rp, meta: { surface: 'v1', ip: null, userAgent: null } });
    if (!r.ok) throw new Error(`registration refused: ${r.reason}`);
  } finally {
    await client.close();
  }
}

async function shoot(name: string): Promise<void> {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name} at ${width}px overflows by ${overflow}px`).toBeLessThanOrEqual(0);
  }
}

async function passwordPage(app: TestApp, identifier: string): Promise<void> {
  await page.goto(`${app.url}/admin/`);
  expect(page.url()).toBe(`${app.url}/admin/login/?next=/admin/`);
  await page.getByLabel('Username or email').fill(identifier);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  [t, strict, passkeyPage] = await Promise.all([startApp({ SURFACES: 'v1,admin' }), startApp({ SURFACES: 'v1,admin', ADMIN_REQUIRE_MFA: 'true' }), startPasskeyPage()]);
  browser = await openBrowser({ width: 1280, height: 900 });
  page = browser.context.pages()[0] ?? (await browser.context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await passkeyPage?.close();
  await t?.close();
  await strict?.close();
});

describe('a staff user with TOTP on', () => {
  let staff: Awaited<ReturnType<typeof withTotp>>;
  beforeAll(async () => {
    staff = await withTotp(t, { staff: true, username: 'otto_otp' });
  });

  it('is asked for a code after the password; a wrong one shows "Invalid code."; the right one opens the dashboard', async () => {
    await passwordPage(t, staff.user.username!);
    await page.waitForURL(`${t.url}/admin/login/mfa/?next=/admin/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Two-factor authentication');
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input:not([type=hidden])')].filter((el) => ((el as HTMLInputElement).labels?.length ?? 0) === 0).length);
    expect(unlabelled).toBe(0);
    await shoot('login-mfa');
    const [wrong] = await staff.totp.wrong();
    await page.getByLabel('Code').fill(wrong);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${t.url}/admin/login/mfa/`);
    expect(await page.locator('#code-errors').textContent()).toBe('Invalid code.');
    await shoot('login-mfa-invalid');
    await page.getByLabel('Code').fill(await staff.totp.next());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${t.url}/admin/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');
    expect(await page.locator('.who strong').textContent()).toBe('otto_otp');
    expect(consoleErrors).toEqual([]);
  });

  it('turns off the two-factor of a user with TOTP and a passkey, from the user\'s page', async () => {
    const target = await withTotp(t, { username: 'petra_passkey' });
    await registerPasskey(t, target.user);
    await page.goto(`${t.url}/admin/users/${target.user.id}/`);
    const facts = page.locator('dl.facts');
    expect(await facts.textContent()).toContain('Passkeys1');
    expect(await facts.textContent()).toContain('Two-factor (TOTP)Yes');
    await page.getByRole('button', { name: 'Turn off two-factor' }).click();
    await page.waitForURL(`${t.url}/admin/users/${target.user.id}/`);
    expect(await page.getByRole('status').textContent()).toContain('Two-factor authentication was turned off');
    expect(await facts.textContent()).toContain('Two-factor (TOTP)No');
    expect(await facts.textContent()).toContain('Passkeys0');
    expect(await page.getByRole('button', { name: 'Turn off two-factor' }).count()).toBe(0);
    expect(await t.ctx.passkeys.management.count(target.user.number)).toBe(0);
    expect(consoleErrors).toEqual([]);
  });
});

describe('ADMIN_REQUIRE_MFA=true', () => {
  it('lets in staff whose second factor is a passkey, and shows the others the policy', async () => {
    const keyed = await makeUser(strict.ctx, { staff: true, username: 'kim_key' });
    await registerPasskey(strict, keyed);
    await page.context().clearCookies();
    await passwordPage(strict, keyed.username!);
    await page.waitForURL(`${strict.url}/admin/`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Dashboard');

    const bare = await makeUser(strict.ctx, { staff: true, username: 'bob_bare' });
    await page.context().clearCookies();
    await passwordPage(strict, bare.username!);
    await page.waitForURL(`${strict.url}/admin/login/`);
    expect(await page.getByRole('alert').textContent()).toContain(MFA_REQUIRED);
    await shoot('login-mfa-required');
    await page.goto(`${strict.url}/admin/`);
    expect(page.url()).toBe(`${strict.url}/admin/login/?next=/admin/`);
  });
});
