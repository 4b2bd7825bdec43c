// Sign-in with an OpenID Connect provider (social.md §2–§3), end to end against a real
// oidc-provider: the authorization request, the browser leg at the provider, the callback and
// the code exchange, with the attacks on each step.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOutbox } from '../../helpers/smtp.js';
import type { IdpChoice } from '../../helpers/oidc-idp.js';
import { sha256Hex } from '../../../src/core/secrets.js';
import { nowMicros } from '../../../src/core/time.js';
import type { CallbackResult, StartInput, StartResult } from '../../../src/core/oidc/index.js';
import type { User } from '../../../src/core/accounts.js';
import { APP_ORIGIN, NEXT, meta, type OidcFixture, startOidcFixture } from './fixture.js';

let f: OidcFixture;
beforeAll(async () => {
  f = await startOidcFixture();
});
afterAll(async () => {
  await f?.close();
});

const CODE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
let seq = 0;
/** A name no other test uses, so each test has its own provider accounts and users. */
const uniq = (prefix: string) => `${prefix}${++seq}x${randomBytes(3).toString('hex')}`;

function start(over: Partial<StartInput> = {}): Promise<StartResult> {
  return f.oidc.signIn.start({ provider: 'corp', next: NEXT, base: f.t.url, ...over });
}

function callback(started: StartResult, back: URL, provider = 'corp'): Promise<CallbackResult> {
  return f.oidc.signIn.callback({ provider, query: back.search, cookie: started.ok ? started.cookie : undefined, meta });
}

/** One whole sign-in: start, the provider, the callback. */
async function flow(choice: IdpChoice, opts: { provider?: string; kind?: string } = {}) {
  const provider = opts.provider ?? 'corp';
  const started = await start({ provider, kind: opts.kind });
  const back = await f.authorize(started, choice, provider);
  const result = await callback(started, back, provider);
  return { started, back, result };
}

/** The redirect's query parameters; fails the test when the callback refused the state. */
function answer(result: CallbackResult): URLSearchParams {
  expect(result.ok).toBe(true);
  if (!result.ok) throw new Error(result.reason);
  return new URL(result.redirect).searchParams;
}

function loginCode(result: CallbackResult): string {
  const code = answer(result).get('login_code');
  expect(code).toMatch(CODE_SHAPE);
  return code!;
}

async function signedInUser(result: CallbackResult): Promise<User> {
  const ex = await f.oidc.signIn.exchange(loginCode(result), meta);
  if (!ex.ok) throw new Error(`exchange failed: ${ex.reason}`);
  return ex.user;
}

function providerAccount(over: { email?: string; email_verified?: boolean | string; name?: string; idTokenAudience?: string } = {}, at = f.idp) {
  const sub = uniq('sub');
  at.addAccount({ sub, email: `${sub}@corp.example`, email_verified: true, name: `Name ${sub}`, ...over });
  return sub;
}

async function localUser(email: string, opts: { verified: boolean; active?: boolean; password?: string | null }) {
  const r = await f.t.ctx.accounts.create({ email, username: uniq('u'), password: opts.password === undefined ? 'Secret,123' : opts.password, emailVerified: opts.verified, isActive: opts.active ?? true });
  if (!r.ok) throw new Error('could not create the local user');
  return r.user;
}

async function audit(event: string, userId?: string) {
  let q = f.t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', event);
  if (userId) q = q.where('user_id', '=', userId);
  const rows = await q.orderBy('id').execute();
  return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}

async function identitiesOf(userNumber: number) {
  return f.t.ctx.db.selectFrom('oauth_identities').selectAll().where('user_number', '=', userNumber).execute();
}

async function identity(provider: string, sub: string) {
  return f.t.ctx.db.selectFrom('oauth_identities').selectAll().where('provider', '=', provider).where('subject', '=', sub).executeTakeFirst();
}

/** Every stored row a flow may have touched, as text, to look for secrets in it. */
async function everythingStored(): Promise<string> {
  const db = f.t.ctx.db;
  const tables = await Promise.all([
    db.selectFrom('oauth_states').selectAll().execute(),
    db.selectFrom('oauth_login_codes').selectAll().execute(),
    db.selectFrom('oauth_identities').selectAll().execute(),
    db.selectFrom('audit_log').selectAll().execute(),
    db.selectFrom('users').selectAll().execute(),
  ]);
  return JSON.stringify(tables) + JSON.stringify(f.problems);
}

describe('the authorization request (§2.2)', () => {
  it('sends the browser to the provider with code, PKCE S256, state and nonce, and keeps only digests', async () => {
    const started = await start({ kind: 'jwt' });
    if (!started.ok) throw new Error(started.reason);
    const url = new URL(started.url);
    expect(url.origin).toBe(f.idp.issuer);
    const p = url.searchParams;
    expect(p.get('response_type')).toBe('code');
    expect(p.get('client_id')).toBe('gatehouse');
    expect(p.get('redirect_uri')).toBe(f.callbackUrl('corp'));
    expect(p.get('scope')).toBe('openid email profile');
    expect(p.get('state')).toMatch(CODE_SHAPE);
    expect(p.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get('code_challenge_method')).toBe('S256');
    expect(started.cookie).toMatch(CODE_SHAPE);
    expect(started.cookie).not.toBe(p.get('state'));

    const row = await f.t.ctx.db.selectFrom('oauth_states').selectAll().where('state_digest', '=', sha256Hex(p.get('state')!)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ provider: 'corp', kind: 'jwt', link_user: null, next: NEXT, redirect_uri: f.callbackUrl('corp'), binding_digest: sha256Hex(started.cookie) });
    expect(row.expires - row.created).toBe(600_000_000);
    const stored = JSON.stringify(row);
    for (const secret of [p.get('state')!, p.get('nonce')!, started.cookie]) expect(stored).not.toContain(secret);

    const again = await start();
    if (!again.ok) throw new Error(again.reason);
    const q = new URL(again.url).searchParams;
    for (const k of ['state', 'nonce', 'code_challenge']) expect(q.get(k)).not.toBe(p.get(k));
    expect(again.cookie).not.toBe(started.cookie);
  });

  it('checks the provider, then next, then kind', async () => {
    expect(await start({ provider: 'nope', next: '//evil.example', kind: 'bad' })).toEqual({ ok: false, reason: 'unknown_provider' });
    expect(await start({ next: 'https://evil.example/', kind: 'bad' })).toEqual({ ok: false, reason: 'next_not_allowed' });
    expect(await start({ next: undefined })).toEqual({ ok: false, reason: 'next_not_allowed' });
    expect(await start({ next: `${f.t.url}/x` })).toEqual({ ok: false, reason: 'next_not_allowed' }); // not in OAUTH_REDIRECT_ORIGINS
    for (const kind of ['', 'KNOX', 'session', 1, ['jwt']]) expect(await start({ kind })).toEqual({ ok: false, reason: 'bad_kind' });
    expect((await start({ kind: 'knox' })).ok).toBe(true);
  });

  it('a path next is taken relative to the base; a trailing slash on the base changes nothing', async () => {
    const sub = providerAccount();
    const started = await start({ next: '/welcome?x=1', base: f.t.url + '/' });
    if (!started.ok) throw new Error(started.reason);
    expect(new URL(started.url).searchParams.get('redirect_uri')).toBe(f.callbackUrl('corp'));
    const back = await f.authorize(started, { login: sub });
    const result = await callback(started, back);
    expect(result.ok && result.redirect.startsWith(`${f.t.url}/welcome?x=1&login_code=`)).toBe(true);
  });

  it('an undiscoverable provider is unavailable while the others keep working', async () => {
    expect(await start({ provider: 'down' })).toEqual({ ok: false, reason: 'unavailable' });
    const user = (await f.t.ctx.accounts.create({ username: uniq('l') })) as { ok: true; user: User };
    expect(await f.oidc.signIn.link({ provider: 'down', next: NEXT, user: user.user, base: f.t.url })).toEqual({ ok: false, reason: 'unavailable' });
    expect(f.problems.some((p) => p.provider === 'down' && p.stage === 'discovery')).toBe(true);
    const sub = providerAccount();
    expect(answer((await flow({ login: sub })).result).has('login_code')).toBe(true);
    expect(f.oidc.providers.list()).toEqual([
      { id: 'corp', name: 'Corp SSO' },
      { id: 'corp-public', name: 'corp-public' },
      { id: 'down', name: 'down' },
    ]);
  });
});

describe('which account signs in (§3)', () => {
  it('a first sign-in creates a user without username or usable password (claims from userinfo)', async () => {
    const sub = providerAccount({ name: '  Ann Example  ' });
    const { started, back, result } = await flow({ login: sub });
    const url = new URL((result as { redirect: string }).redirect);
    expect(url.origin + url.pathname).toBe(`${APP_ORIGIN}/after-login`);
    expect([...url.searchParams.keys()]).toEqual(['from', 'login_code']);
    const code = loginCode(result);

    const ex = await f.oidc.signIn.exchange(code, meta);
    if (!ex.ok) throw new Error(ex.reason);
    expect(ex.kind).toBe('knox');
    expect(ex.provider).toBe('corp');
    expect(ex.user).toMatchObject({ email: `${sub}@corp.example`, email_verified: 1, full_name: 'Ann Example', username: null, password: null, is_active: 1 });
    expect(f.t.ctx.passwords.isUsable(ex.user.password)).toBe(false);
    expect(await identitiesOf(ex.user.number)).toMatchObject([{ provider: 'corp', subject: sub, email: `${sub}@corp.example` }]);

    expect((await audit('user.register', ex.user.id)).map((a) => a.details)).toEqual([{ method: 'oauth', provider: 'corp' }]);
    expect((await audit('oauth.login', ex.user.id)).map((a) => a.details)).toEqual([{ provider: 'corp', new_user: true }]);
    const stored = await everythingStored();
    const state = new URL((started as { url: string }).url).searchParams.get('state')!;
    for (const secret of [code, state, back.searchParams.get('code')!, (started as { cookie: string }).cookie]) expect(stored).not.toContain(secret);
  });

  it('a returning sign-in signs into the same user and creates nothing', async () => {
    const sub = providerAccount();
    const first = await signedInUser((await flow({ login: sub })).result);
    const before = (await identity('corp', sub))!;
    const second = await signedInUser((await flow({ login: sub })).result);
    expect(second.id).toBe(first.id);
    expect(await identitiesOf(first.number)).toHaveLength(1);
    expect((await identity('corp', sub))!.last_used!).toBeGreaterThan(before.last_used!);
    expect(await audit('user.register', first.id)).toHaveLength(1);
    expect((await audit('oauth.login', first.id)).map((a) => a.details.new_user)).toEqual([true, false]);
  });

  it('kind jwt is carried to the exchange', async () => {
    const sub = providerAccount();
    const { result } = await flow({ login: sub }, { kind: 'jwt' });
    const ex = await f.oidc.signIn.exchange(loginCode(result), meta);
    expect(ex).toMatchObject({ ok: true, kind: 'jwt', provider: 'corp' });
  });

  it('a public client with claims in the ID token works too', async () => {
    const sub = providerAccount({ name: 'Pat Public' }, f.idp2);
    const user = await signedInUser((await flow({ login: sub }, { provider: 'corp-public' })).result);
    expect(user).toMatchObject({ email: `${sub}@corp.example`, email_verified: 1, full_name: 'Pat Public' });
    expect(await identitiesOf(user.number)).toMatchObject([{ provider: 'corp-public', subject: sub }]);
  });

  it('a verified provider address links to the account with the same verified address, with a notice', async () => {
    const local = await localUser(`${uniq('bob')}@corp.example`, { verified: true });
    const sub = providerAccount({ email: local.email!.toUpperCase().replace('@CORP.EXAMPLE', '@corp.example') });
    const user = await signedInUser((await flow({ login: sub })).result);
    expect(user.id).toBe(local.id);
    expect((await identity('corp', sub))!.user_number).toBe(local.number);
    expect((await audit('oauth.link', local.id)).map((a) => a.details)).toEqual([{ provider: 'corp', via: 'email' }]);
    expect(await audit('user.register', local.id)).toHaveLength(0);
    await f.t.ctx.mailer.flush();
    const mails = (await readOutbox(path.join(f.t.dataDir, 'outbox'))).filter((m) => m.to.includes(local.email!));
    expect(mails.map((m) => m.subject)).toEqual(['A Corp SSO sign-in was linked to your account']);
  });

  it('pre-account-takeover: an unverified local address is never linked to (account_exists)', async () => {
    const victim = await localUser(`${uniq('victim')}@corp.example`, { verified: false });
    const sub = providerAccount({ email: victim.email! });
    for (let attempt = 0; attempt < 2; attempt++) {
      const { result } = await flow({ login: sub });
      expect([...answer(result)]).toEqual([['from', 'test'], ['login_error', 'account_exists']]);
      expect(result).toMatchObject({ outcome: 'account_exists' });
    }
    expect(await identity('corp', sub)).toBeUndefined();
    expect(await identitiesOf(victim.number)).toHaveLength(0);
    expect(await f.t.ctx.db.selectFrom('users').select('id').where('email_ci', '=', victim.email!.toLowerCase()).execute()).toHaveLength(1);
    expect((await audit('oauth.failure', victim.id)).map((a) => a.details)).toEqual([
      { provider: 'corp', reason: 'account_exists' },
      { provider: 'corp', reason: 'account_exists' },
    ]);
  });

  it('an address the provider did not verify is neither linked nor given to a new user', async () => {
    const taken = await localUser(`${uniq('carol')}@corp.example`, { verified: true });
    for (const [email, flag] of [[taken.email!, false], [`${uniq('free')}@corp.example`, 'false'], [`${uniq('free')}@corp.example`, undefined]] as const) {
      const sub = providerAccount({ email, email_verified: flag });
      const user = await signedInUser((await flow({ login: sub })).result);
      expect(user.id).not.toBe(taken.id);
      expect(user).toMatchObject({ email: null, email_verified: 0, username: null, password: null });
    }
    expect(await identitiesOf(taken.number)).toHaveLength(0);
  });

  it('an inactive user gets login_error=inactive, by link or by a matching address', async () => {
    const sub = providerAccount();
    const user = await signedInUser((await flow({ login: sub })).result);
    await f.t.ctx.accounts.update(user.number, { isActive: false });
    const { result } = await flow({ login: sub });
    expect(answer(result).get('login_error')).toBe('inactive');
    expect((await audit('oauth.failure', user.id)).map((a) => a.details)).toEqual([{ provider: 'corp', reason: 'inactive' }]);

    const dormant = await localUser(`${uniq('dormant')}@corp.example`, { verified: true, active: false });
    const sub2 = providerAccount({ email: dormant.email! });
    expect(answer((await flow({ login: sub2 })).result).get('login_error')).toBe('inactive');
    expect(await identitiesOf(dormant.number)).toHaveLength(0);
  });

  it('parallel first sign-ins of one identity make one user', async () => {
    const sub = providerAccount();
    const legs = await Promise.all([0, 1, 2].map(async () => {
      const started = await start();
      return { started, back: await f.authorize(started, { login: sub }) };
    }));
    const results = await Promise.all(legs.map((l) => callback(l.started, l.back)));
    const users = await Promise.all(results.map(signedInUser));
    expect(new Set(users.map((u) => u.id)).size).toBe(1);
    expect(await f.t.ctx.db.selectFrom('users').select('id').where('email_ci', '=', `${sub}@corp.example`.toLowerCase()).execute()).toHaveLength(1);
    expect(await audit('user.register', users[0].id)).toHaveLength(1);
  });
});

describe('login_error from the provider (§2.4)', () => {
  it('access_denied when the person cancels at the provider', async () => {
    const { started, back, result } = await flow({ deny: true });
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect([...answer(result)]).toEqual([['from', 'test'], ['login_error', 'access_denied']]);
    expect(await callback(started, back)).toEqual({ ok: false, reason: 'invalid_state' });
  });

  it('provider_error for an ID token issued to another audience', async () => {
    const sub = providerAccount({ idTokenAudience: 'some-other-client' });
    const { back, result } = await flow({ login: sub });
    expect(answer(result).get('login_error')).toBe('provider_error');
    expect(await identity('corp', sub)).toBeUndefined();
    const problem = f.problems.at(-1)!;
    expect(problem).toMatchObject({ provider: 'corp', stage: 'callback' });
    expect(problem.message).not.toContain(back.searchParams.get('code')!);
  });

  it('provider_error for an ID token with another nonce (tampered authorization request)', async () => {
    const sub = providerAccount();
    const started = await start();
    if (!started.ok) throw new Error(started.reason);
    const tampered = new URL(started.url);
    tampered.searchParams.set('nonce', 'nonce-chosen-by-an-attacker');
    const back = await f.idp.authorize(tampered.href, { login: sub }, f.callbackUrl('corp'));
    expect(answer(await callback(started, back)).get('login_error')).toBe('provider_error');
    expect(await identity('corp', sub)).toBeUndefined();
  });

  it('provider_error when the code fails the token request (forged code, PKCE mismatch)', async () => {
    const sub = providerAccount();
    const started = await start();
    const back = await f.authorize(started, { login: sub });
    back.searchParams.set('code', randomBytes(32).toString('base64url'));
    expect(answer(await callback(started, back)).get('login_error')).toBe('provider_error');

    const again = await start();
    if (!again.ok) throw new Error(again.reason);
    const tampered = new URL(again.url);
    tampered.searchParams.set('code_challenge', randomBytes(32).toString('base64url'));
    const back2 = await f.idp.authorize(tampered.href, { login: sub }, f.callbackUrl('corp'));
    expect(answer(await callback(again, back2)).get('login_error')).toBe('provider_error');
    expect(await identity('corp', sub)).toBeUndefined();
  });

  it('provider_error when the response names another issuer, or the provider went away', async () => {
    const sub = providerAccount();
    const started = await start();
    const back = await f.authorize(started, { login: sub });
    back.searchParams.set('iss', 'https://evil.example');
    expect(answer(await callback(started, back)).get('login_error')).toBe('provider_error');

    const again = await start();
    const back2 = await f.authorize(again, { login: sub });
    f.idp.setDown(true);
    try {
      expect(answer(await callback(again, back2)).get('login_error')).toBe('provider_error');
    } finally {
      f.idp.setDown(false);
    }
    expect((await audit('oauth.failure')).filter((a) => a.details.reason === 'provider_error').length).toBeGreaterThanOrEqual(2);
  });
});

describe('the state and its cookie (§2.2, §2.4)', () => {
  it('forged, malformed, missing or repeated states are refused, and do not spend the real one', async () => {
    const sub = providerAccount();
    const started = await start();
    const back = await f.authorize(started, { login: sub });
    const forged = new URL(back);
    forged.searchParams.set('state', randomBytes(32).toString('base64url'));
    expect(await callback(started, forged)).toEqual({ ok: false, reason: 'invalid_state' });
    const flipped = new URL(back);
    const s = back.searchParams.get('state')!;
    flipped.searchParams.set('state', (s[0] === 'A' ? 'B' : 'A') + s.slice(1));
    expect(await callback(started, flipped)).toEqual({ ok: false, reason: 'invalid_state' });
    for (const bad of ['', 'short', s + 'x']) {
      const u = new URL(back);
      u.searchParams.set('state', bad);
      expect(await callback(started, u)).toEqual({ ok: false, reason: 'invalid_state' });
    }
    const none = new URL(back);
    none.searchParams.delete('state');
    expect(await callback(started, none)).toEqual({ ok: false, reason: 'invalid_state' });
    const twice = new URL(back);
    twice.searchParams.append('state', s);
    expect(await callback(started, twice)).toEqual({ ok: false, reason: 'invalid_state' });
    expect(answer(await callback(started, back)).has('login_code')).toBe(true);
  });

  it('a callback without its binding cookie, or with another flow’s, is refused (login CSRF)', async () => {
    const sub = providerAccount();
    const victim = await start();
    const attacker = await start();
    const back = await f.authorize(attacker, { login: sub });
    const q = { provider: 'corp', query: back.search, meta };
    expect(await f.oidc.signIn.callback({ ...q, cookie: undefined })).toEqual({ ok: false, reason: 'invalid_state' });
    expect(await f.oidc.signIn.callback({ ...q, cookie: (victim as { cookie: string }).cookie })).toEqual({ ok: false, reason: 'invalid_state' });
    expect(await f.oidc.signIn.callback({ ...q, cookie: 'not-a-cookie' })).toEqual({ ok: false, reason: 'invalid_state' });
    expect(answer(await f.oidc.signIn.callback({ ...q, cookie: (attacker as { cookie: string }).cookie })).has('login_code')).toBe(true);
  });

  it('a state is good for its own provider only', async () => {
    const sub = providerAccount();
    const started = await start();
    const back = await f.authorize(started, { login: sub });
    expect(await callback(started, back, 'corp-public')).toEqual({ ok: false, reason: 'invalid_state' });
    expect(await callback(started, back, 'nope')).toEqual({ ok: false, reason: 'unknown_provider' });
    expect(answer(await callback(started, back)).has('login_code')).toBe(true);
  });

  it('a replayed state is refused, and of parallel callbacks exactly one proceeds', async () => {
    const sub = providerAccount();
    const started = await start();
    const back = await f.authorize(started, { login: sub });
    const results = await Promise.all(Array.from({ length: 6 }, () => callback(started, back)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'invalid_state')).toHaveLength(5);
    expect(await callback(started, back)).toEqual({ ok: false, reason: 'invalid_state' });
  });

  it('a state older than 10 minutes is refused', async () => {
    const sub = providerAccount();
    const started = await start();
    const back = await f.authorize(started, { login: sub });
    await f.t.ctx.db.updateTable('oauth_states').set({ expires: nowMicros() - 1 }).where('state_digest', '=', sha256Hex(back.searchParams.get('state')!)).execute();
    expect(await callback(started, back)).toEqual({ ok: false, reason: 'invalid_state' });
  });
});

describe('the login code (§2.5)', () => {
  async function freshCode(kind?: string) {
    const sub = providerAccount();
    return loginCode((await flow({ login: sub }, { kind })).result);
  }

  it('is single-use', async () => {
    const code = await freshCode();
    expect((await f.oidc.signIn.exchange(code, meta)).ok).toBe(true);
    expect(await f.oidc.signIn.exchange(code, meta)).toEqual({ ok: false, reason: 'invalid_code' });
  });

  it('20 parallel exchanges of one code give one success', async () => {
    const code = await freshCode();
    const results = await Promise.all(Array.from({ length: 20 }, () => f.oidc.signIn.exchange(code, meta)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'invalid_code')).toHaveLength(19);
  });

  it('expires after 60 seconds; unknown and malformed codes are refused', async () => {
    const code = await freshCode();
    const row = await f.t.ctx.db.selectFrom('oauth_login_codes').selectAll().where('code_digest', '=', sha256Hex(code)).executeTakeFirstOrThrow();
    expect(row.expires - row.created).toBe(60_000_000);
    await f.t.ctx.db.updateTable('oauth_login_codes').set({ expires: nowMicros() - 1 }).where('code_digest', '=', sha256Hex(code)).execute();
    expect(await f.oidc.signIn.exchange(code, meta)).toEqual({ ok: false, reason: 'invalid_code' });
    for (const bad of [randomBytes(32).toString('base64url'), '', 'x', null, 42, code + '=']) {
      expect(await f.oidc.signIn.exchange(bad, meta)).toEqual({ ok: false, reason: 'invalid_code' });
    }
  });

  it('a locked or deactivated account gets no login', async () => {
    const sub = providerAccount();
    const user = await signedInUser((await flow({ login: sub })).result);
    const code = loginCode((await flow({ login: sub })).result);
    await f.t.ctx.db.updateTable('users').set({ locked_until: nowMicros() + 60_000_000 }).where('number', '=', user.number).execute();
    expect(await f.oidc.signIn.exchange(code, meta)).toMatchObject({ ok: false, reason: 'locked', user: { id: user.id } });
    expect((await audit('login.locked', user.id)).map((a) => a.details)).toEqual([{ method: 'oauth', provider: 'corp' }]);
    expect(await f.oidc.signIn.exchange(code, meta)).toEqual({ ok: false, reason: 'invalid_code' });
    await f.t.ctx.lockout.clear(user.number);

    const code2 = loginCode((await flow({ login: sub })).result);
    await f.t.ctx.accounts.update(user.number, { isActive: false });
    expect(await f.oidc.signIn.exchange(code2, meta)).toMatchObject({ ok: false, reason: 'inactive' });
  });
});

describe('linking a provider to the signed-in user (§2.3, §3 rule 1)', () => {
  async function linkFlow(user: User, sub: string) {
    const started = await f.oidc.signIn.link({ provider: 'corp', next: NEXT, user, base: f.t.url });
    const back = await f.authorize(started, { login: sub });
    return callback(started, back);
  }

  it('links, answers linked=<id> again for the same identity, and the identity then signs in', async () => {
    const me = await localUser(`${uniq('me')}@example.org`, { verified: false });
    const sub = providerAccount({ email: `${uniq('other')}@corp.example` });
    const result = await linkFlow(me, sub);
    expect([...answer(result)]).toEqual([['from', 'test'], ['linked', 'corp']]);
    expect(result).toMatchObject({ outcome: 'linked' });
    expect((await audit('oauth.link', me.id)).map((a) => [a.details, a.actor_id])).toEqual([[{ provider: 'corp', via: 'request' }, me.id]]);
    expect(answer(await linkFlow(me, sub)).get('linked')).toBe('corp');
    expect(await identitiesOf(me.number)).toHaveLength(1);
    expect((await signedInUser((await flow({ login: sub })).result)).id).toBe(me.id);
  });

  it('an identity that belongs to someone else gives identity_in_use', async () => {
    const sub = providerAccount();
    const owner = await signedInUser((await flow({ login: sub })).result);
    const intruder = await localUser(`${uniq('intruder')}@example.org`, { verified: true });
    expect(answer(await linkFlow(intruder, sub)).get('login_error')).toBe('identity_in_use');
    expect((await identity('corp', sub))!.user_number).toBe(owner.number);
    expect((await audit('oauth.failure', intruder.id)).map((a) => a.details)).toEqual([{ provider: 'corp', reason: 'identity_in_use' }]);
  });

  it('checks the provider and next; a user deleted mid-flow leaves an invalid state', async () => {
    const me = await localUser(`${uniq('gone')}@example.org`, { verified: true });
    expect(await f.oidc.signIn.link({ provider: 'nope', next: NEXT, user: me, base: f.t.url })).toEqual({ ok: false, reason: 'unknown_provider' });
    expect(await f.oidc.signIn.link({ provider: 'corp', next: '//evil.example', user: me, base: f.t.url })).toEqual({ ok: false, reason: 'next_not_allowed' });
    const sub = providerAccount();
    const started = await f.oidc.signIn.link({ provider: 'corp', next: NEXT, user: me, base: f.t.url });
    const back = await f.authorize(started, { login: sub });
    await f.t.ctx.revocation.deleteUser(me);
    expect(await callback(started, back)).toEqual({ ok: false, reason: 'invalid_state' });
  });
});

describe('metrics', () => {
  it('counts authorization requests and callbacks by provider and outcome (runs last)', async () => {
    const callbacks = await f.t.ctx.metrics.registry.getSingleMetricAsString('gatehouse_oauth_callbacks_total');
    for (const outcome of ['login_code', 'linked', 'invalid_state', 'access_denied', 'provider_error', 'account_exists', 'identity_in_use', 'inactive']) {
      expect(callbacks).toMatch(new RegExp(`gatehouse_oauth_callbacks_total\\{provider="corp",outcome="${outcome}"\\} [1-9]`));
    }
    const starts = await f.t.ctx.metrics.registry.getSingleMetricAsString('gatehouse_oauth_starts_total');
    expect(starts).toMatch(/gatehouse_oauth_starts_total\{provider="corp",outcome="started"\} [1-9]/);
    expect(starts).toMatch(/gatehouse_oauth_starts_total\{provider="down",outcome="unavailable"\} [1-9]/);
  });
});
