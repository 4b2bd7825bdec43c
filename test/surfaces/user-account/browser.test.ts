// user-account.md §5.6 end to end in a real browser: the reset mail arrives on a real SMTP
// server, Chromium opens its link, the page checks the two fields, submits, and shows the
// answer; the new password then logs in and the same link is refused a second time.
import type { BrowserContext } from 'playwright-core';
import { type TestBrowser, openBrowser } from '../../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { findLink, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { post, register, startUa } from './helpers.js';

let t: TestApp;
let smtp: TestSmtpServer;
let browser: BrowserContext;
let testBrowser: TestBrowser | undefined;

beforeAll(async () => {
  smtp = await startSmtpServer();
  // No PUBLIC_URL: links then start with the request's own origin, the app's real address.
  t = await startUa({ SMTP_URL: smtp.url });
  testBrowser = await openBrowser();
  browser = testBrowser.context;
});

afterAll(async () => {
  await testBrowser?.close();
  await t?.close();
  await smtp?.close();
});

describe('the reset link in a browser (§5.6)', () => {
  it('opens a working form; the new password logs in; the link is refused a second time', async () => {
    const u = await register(t);
    expect((await post(t, '/reset_password_request', { username: u.username })).status).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Reset Your Password');
    const link = findLink(mail, `${t.url}/user_account/reset_password/`);

    const page = await browser.newPage();
    const cspViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    const opened = await page.goto(link);
    expect(opened!.status()).toBe(200);

    // The page itself refuses two different passwords, without a request.
    await page.fill('#new_pwd', 'first choice');
    await page.fill('#confirm_pwd', 'second choice');
    await page.click('#submit');
    await expect.poll(() => page.textContent('#message')).toBe('The two passwords do not match.');

    await page.fill('#confirm_pwd', 'first choice');
    const answer = page.waitForResponse((r) => r.request().method() === 'POST');
    await page.click('#submit');
    expect((await answer).status()).toBe(200);
    await expect.poll(() => page.textContent('#message')).toBe('Your password has been reset.');
    expect(cspViolations).toEqual([]);

    expect((await post(t, '/login', { username: u.username, pwd: u.pwd })).status).toBe(401);
    expect((await post(t, '/login', { username: u.username, pwd: 'first choice' })).status).toBe(200);

    const second = await page.goto(link);
    expect(second!.status()).toBe(400);
    expect(await page.textContent('h1')).toBe('Wrong token');
    await page.close();
  });

  it('a used link submitted from a page opened before shows Wrong token', async () => {
    const u = await register(t);
    await post(t, '/reset_password_request', { username: u.username });
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Reset Your Password');
    const link = findLink(mail, `${t.url}/user_account/reset_password/`);
    const [a, b] = [await browser.newPage(), await browser.newPage()];
    await a.goto(link);
    await b.goto(link);
    for (const p of [a, b]) {
      await p.fill('#new_pwd', 'same new one');
      await p.fill('#confirm_pwd', 'same new one');
    }
    await a.click('#submit');
    await expect.poll(() => a.textContent('#message')).toBe('Your password has been reset.');
    await b.click('#submit');
    await expect.poll(() => b.textContent('#message')).toBe('Wrong token');
    await a.close();
    await b.close();
  });
});
