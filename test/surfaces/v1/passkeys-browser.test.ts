// A passkey end to end in a real browser (issue 15): Debian's Chromium through playwright-core,
// with a CDP virtual authenticator (CTAP2, internal transport, resident keys, user
// verification), loads a small page from Gatehouse's own origin, registers a passkey through
// PublicKeyCredential.parseCreationOptionsFromJSON() and navigator.credentials.create(), then
// signs in usernameless with navigator.credentials.get(); the token it receives works on
// mock-login/. Nothing about the relying party is configured: Gatehouse derives it from the
// origin the browser used (passkeys.md §1, development defaults).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type TestApp, startApp } from '../../helpers/app.js';
import { type TestBrowser, type VirtualAuthenticator, addVirtualAuthenticator, openBrowser } from '../../helpers/browser.js';
import { type OneOrigin, startOneOrigin } from '../../helpers/one-origin.js';
import { V1, expectJson, knoxLogin, registerUser, request, tokenHeader } from './helpers.js';

// What a front end would write: its own fetch calls to Gatehouse, the JSON options straight into
// the WebAuthn API, and credential.toJSON() straight back.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in with a passkey</title></head>
<body>
<script>
async function api(path, { method = 'POST', token, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = 'Token ' + token;
  const r = await fetch('/v1/user/' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}
window.addPasskey = async (token, name) => {
  const options = await api('passkeys/register/options/', { token });
  if (options.status !== 200) return options;
  const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options.body) });
  return api('passkeys/register/', { token, body: { credential: credential.toJSON(), name } });
};
window.signIn = async (kind) => {
  const started = await api('login-passkey/options/');
  if (started.status !== 200) return started;
  const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.body.options) });
  return api('login-passkey/', { body: { challenge_id: started.body.challenge_id, credential: credential.toJSON(), kind } });
};
window.call = (path, method, token) => api(path, { method, token });
</script>
</body></html>
`;

let t: TestApp;
let site: OneOrigin;
let browser: TestBrowser;
let page: Page;
let authenticator: VirtualAuthenticator;

beforeAll(async () => {
  t = await startApp({ SURFACES: 'v1' });
  site = await startOneOrigin(t.url, { '/': PAGE });
  browser = await openBrowser();
  page = await browser.context.newPage();
  authenticator = await addVirtualAuthenticator(page, { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true });
  await page.goto(site.origin + '/');
});
afterAll(async () => {
  await browser?.close();
  await site?.close();
  await t?.close();
});

type Answer = { status: number; body: any };
const inPage = <T extends unknown[]>(fn: string, ...args: T): Promise<Answer> =>
  page.evaluate(([name, a]) => (window as any)[name](...a), [fn, args] as const);

describe('a passkey in Chromium, on a page of Gatehouse’s own origin', () => {
  it('registers, then signs in usernameless; the token works on mock-login/', async () => {
    const user = await registerUser(t.url, 'browser');
    const password = await knoxLogin(t.url, user);

    const added = await inPage('addPasskey', password, 'This browser');
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ name: 'This browser', transports: ['internal'], last_used: null });
    const [stored] = await authenticator.credentials();
    expect(stored).toMatchObject({ isResidentCredential: true, rpId: 'localhost' });

    const signedIn = await inPage('signIn', 'knox');
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(signedIn.body).toEqual({ id: user.id, email: user.email, username: user.username, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(signedIn.body.token).not.toBe(password);

    const probe = await inPage('call', 'mock-login/', 'GET', signedIn.body.token);
    expect(probe).toEqual({ status: 200, body: 'Hello world.' });
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(signedIn.body.token) }), 200, 'Hello world.');

    const listed = await inPage('call', 'passkeys/', 'GET', signedIn.body.token);
    expect(listed.body[0].last_used).not.toBeNull();
    expect((await authenticator.credentials())[0].signCount).toBeGreaterThan(stored.signCount);
  });

  it('kind jwt: the browser holds the session cookie, and token/refresh/ works from the page', async () => {
    const signedIn = await inPage('signIn', 'jwt');
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
    expect(Object.keys(signedIn.body)).toEqual(['refresh', 'access', 'id', 'email', 'username']);
    const cookies = await browser.context.cookies(site.origin);
    expect(cookies.find((c) => c.name === 'sessionid')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const refreshed = await inPage('call', 'token/refresh/', 'POST');
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body)).toEqual(['access', 'refresh']);
  });

  it('without user verification the browser cannot produce a login Gatehouse accepts', async () => {
    await authenticator.setUserVerified(false);
    try {
      // The options require verification: the authenticator cannot give it, so the ceremony fails.
      await expect(inPage('signIn', 'knox')).rejects.toThrow(/NotAllowedError/);
    } finally {
      await authenticator.setUserVerified(true);
    }
  });
});
