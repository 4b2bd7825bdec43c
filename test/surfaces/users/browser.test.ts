// A real browser using the `users` API from a page of the same origin, as a front end would:
// fetch the CSRF cookie, register, log in, upload an avatar, show it, and log out.
//
// The page is served by a small reverse proxy in front of the app, so the browser sees one
// origin for the page and the API (the app has no page to serve, and a data: URL would be a
// different origin). The proxy passes the Host header through, so the app's own-origin check
// sees the origin the browser sends.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext } from 'playwright-core';
import { type TestBrowser, openBrowser } from '../../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import * as img from '../../helpers/images.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>users</title><img id="avatar" alt="">`;

let t: TestApp;
let proxy: http.Server;
let origin: string;
let context: BrowserContext;
let testBrowser: TestBrowser | undefined;
/** What went through the proxy: lets a test see answers the browser hides from a page. */
const seen: Array<{ method: string; url: string; origin: string | undefined; withSession: boolean; status: number }> = [];

/** Serves the page at /page.html and forwards everything else to the app, untouched. */
function startProxy(target: URL): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      return;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      const withSession = /(^|; )sessionid=/.test(req.headers.cookie ?? '');
      seen.push({ method: req.method!, url: req.url!, origin: req.headers.origin, withSession, status: answer.statusCode! });
      res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  t = await startApp();
  proxy = await startProxy(new URL(t.url));
  origin = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  testBrowser = await openBrowser();
  context = testBrowser.context;
}, 60_000);

afterAll(async () => {
  await testBrowser?.close();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  await t?.close();
});

// Runs in the page: the API calls a front end makes, each answer reported back.
async function frontEnd(pngBase64: string): Promise<Record<string, { status: number; body: unknown }>> {
  const csrf = () => document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))?.slice('csrftoken='.length) ?? '';
  const call = async (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (init.method === 'POST') headers.set('X-CSRFToken', csrf());
    const r = await fetch(path, { ...init, headers, credentials: 'same-origin' });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const out: Record<string, { status: number; body: unknown }> = {};
  out.token = await call('/get-csrf-token/');
  out.cookieVisible = { status: 0, body: { csrf: csrf().length, session: document.cookie.includes('sessionid') } };
  out.register = await call('/users/register/', json({ username: 'browser_user', password1: 'Correct-Horse-9', password2: 'Correct-Horse-9' }));
  out.login = await call('/users/login/', json({ username: 'browser_user', password: 'Correct-Horse-9' }));
  out.sessionHidden = { status: 0, body: { session: document.cookie.includes('sessionid') } };
  const bytes = Uint8Array.from(atob(pngBase64), (ch) => ch.charCodeAt(0));
  const form = new FormData();
  form.append('avatar', new Blob([bytes], { type: 'image/png' }), 'browser face.png');
  out.avatar = await call('/users/avatar/', { method: 'POST', body: form });
  const image = document.getElementById('avatar') as HTMLImageElement;
  await new Promise((resolve, reject) => {
    image.onload = resolve;
    image.onerror = reject;
    image.src = (out.avatar.body as { avatar_url: string }).avatar_url;
  });
  out.shown = { status: 0, body: { width: image.naturalWidth, height: image.naturalHeight } };
  out.logout = await call('/users/logout/', { method: 'POST' });
  out.afterLogout = await call('/users/logout/', { method: 'POST' });
  return out;
}

describe('in a browser, from a page of the same origin', () => {
  it('registers, logs in, uploads and shows an avatar, and logs out', async () => {
    const png = await img.png(24, 16);
    const page = await context.newPage();
    await page.goto(`${origin}/page.html`);
    const out = await page.evaluate(frontEnd, png.toString('base64'));
    const user = (await t.ctx.accounts.byUsername('browser_user'))!;
    expect(out.token).toEqual({ status: 200, body: { message: 'CSRF cookie set.' } });
    expect(out.cookieVisible.body).toEqual({ csrf: 32, session: false });
    expect(out.register).toEqual({ status: 201, body: { id: user.number, username: 'browser_user', message: 'User created.' } });
    expect(out.login).toEqual({ status: 200, body: { id: user.number, username: 'browser_user', message: 'Login successful.' } });
    // The session cookie is HttpOnly: the page cannot read it, the browser still sends it.
    expect(out.sessionHidden.body).toEqual({ session: false });
    expect(out.avatar).toEqual({
      status: 200,
      body: { id: user.number, username: 'browser_user', message: 'Avatar updated.', avatar_url: `/media/avatars/${user.number}/browser_face.png` },
    });
    expect(out.shown.body).toEqual({ width: 24, height: 16 });
    expect(out.logout).toEqual({ status: 200, body: { id: user.number, username: 'browser_user', message: 'Logout successful.' } });
    expect(out.afterLogout).toEqual({ status: 401, body: { errors: 'User is not authenticated.' } });
    const cookies = await context.cookies(origin);
    expect(cookies.map((c) => c.name).sort()).toEqual(['csrftoken']);
  });

  it('keeps the login when a page of another origin posts a logout with the browser\u2019s cookies', async () => {
    const page = await context.newPage();
    await page.goto(`${origin}/page.html`);
    const login = await page.evaluate(async () => {
      await fetch('/get-csrf-token/');
      const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
      const r = await fetch('/users/login/', { method: 'POST', headers: { 'X-CSRFToken': csrf }, body: JSON.stringify({ username: 'browser_user', password: 'Correct-Horse-9' }) });
      return r.status;
    });
    expect(login).toBe(200);
    // The app's own address is another origin than the proxy's, on the same site, so the
    // browser sends the SameSite=Lax cookies along; only the CSRF check stands in the way.
    const other = await context.newPage();
    await other.goto(`${t.url}/`);
    await other.evaluate(async (target) => {
      const form = new FormData();
      form.append('csrfmiddlewaretoken', 'guessed-token');
      await fetch(`${target}/users/logout/`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: form });
    }, origin);
    // It reached the app with the session cookie, and was refused there.
    expect(seen.filter((x) => x.origin === t.url)).toEqual([{ method: 'POST', url: '/users/logout/', origin: t.url, withSession: true, status: 403 }]);
    const logout = await page.evaluate(async () => {
      const csrf = document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))!.slice('csrftoken='.length);
      const r = await fetch('/users/logout/', { method: 'POST', headers: { 'X-CSRFToken': csrf } });
      return { status: r.status, body: await r.json() };
    });
    expect(logout).toMatchObject({ status: 200, body: { message: 'Logout successful.' } });
    // Two logouts in the audit: the first test's and this one; the forged one never ran.
    const logouts = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'logout').execute();
    expect(logouts).toHaveLength(2);
  });
});
