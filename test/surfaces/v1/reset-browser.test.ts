// v1.md §5.5 in a real browser: the mailed link opens the reset page, which works under its own
// Content-Security-Policy; the new password then logs in.
import type { BrowserContext } from 'playwright-core';
import { type TestBrowser, openBrowser } from '../../helpers/browser.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findLink, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { V1, type TestApp, expectJson, registerUser, request, startV1 } from './helpers.js';

let smtp: TestSmtpServer;
let t: TestApp;
let browser: BrowserContext;
let testBrowser: TestBrowser | undefined;

beforeAll(async () => {
  smtp = await startSmtpServer();
  // No PUBLIC_URL: links start with the request's own origin, so the browser can open them as mailed.
  t = await startV1({ SMTP_URL: smtp.url });
  testBrowser = await openBrowser();
  browser = testBrowser.context;
});
afterAll(async () => {
  await testBrowser?.close();
  await t?.close();
  await smtp?.close();
});

it('the mailed link opens a page that resets the password; the new password logs in', async () => {
  const user = await registerUser(t.url, 'browser');
  expect((await request(t.url, 'POST', V1 + 'password/reset/', { json: { email: user.email } })).status).toBe(200);
  const mail = await smtp.waitFor((m) => m.to.includes(user.email));
  const link = findLink(mail, `${t.url}/v1/user/password/reset/confirm/?token=`);

  const page = await browser.newPage();
  const violations: string[] = [];
  page.on('console', (msg) => {
    if (/Content Security Policy|Refused to/i.test(msg.text())) violations.push(msg.text());
  });
  await page.goto(link);
  // The token leaves the address bar at once.
  expect(page.url()).toBe(`${t.url}/v1/user/password/reset/confirm/`);

  await page.fill('#password', 'Admin123');
  await page.fill('#confirm_password', 'Admin123');
  await page.click('#submit');
  await expect.poll(() => page.textContent('#message')).toBe('Password error. Password must contain at least 1 symbol.');

  await page.fill('#password', 'Brand,New9');
  await page.fill('#confirm_password', 'Brand,New9');
  await page.click('#submit');
  await expect.poll(() => page.textContent('#message')).toBe('Password reset successful.');
  expect(await page.isHidden('#reset-form')).toBe(true);
  expect(violations).toEqual([]);

  expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } }), 401, 'No active account found with the given credentials.');
  const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: 'Brand,New9' } });
  expect(login.status).toBe(200);
});
