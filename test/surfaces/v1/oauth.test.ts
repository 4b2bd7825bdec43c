// Sign-in with OpenID Connect providers over HTTP (social.md; mfa.md §3.3; v1.md §1), against
// real OpenID providers (oidc-provider) whose login pages the test finishes as a person would:
// the provider list, start/ and its refusals, the callback's every outcome, the code exchange
// (knox, jwt, the two-factor challenge), linking, identities and the last way in, and the attacks:
// a forged or replayed state, a callback without its cookie, a tampered nonce, an ID token for
// another audience, a replayed login code, parallel callbacks and exchanges.
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startApp } from '../../helpers/app.js';
import { type IdpChoice, type TestIdp, closedPortUrl, providerEnv, startIdp } from '../../helpers/oidc-idp.js';
import { findLink, readOutbox } from '../../helpers/smtp.js';
import { nowMicros } from '../../../src/core/time.js';
import type { HttpResponse } from '../../helpers/http.js';
import { V1, Client, type TestUser, bearerHeader, claimsOf, expectJson, knoxLogin, registerUser, request, tokenHeader } from './helpers.js';

const APP_ORIGIN = 'https://app.example.com';
const NEXT = `${APP_ORIGIN}/signed-in?from=test`;
const SECRET = 'corp-client-secret-0123456789abcdef';
const CODE = /^[A-Za-z0-9_-]{43}$/;

let idp: TestIdp;
let idp2: TestIdp;
let t: TestApp;

beforeAll(async () => {
  idp = await startIdp();
  idp2 = await startIdp({ claimsInIdToken: true });
  t = await startApp({
    SURFACES: 'v1',
    OIDC_ALLOW_HTTP: 'true',
    OIDC_PROVIDERS: 'corp,corp-public,down',
    ...providerEnv('corp', { issuer: idp.issuer, clientId: 'gatehouse', clientSecret: SECRET, name: 'Corp SSO' }),
    ...providerEnv('corp-public', { issuer: idp2.issuer, clientId: 'gatehouse-public' }),
    ...providerEnv('down', { issuer: await closedPortUrl(), clientId: 'gatehouse' }),
    OAUTH_REDIRECT_ORIGINS: APP_ORIGIN,
  });
  idp.addClient({ client_id: 'gatehouse', client_secret: SECRET, redirect_uris: [callbackUrl('corp')] });
  idp2.addClient({ client_id: 'gatehouse-public', redirect_uris: [callbackUrl('corp-public')] });
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
  await idp2?.close();
});

function callbackUrl(provider: string, base = t.url): string {
  return `${base}/v1/user/oauth/${provider}/callback/`;
}

const idpOf = (provider: string) => (provider === 'corp-public' ? idp2 : idp);
let seq = 0;
const uniq = (prefix: string) => `${prefix}${++seq}x${randomBytes(3).toString('hex')}`;

/** A person at the provider; by default with a verified address and a name, in userinfo. */
function providerAccount(over: { email?: string; email_verified?: boolean; name?: string; idTokenAudience?: string } = {}, at = idp): string {
  const sub = uniq('sub');
  at.addAccount({ sub, email: `${sub}@corp.example`, email_verified: true, name: `Name ${sub}`, ...over });
  return sub;
}

function startPath(provider: string, query: Record<string, string>): string {
  return `${V1}oauth/${provider}/start/?${new URLSearchParams(query)}`;
}

interface Flow {
  browser: Client;
  start: HttpResponse;
  /** Where the provider sent the browser back (the callback URL with code and state). */
  back: URL;
  callback: HttpResponse;
  /** The callback's Location, parsed. */
  result: URL;
}

/** start/, the provider's pages, callback/: one browser, its cookies kept. */
async function flow(choice: IdpChoice, opts: { provider?: string; kind?: string; next?: string; browser?: Client; tamper?: (authorizationUrl: URL) => void } = {}): Promise<Flow> {
  const provider = opts.provider ?? 'corp';
  const browser = opts.browser ?? new Client(t.url);
  const start = await browser.get(startPath(provider, { next: opts.next ?? NEXT, ...(opts.kind ? { kind: opts.kind } : {}) }));
  expect(start.status, start.text).toBe(302);
  const authorization = new URL(start.headers.get('location')!);
  opts.tamper?.(authorization);
  const back = await idpOf(provider).authorize(authorization.href, choice, callbackUrl(provider));
  const callback = await browser.get(back.pathname + back.search);
  expect(callback.status, callback.text).toBe(302);
  return { browser, start, back, callback, result: new URL(callback.headers.get('location')!) };
}

function loginCodeOf(f: Flow): string {
  const code = f.result.searchParams.get('login_code');
  expect(code, f.result.href).toMatch(CODE);
  return code!;
}

const exchange = (code: unknown, browser?: Client, headers: Record<string, string> = {}) =>
  browser ? browser.post(V1 + 'oauth/exchange/', { json: { login_code: code }, headers }) : request(t.url, 'POST', V1 + 'oauth/exchange/', { json: { login_code: code }, headers });

/** A whole sign-in ending with a knox token. */
async function signIn(sub: string, provider = 'corp'): Promise<{ token: string; id: string; body: any }> {
  const f = await flow({ login: sub }, { provider });
  const r = await exchange(loginCodeOf(f));
  expect(r.status, r.text).toBe(200);
  return { token: r.json.token, id: r.json.id, body: r.json };
}

async function audit(event: string, userId?: string) {
  let q = t.ctx.db.selectFrom('audit_log').select(['details', 'user_id']).where('event', '=', event);
  if (userId) q = q.where('user_id', '=', userId);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => JSON.parse(r.details) as Record<string, unknown>);
}

async function events(type: string, userId: string) {
  const rows = await t.ctx.db.selectFrom('events').select('body').where('type', '=', type).orderBy('id').execute();
  return rows.map((r) => JSON.parse(r.body) as Record<string, any>).filter((e) => e.data?.user?.id === userId);
}

async function localUser(verified: boolean, opts: { active?: boolean; email?: string } = {}): Promise<TestUser & { token: string }> {
  const u = await registerUser(t.url, 'local');
  const email = opts.email ?? u.email;
  await t.ctx.db.updateTable('users').set({ email_verified: verified ? 1 : 0 }).where('id', '=', u.id).execute();
  const token = await knoxLogin(t.url, { email, password: u.password });
  if (opts.active === false) await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', u.id).execute();
  return { ...u, token };
}

/** The mail to `email` with `subject`; mail may leave after the answer (v1.md §0.11), so it is waited for. */
async function mailTo(email: string, subject: string) {
  for (let i = 0; i < 100; i++) {
    await t.ctx.mailer.flush();
    const found = (await readOutbox(path.join(t.dataDir, 'outbox')).catch(() => [])).find((m) => m.to.includes(email) && m.subject === subject);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no mail "${subject}" to ${email}`);
}

function cookieAttributes(r: HttpResponse, name: string): string[] {
  const c = r.setCookies.find((s) => s.startsWith(name + '='));
  expect(c, `Set-Cookie ${name}`).toBeDefined();
  return c!.split(';').map((a) => a.trim());
}

describe('GET oauth/providers/ (§2.1)', () => {
  it('id and name of each provider, in configuration order; no credential needed, a broken one ignored', async () => {
    const r = await request(t.url, 'GET', V1 + 'oauth/providers/', { headers: { authorization: 'Token broken' } });
    expectJson(r, 200, [
      { id: 'corp', name: 'Corp SSO' },
      { id: 'corp-public', name: 'corp-public' },
      { id: 'down', name: 'down' },
    ]);
  });
});

describe('GET oauth/<id>/start/ (§2.2)', () => {
  it('302 to the authorization endpoint with code, PKCE S256, state and nonce; sets the gh_oauth cookie', async () => {
    const r = await request(t.url, 'GET', startPath('corp', { next: NEXT, kind: 'jwt' }));
    expect(r.status).toBe(302);
    expect(r.text).toBe('');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const to = new URL(r.headers.get('location')!);
    expect(to.origin).toBe(idp.issuer);
    const p = to.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe('gatehouse');
    expect(p.get('redirect_uri')).toBe(callbackUrl('corp'));
    expect(p.get('scope')).toBe('openid email profile');
    expect(p.get('state')).toMatch(CODE);
    expect(p.get('nonce')).toMatch(CODE);
    expect(p.get('code_challenge')).toMatch(CODE);
    expect(p.get('code_challenge_method')).toBe('S256');
    const attrs = cookieAttributes(r, 'gh_oauth');
    expect(attrs[0]).toMatch(/^gh_oauth=[A-Za-z0-9_-]{43}$/);
    expect(attrs[0]).not.toContain(p.get('state')!);
    expect(attrs).toEqual(expect.arrayContaining(['Max-Age=600', 'Path=/v1/user/oauth/', 'HttpOnly', 'SameSite=Lax']));
    expect(attrs).not.toContain('Secure'); // plain http and no https PUBLIC_URL (v1.md §0.3)
  });

  it('the redirect URI comes from the listening address, never from the Host header', async () => {
    const port = new URL(t.url).port;
    const location = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: startPath('corp', { next: '/home' }), headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(String(res.headers.location));
      });
      req.on('error', reject);
    });
    expect(new URL(location).searchParams.get('redirect_uri')).toBe(callbackUrl('corp'));
  });

  it('checks the provider (404), then next (400), then kind (400)', async () => {
    const get = (provider: string, query: Record<string, string>) => request(t.url, 'GET', startPath(provider, query));
    expectJson(await get('nope', { next: 'https://evil.example/', kind: 'bad' }), 404, 'Not found.');
    expectJson(await get('corp', { next: 'https://evil.example/', kind: 'bad' }), 400, 'Next error. Redirect target is not allowed.');
    expectJson(await get('corp', {}), 400, 'Next error. Redirect target is not allowed.');
    for (const next of ['//evil.example/x', '/\\evil.example', 'javascript:alert(1)', `${t.url}/x`, 'https://app.example.com.evil.example/']) {
      expectJson(await get('corp', { next }), 400, 'Next error. Redirect target is not allowed.');
    }
    for (const kind of ['', 'KNOX', 'session']) expectJson(await get('corp', { next: NEXT, kind }), 400, 'Kind error. Expected knox or jwt.');
    const twice = await request(t.url, 'GET', `${V1}oauth/corp/start/?next=${encodeURIComponent(NEXT)}&kind=knox&kind=jwt`);
    expectJson(twice, 400, 'Kind error. Expected knox or jwt.');
    expect((await get('corp', { next: '/welcome', kind: 'knox' })).status).toBe(302);
  });

  it('an undiscoverable provider answers 503 while the others keep working', async () => {
    expectJson(await request(t.url, 'GET', startPath('down', { next: NEXT })), 503, 'Provider is unavailable.');
    expect((await request(t.url, 'GET', startPath('corp', { next: NEXT }))).status).toBe(302);
    expect((await request(t.url, 'GET', startPath('corp-public', { next: NEXT }))).status).toBe(302);
    expectJson(await request(t.url, 'GET', startPath('down', { next: NEXT })), 503, 'Provider is unavailable.');
  });
});

describe('a first sign-in (§2.4, §2.5, §3 rule 4)', () => {
  it('creates a user without username or usable password; the knox answer of login-knox/', async () => {
    const sub = providerAccount();
    const f = await flow({ login: sub });
    expect(f.result.origin + f.result.pathname).toBe(`${APP_ORIGIN}/signed-in`);
    expect(f.result.searchParams.get('from')).toBe('test');
    expect(f.callback.headers.get('cache-control')).toBe('no-store');
    // The binding cookie is cleared.
    expect(cookieAttributes(f.callback, 'gh_oauth')).toEqual(expect.arrayContaining(['gh_oauth=', 'Max-Age=0', 'Path=/v1/user/oauth/']));
    const r = await exchange(loginCodeOf(f));
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['id', 'email', 'username', 'token']);
    expect(r.json).toMatchObject({ email: `${sub}@corp.example`, username: null, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(r.json.token) }), 200, 'Hello world.');
    const me = await request(t.url, 'GET', V1 + 'me/', { headers: tokenHeader(r.json.token) });
    expect(me.json).toMatchObject({ id: r.json.id, email: `${sub}@corp.example`, username: null, email_verified: true });

    const user = (await t.ctx.accounts.byId(r.json.id))!;
    expect(user.full_name).toBe(`Name ${sub}`);
    expect(t.ctx.passwords.isUsable(user.password)).toBe(false);
    expect(user.last_login).not.toBeNull();
    expect(await audit('user.register', r.json.id)).toEqual([{ method: 'oauth', provider: 'corp' }]);
    expect(await audit('oauth.login', r.json.id)).toEqual([{ provider: 'corp', new_user: true }]);
    expect((await audit('login.success', r.json.id)).pop()).toMatchObject({ method: 'oauth', provider: 'corp', kind: 'knox' });
    const created = await events('user.created', r.json.id);
    expect(created.map((e) => e.data.surface)).toEqual(['v1']);
    expect((await events('session.created', r.json.id)).map((e) => e.data.method)).toEqual(['oauth']);

    // No usable password: every password login fails as bad credentials.
    for (const password of ['', 'Admin,123', '!']) {
      expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: `${sub}@corp.example`, password } }), password === '' ? 400 : 401, password === '' ? 'Password field cannot be blank.' : 'No active account found with the given credentials.');
    }
    // identities/ shows the link.
    const ids = await request(t.url, 'GET', V1 + 'identities/', { headers: tokenHeader(r.json.token) });
    expect(ids.status).toBe(200);
    expect(ids.json).toEqual([{ id: expect.stringMatching(/^[0-9a-f-]{36}$/), provider: 'corp', email: `${sub}@corp.example`, created: expect.any(String), last_used: expect.any(String) }]);
  });

  it('a user made by a provider can set a password through password reset (§3)', async () => {
    const sub = providerAccount();
    const { id } = await signIn(sub);
    const email = `${sub}@corp.example`;
    expect((await request(t.url, 'POST', V1 + 'password/reset/', { json: { email } })).status).toBe(200);
    const mail = await mailTo(email, 'Reset your password');
    const token = new URL(findLink(mail, `${t.url}/v1/user/password/reset/confirm/`)).searchParams.get('token');
    const done = await request(t.url, 'POST', V1 + 'password/reset/confirm/', { json: { token, password: 'Fresh,123', confirm_password: 'Fresh,123' } });
    expectJson(done, 200, 'Password reset successful.');
    const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email, password: 'Fresh,123' } });
    expect(login.status).toBe(200);
    expect(login.json.id).toBe(id);
  });

  it('a returning sign-in is the same user; no second registration', async () => {
    const sub = providerAccount();
    const first = await signIn(sub);
    const again = await signIn(sub);
    expect(again.id).toBe(first.id);
    expect(again.token).not.toBe(first.token);
    expect(await audit('user.register', first.id)).toHaveLength(1);
    expect(await events('user.created', first.id)).toHaveLength(1);
    expect(await audit('oauth.login', first.id)).toEqual([{ provider: 'corp', new_user: true }, { provider: 'corp', new_user: false }]);
  });

  it('a provider that gives an unverified address: a user with no email', async () => {
    const sub = providerAccount({ email_verified: false });
    const r = await signIn(sub);
    expect(r.body.email).toBeNull();
    expect((await t.ctx.accounts.byId(r.id))!.email_verified).toBe(0);
  });

  it('a public client (PKCE alone) with the claims in the ID token', async () => {
    const sub = providerAccount({}, idp2);
    const r = await signIn(sub, 'corp-public');
    expect(r.body.email).toBe(`${sub}@corp.example`);
    expect(await audit('oauth.login', r.id)).toEqual([{ provider: 'corp-public', new_user: true }]);
  });

  it('kind=jwt: the login-jwt/ answer with the sessionid cookie, and the refresh it holds works', async () => {
    const sub = providerAccount();
    const f = await flow({ login: sub }, { kind: 'jwt' });
    const r = await exchange(loginCodeOf(f), f.browser);
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['refresh', 'access', 'id', 'email', 'username']);
    expect(claimsOf(r.json.access)).toMatchObject({ token_type: 'access', user_id: r.json.id });
    expect(r.cookie('sessionid')).toBeTruthy();
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(r.json.access) }), 200, 'Hello world.');
    expect((await f.browser.post(V1 + 'token/refresh/')).status).toBe(200);
  });

  it('a path next is taken relative to the service\'s own base', async () => {
    const sub = providerAccount();
    const f = await flow({ login: sub }, { next: '/welcome?x=1' });
    expect(f.result.href).toMatch(new RegExp(`^${t.url}/welcome\\?x=1&login_code=[A-Za-z0-9_-]{43}$`));
  });
});

describe('which account a provider identity signs into (§3)', () => {
  it('rule 3: a verified local account with the verified address is linked; a notice goes to it', async () => {
    const local = await localUser(true);
    const created = await events('user.created', local.id); // its registration's
    const sub = providerAccount({ email: local.email });
    const r = await signIn(sub);
    expect(r.id).toBe(local.id);
    expect(await audit('oauth.link', local.id)).toEqual([{ provider: 'corp', via: 'email' }]);
    await mailTo(local.email, 'A Corp SSO sign-in was linked to your account');
    expect(created).toHaveLength(1);
    expect(await events('user.created', local.id)).toEqual(created);
  });

  it('rule 3: an unverified local address is never taken over: login_error=account_exists', async () => {
    const local = await localUser(false);
    const sub = providerAccount({ email: local.email });
    const f = await flow({ login: sub });
    expect(f.result.searchParams.get('login_error')).toBe('account_exists');
    expect([...f.result.searchParams.keys()]).toEqual(['from', 'login_error']);
    expect(await audit('oauth.failure', local.id)).toEqual([{ provider: 'corp', reason: 'account_exists' }]);
  });

  it('an inactive user: login_error=inactive', async () => {
    const sub = providerAccount();
    const { id } = await signIn(sub);
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', id).execute();
    const f = await flow({ login: sub });
    expect(f.result.searchParams.get('login_error')).toBe('inactive');
  });

  it('the person cancels at the provider: login_error=access_denied', async () => {
    const f = await flow({ deny: true });
    expect(f.result.searchParams.get('login_error')).toBe('access_denied');
    expect(cookieAttributes(f.callback, 'gh_oauth')).toContain('Max-Age=0');
    expect((await audit('oauth.failure')).pop()).toEqual({ provider: 'corp', reason: 'access_denied' });
  });

  it('an ID token issued to another audience: login_error=provider_error, nobody signed in', async () => {
    const sub = providerAccount({ idTokenAudience: 'someone-else' });
    const f = await flow({ login: sub });
    expect(f.result.searchParams.get('login_error')).toBe('provider_error');
    expect(await t.ctx.db.selectFrom('oauth_identities').select('id').where('subject', '=', sub).executeTakeFirst()).toBeUndefined();
  });

  it('a nonce changed on the way to the provider: the ID token names another nonce, login_error=provider_error', async () => {
    const sub = providerAccount();
    const f = await flow({ login: sub }, { tamper: (u) => u.searchParams.set('nonce', randomBytes(32).toString('base64url')) });
    expect(f.result.searchParams.get('login_error')).toBe('provider_error');
  });
});

describe('the state and its cookie (§2.2, §2.4)', () => {
  async function toCallback(sub: string) {
    const browser = new Client(t.url);
    const start = await browser.get(startPath('corp', { next: NEXT }));
    const back = await idp.authorize(start.headers.get('location')!, { login: sub }, callbackUrl('corp'));
    return { browser, back, cookie: browser.jar.gh_oauth };
  }

  it('a callback without the binding cookie is refused, and the state stays for its own browser', async () => {
    const { browser, back } = await toCallback(providerAccount());
    const stranger = await request(t.url, 'GET', back.pathname + back.search);
    expectJson(stranger, 400, 'Invalid or expired OAuth state.');
    const withOtherCookie = await request(t.url, 'GET', back.pathname + back.search, { cookies: { gh_oauth: randomBytes(32).toString('base64url') } });
    expectJson(withOtherCookie, 400, 'Invalid or expired OAuth state.');
    const own = await browser.get(back.pathname + back.search);
    expect(own.status).toBe(302);
    expect(new URL(own.headers.get('location')!).searchParams.get('login_code')).toMatch(CODE);
  });

  it('a replayed callback, a forged state, a state of another provider, no state: 400', async () => {
    const { browser, back, cookie } = await toCallback(providerAccount());
    expect((await browser.get(back.pathname + back.search)).status).toBe(302);
    expectJson(await request(t.url, 'GET', back.pathname + back.search, { cookies: { gh_oauth: cookie } }), 400, 'Invalid or expired OAuth state.');
    const forged = new URL(back.href);
    forged.searchParams.set('state', randomBytes(32).toString('base64url'));
    expectJson(await request(t.url, 'GET', forged.pathname + forged.search, { cookies: { gh_oauth: cookie } }), 400, 'Invalid or expired OAuth state.');
    expectJson(await request(t.url, 'GET', `${V1}oauth/corp/callback/`), 400, 'Invalid or expired OAuth state.');
    const other = await toCallback(providerAccount());
    expectJson(await request(t.url, 'GET', `${V1}oauth/corp-public/callback/${other.back.search}`, { cookies: { gh_oauth: other.cookie } }), 400, 'Invalid or expired OAuth state.');
    expectJson(await request(t.url, 'GET', `${V1}oauth/nope/callback/${other.back.search}`, { cookies: { gh_oauth: other.cookie } }), 404, 'Not found.');
  });

  it('an expired state (10 minutes) is refused', async () => {
    const { browser, back } = await toCallback(providerAccount());
    await t.ctx.db.updateTable('oauth_states').set({ expires: nowMicros() - 1 }).execute();
    expectJson(await browser.get(back.pathname + back.search), 400, 'Invalid or expired OAuth state.');
  });

  it('one callback sent in parallel: one login code, the others 400', async () => {
    const { back, cookie } = await toCallback(providerAccount());
    const results = await Promise.all(Array.from({ length: 6 }, () => request(t.url, 'GET', back.pathname + back.search, { cookies: { gh_oauth: cookie } })));
    expect(results.map((r) => r.status).sort()).toEqual([302, 400, 400, 400, 400, 400]);
    expect(new URL(results.find((r) => r.status === 302)!.headers.get('location')!).searchParams.get('login_code')).toMatch(CODE);
  });
});

describe('POST oauth/exchange/ (§2.5)', () => {
  it('a login code works once; a replay, an unknown or an expired one is 401', async () => {
    const f = await flow({ login: providerAccount() });
    const code = loginCodeOf(f);
    expect((await exchange(code)).status).toBe(200);
    const replay = await exchange(code);
    expectJson(replay, 401, 'Invalid or expired login code.');
    expect(replay.headers.get('www-authenticate')).toBe('Token');
    expectJson(await exchange(randomBytes(32).toString('base64url')), 401, 'Invalid or expired login code.');
    expectJson(await exchange('short'), 401, 'Invalid or expired login code.');
    const late = loginCodeOf(await flow({ login: providerAccount() }));
    await t.ctx.db.updateTable('oauth_login_codes').set({ expires: nowMicros() - 1 }).execute();
    expectJson(await exchange(late), 401, 'Invalid or expired login code.');
  });

  it('one code sent in parallel: exactly one credential', async () => {
    const code = loginCodeOf(await flow({ login: providerAccount() }));
    const results = await Promise.all(Array.from({ length: 8 }, () => exchange(code)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('field errors (v1.md §1.4); a cross-site request is refused first (§1.6a)', async () => {
    expectJson(await request(t.url, 'POST', V1 + 'oauth/exchange/', { json: {} }), 400, 'Login_Code field is required.');
    expectJson(await request(t.url, 'POST', V1 + 'oauth/exchange/', { json: { login_code: '' } }), 400, 'Login_Code field cannot be blank.');
    const code = loginCodeOf(await flow({ login: providerAccount() }));
    expectJson(await exchange(code, undefined, { origin: 'https://evil.example' }), 403, 'Origin checking failed - https://evil.example does not match any trusted origins.');
    expect((await exchange(code, undefined, { origin: t.url })).status).toBe(200);
  });

  it('a locked account: 403; an account deactivated since the callback: 401', async () => {
    const sub = providerAccount();
    const { id } = await signIn(sub);
    const code = loginCodeOf(await flow({ login: sub }));
    await t.ctx.db.updateTable('users').set({ locked_until: nowMicros() + 60_000_000, failed_logins: 5, last_failure_at: nowMicros() }).where('id', '=', id).execute();
    expectJson(await exchange(code), 403, 'Locked out due to too many login failures.');
    expect((await audit('login.locked', id)).pop()).toMatchObject({ method: 'oauth', provider: 'corp' });
    await t.ctx.db.updateTable('users').set({ locked_until: null, failed_logins: 0, last_failure_at: null }).where('id', '=', id).execute();
    const code2 = loginCodeOf(await flow({ login: sub }));
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', id).execute();
    expectJson(await exchange(code2), 401, 'No active account found with the given credentials.');
  });

  it('an account with TOTP on gets the two-factor challenge of mfa.md §3.1, not a credential', async () => {
    const sub = providerAccount();
    const { id } = await signIn(sub);
    const user = (await t.ctx.accounts.byId(id))!;
    const started = await t.ctx.mfa.enrolment.start(user);
    if (!started.ok) throw new Error('setup');
    const meta = { surface: 'v1' as const, ip: '127.0.0.1', userAgent: 'vitest' };
    const confirmed = await t.ctx.mfa.enrolment.confirm(user, await generate({ secret: started.secret }), { meta });
    if (!confirmed.ok) throw new Error('setup');
    const logins = (await audit('login.success', id)).length;

    const f = await flow({ login: sub }, { kind: 'jwt' });
    const r = await exchange(loginCodeOf(f), f.browser);
    expectJson(r, 200, { mfa_required: true, mfa_token: expect.stringMatching(CODE), methods: ['totp', 'recovery_code'] });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.setCookies).toEqual([]);
    expect(await audit('login.success', id)).toHaveLength(logins);
    expect((await audit('login.mfa_challenge', id)).pop()).toEqual({ method: 'jwt' });
    // The step is bound to the provider login; a right code completes it (login/mfa/ words it).
    const done = await t.ctx.mfa.challenges.complete(r.json.mfa_token, confirmed.recoveryCodes[0], meta, { accept: ['knox', 'jwt'] });
    expect(done).toMatchObject({ ok: true, kind: 'jwt', context: { provider: 'corp' }, method: 'recovery_code' });
  });
});

describe('POST oauth/<id>/link/ (§2.3, §3 rule 1)', () => {
  const link = (token: string, provider: string, json: unknown, browser?: Client) =>
    (browser ?? new Client(t.url)).post(`${V1}oauth/${provider}/link/`, { headers: tokenHeader(token), json });

  it('the authorization URL in the body and the cookie; the callback links the identity to the caller', async () => {
    const local = await localUser(false);
    const sub = providerAccount();
    const browser = new Client(t.url);
    const r = await link(local.token, 'corp', { next: NEXT }, browser);
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['url']);
    expect(new URL(r.json.url).origin).toBe(idp.issuer);
    expect(cookieAttributes(r, 'gh_oauth')).toEqual(expect.arrayContaining(['Max-Age=600', 'Path=/v1/user/oauth/', 'HttpOnly', 'SameSite=Lax']));
    const back = await idp.authorize(r.json.url, { login: sub }, callbackUrl('corp'));
    const cb = await browser.get(back.pathname + back.search);
    expect(cb.status).toBe(302);
    const result = new URL(cb.headers.get('location')!);
    expect(result.searchParams.get('linked')).toBe('corp');
    expect([...result.searchParams.keys()]).toEqual(['from', 'linked']);
    expect(await audit('oauth.link', local.id)).toEqual([{ provider: 'corp', via: 'request' }]);
    const ids = (await request(t.url, 'GET', V1 + 'identities/', { headers: tokenHeader(local.token) })).json;
    expect(ids.map((i: { provider: string }) => i.provider)).toEqual(['corp']);
    // Signing in with the provider now reaches the local account.
    expect((await signIn(sub)).id).toBe(local.id);
    // Linking the same identity again: the same answer.
    const again = await link(local.token, 'corp', { next: NEXT }, browser);
    const back2 = await idp.authorize(again.json.url, { login: sub }, callbackUrl('corp'));
    expect(new URL((await browser.get(back2.pathname + back2.search)).headers.get('location')!).searchParams.get('linked')).toBe('corp');
  });

  it("an identity that belongs to someone else: login_error=identity_in_use", async () => {
    const sub = providerAccount();
    await signIn(sub);
    const local = await localUser(true);
    const browser = new Client(t.url);
    const r = await link(local.token, 'corp', { next: NEXT }, browser);
    const back = await idp.authorize(r.json.url, { login: sub }, callbackUrl('corp'));
    const result = new URL((await browser.get(back.pathname + back.search)).headers.get('location')!);
    expect(result.searchParams.get('login_error')).toBe('identity_in_use');
  });

  it('needs a credential; 404 unknown provider; field errors; next not allowed; 503 undiscoverable', async () => {
    const local = await localUser(true);
    expectJson(await request(t.url, 'POST', `${V1}oauth/corp/link/`, { json: { next: NEXT } }), 401, 'Authentication credentials were not provided.');
    expectJson(await link(local.token, 'nope', { next: NEXT }), 404, 'Not found.');
    expectJson(await link(local.token, 'corp', {}), 400, 'Next field is required.');
    expectJson(await link(local.token, 'corp', { next: null }), 400, 'This field may not be null.');
    expectJson(await link(local.token, 'corp', { next: 'https://evil.example/' }), 400, 'Next error. Redirect target is not allowed.');
    expectJson(await link(local.token, 'down', { next: NEXT }), 503, 'Provider is unavailable.');
  });
});

describe('identities/ (§2.6)', () => {
  it('DELETE: 204 and audit; bad id 400; foreign 404; the last way in stays', async () => {
    const sub1 = providerAccount();
    const { token, id } = await signIn(sub1);
    // A second identity through linking (the public provider).
    const browser = new Client(t.url);
    const r = await browser.post(`${V1}oauth/corp-public/link/`, { headers: tokenHeader(token), json: { next: NEXT } });
    const sub2 = providerAccount({}, idp2);
    const back = await idp2.authorize(r.json.url, { login: sub2 }, callbackUrl('corp-public'));
    expect(new URL((await browser.get(back.pathname + back.search)).headers.get('location')!).searchParams.get('linked')).toBe('corp-public');

    const list = (await request(t.url, 'GET', V1 + 'identities/', { headers: tokenHeader(token) })).json;
    expect(list.map((i: { provider: string }) => i.provider)).toEqual(['corp', 'corp-public']);
    for (const i of list) expect(Object.keys(i)).toEqual(['id', 'provider', 'email', 'created', 'last_used']);
    const del = (identity: string, tok = token) => request(t.url, 'DELETE', `${V1}identities/${identity}/`, { headers: tokenHeader(tok) });
    const other = await localUser(true);
    expectJson(await del(list[0].id, other.token), 404, 'Identity does not exist.');
    expectJson(await del('123'), 400, 'Badly formed hexadecimal uuid string');
    // Two unlinks at once: one goes, the other is the last way in.
    const both = await Promise.all([del(list[0].id), del(list[1].id)]);
    expect(both.map((x) => x.status).sort()).toEqual([204, 400]);
    expect(both.find((x) => x.status === 400)!.json).toBe('You cannot remove your last way to sign in.');
    expect(await audit('oauth.unlink', id)).toHaveLength(1);
    expect((await request(t.url, 'GET', V1 + 'identities/', { headers: tokenHeader(token) })).json).toHaveLength(1);
  });

  it('a user with a usable password may unlink the only identity', async () => {
    const local = await localUser(false);
    const browser = new Client(t.url);
    const r = await browser.post(`${V1}oauth/corp/link/`, { headers: tokenHeader(local.token), json: { next: NEXT } });
    const back = await idp.authorize(r.json.url, { login: providerAccount() }, callbackUrl('corp'));
    await browser.get(back.pathname + back.search);
    const [identity] = (await request(t.url, 'GET', V1 + 'identities/', { headers: tokenHeader(local.token) })).json;
    const d = await request(t.url, 'DELETE', `${V1}identities/${identity.id}/`, { headers: tokenHeader(local.token) });
    expect(d.status).toBe(204);
    expect(d.text).toBe('');
    expect(await audit('oauth.unlink', local.id)).toEqual([{ provider: 'corp' }]);
  });

  it('deleting the user deletes their identities', async () => {
    const local = await localUser(true);
    const sub = providerAccount({ email: local.email });
    expect((await signIn(sub)).id).toBe(local.id);
    expect((await request(t.url, 'DELETE', V1 + 'me/', { headers: tokenHeader(local.token), json: { password: local.password } })).status).toBe(204);
    expect(await t.ctx.db.selectFrom('oauth_identities').select('id').where('subject', '=', sub).executeTakeFirst()).toBeUndefined();
  });
});

describe('provider tokens are never stored (§4)', () => {
  it('no token the providers issued, no state, nonce, cookie or login code is in any table', async () => {
    const issued = [...idp.issuedTokens(), ...idp2.issuedTokens()];
    expect(issued.length).toBeGreaterThan(20);
    const sub = providerAccount();
    const f = await flow({ login: sub });
    const code = loginCodeOf(f);
    await exchange(code);
    const secrets = [
      ...idp.issuedTokens(),
      ...idp2.issuedTokens(),
      code,
      f.back.searchParams.get('code')!,
      f.back.searchParams.get('state')!,
      new URL(f.start.headers.get('location')!).searchParams.get('nonce')!,
      f.start.cookie('gh_oauth')!,
    ];
    const tables = await t.ctx.db.introspection.getTables();
    let dump = '';
    for (const table of tables) dump += JSON.stringify(await t.ctx.db.selectFrom(table.name as 'users').selectAll().execute());
    expect(dump).toContain(sub); // the identity is there: the dump holds the flow's rows
    for (const s of secrets) expect(dump.includes(s), `stored: ${s.slice(0, 12)}…`).toBe(false);
  });
});

describe('routing and throttling (v1.md §1.1, §1.7)', () => {
  it('OPTIONS names each view', async () => {
    const local = await localUser(true);
    const views: Array<[string, string, string]> = [
      ['oauth/providers/', 'OAuth Providers', 'GET, HEAD, OPTIONS'],
      ['oauth/corp/start/', 'OAuth Start', 'GET, HEAD, OPTIONS'],
      ['oauth/corp/link/', 'OAuth Link', 'POST, OPTIONS'],
      ['oauth/corp/callback/', 'OAuth Callback', 'GET, HEAD, OPTIONS'],
      ['oauth/exchange/', 'OAuth Exchange', 'POST, OPTIONS'],
      ['identities/', 'Identities', 'GET, HEAD, OPTIONS'],
      [`identities/${randomBytes(16).toString('hex')}/`, 'Identity Detail', 'DELETE, OPTIONS'],
    ];
    for (const [p, name, allow] of views) {
      const r = await request(t.url, 'OPTIONS', V1 + p, { headers: tokenHeader(local.token) });
      expect(r.status, p).toBe(200);
      expect(r.json.name, p).toBe(name);
      expect(r.headers.get('allow'), p).toBe(allow);
    }
  });

  it('behind https PUBLIC_URL: the cookie is Secure, the redirect URI is PUBLIC_URL\'s; providers/ is never throttled, start/, callback/ and exchange/ count in the anonymous bucket', async () => {
    const app = await startApp({
      SURFACES: 'v1',
      THROTTLE_ANON_RATE: '3/min',
      PUBLIC_URL: 'https://gatehouse.example',
      OIDC_ALLOW_HTTP: 'true',
      OIDC_PROVIDERS: 'corp',
      ...providerEnv('corp', { issuer: idp.issuer, clientId: 'gatehouse', clientSecret: SECRET, name: 'Corp SSO' }),
    });
    try {
      for (let i = 0; i < 5; i++) expectJson(await request(app.url, 'GET', V1 + 'oauth/providers/'), 200, [{ id: 'corp', name: 'Corp SSO' }]);
      const start = await request(app.url, 'GET', startPath('corp', { next: '/home' }));
      expect(start.status).toBe(302);
      expect(new URL(start.headers.get('location')!).searchParams.get('redirect_uri')).toBe('https://gatehouse.example/v1/user/oauth/corp/callback/');
      expect(cookieAttributes(start, 'gh_oauth')).toContain('Secure');
      expectJson(await request(app.url, 'GET', `${V1}oauth/corp/callback/`), 400, 'Invalid or expired OAuth state.');
      expectJson(await request(app.url, 'POST', V1 + 'oauth/exchange/', { json: { login_code: 'x' } }), 401, 'Invalid or expired login code.');
      const r = await request(app.url, 'POST', V1 + 'oauth/exchange/', { json: { login_code: 'x' } });
      expect(r.status).toBe(429);
      expect(r.json).toMatch(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
      expect((await request(app.url, 'GET', startPath('corp', { next: '/home' }))).status).toBe(429);
      expect((await request(app.url, 'GET', V1 + 'oauth/providers/')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
