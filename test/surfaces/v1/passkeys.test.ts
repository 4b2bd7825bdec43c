// Passkeys over HTTP (passkeys.md; v1.md §1, §0.7), with Chromium and CDP virtual authenticators
// as the client: registration and its refusals, management and the last-way-in rule, the
// passwordless login and every way it fails, the counter that goes backwards, the 10-passkey
// limit, single-use challenges under concurrency, and the side effects (audit, mail, events).
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSibling, type TestApp } from '../../helpers/app.js';
import { nowMicros } from '../../../src/core/time.js';
import { V1, Client, bearerHeader, claimsOf, expectJson, request, tokenHeader } from './helpers.js';
import { PASSKEY_KEYS, type PasskeyHttpFixture, TS, rewriteClientData, startPasskeyHttp } from './passkey-support.js';

let f: PasskeyHttpFixture;
let sibling: TestApp;
beforeAll(async () => {
  f = await startPasskeyHttp();
  // The same data behind another RP ID: what a passkey made for one site looks like to another.
  sibling = await startSibling(f.t, { WEBAUTHN_RP_ID: 'app.localhost' });
});
afterAll(async () => {
  await sibling?.close();
  await f?.close();
});

const FAILED = 'Passkey authentication failed.';
const B64URL43 = /^[A-Za-z0-9_-]{43}$/;

const get = (path: string, token: string) => request(f.t.url, 'GET', V1 + path, { headers: tokenHeader(token) });
const post = (path: string, token: string, json?: unknown) => request(f.t.url, 'POST', V1 + path, { headers: tokenHeader(token), json });

/** A user with one passkey on its own authenticator. */
async function enrolled(prefix = 'pk') {
  const { user, token } = await f.user(prefix);
  const client = await f.client();
  const { res } = await f.register(client, token);
  expect(res.status, res.text).toBe(201);
  return { user, token, client, passkeyId: res.json.id as string };
}

async function lastFailureReason(userId?: string): Promise<unknown> {
  const entries = await f.audit('login.failure', userId);
  return entries[entries.length - 1]?.details.reason;
}

async function passkeyRow(id: string) {
  return f.t.ctx.db.selectFrom('passkeys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

describe('POST passkeys/register/options/ (§2.1)', () => {
  it('creation options in the W3C JSON form, for this user and RP', async () => {
    const { user, token } = await f.user('opts');
    const o = await f.creationOptions(token);
    expect(o).toEqual({
      challenge: expect.stringMatching(B64URL43),
      rp: { name: 'Gatehouse', id: 'localhost' },
      user: { id: expect.stringMatching(B64URL43), name: user.email, displayName: user.email },
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 }, { type: 'public-key', alg: -257 }],
      timeout: 300000,
      attestation: 'none',
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
    });
    // The user handle is random and kept: not the UUID, the same on the next options.
    expect(Buffer.from(o.user.id, 'base64url').toString('hex')).not.toContain(user.id.replaceAll('-', ''));
    const again = await f.creationOptions(token);
    expect(again.user.id).toBe(o.user.id);
    expect(again.challenge).not.toBe(o.challenge);
  });

  it('lists the passkeys already registered in excludeCredentials; needs a credential (Token or Bearer)', async () => {
    const { token, client } = await enrolled('excl');
    const o = await f.creationOptions(token);
    expect(o.excludeCredentials).toEqual([{ id: (await client.authenticator.credentials())[0].credentialId.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), type: 'public-key', transports: ['internal'] }]);
    // The browser refuses to make a second passkey on the same authenticator.
    await expect(client.create(o)).rejects.toThrow(/InvalidStateError/);

    const none = await request(f.t.url, 'POST', V1 + 'passkeys/register/options/');
    expectJson(none, 401, 'Authentication credentials were not provided.');
    expect(none.headers.get('www-authenticate')).toBe('Token');
  });

  it('works with a Bearer access token too', async () => {
    const { user } = await f.user('bearer');
    const c = new Client(f.t.url);
    const login = await c.post(V1 + 'login-jwt/', { json: { email: user.email, password: user.password } });
    const r = await request(f.t.url, 'POST', V1 + 'passkeys/register/options/', { headers: bearerHeader(login.json.access) });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
  });
});

describe('POST passkeys/register/ (§2.2)', () => {
  it('201 passkey object; audit, mail notice and passkey.added event', async () => {
    const { user, token } = await f.user('reg');
    const client = await f.client();
    const { res } = await f.register(client, token, { name: '  My laptop  ' });
    expect(res.status, res.text).toBe(201);
    expect(Object.keys(res.json)).toEqual(PASSKEY_KEYS);
    expect(res.json).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'My laptop',
      created: expect.stringMatching(TS),
      last_used: null,
      transports: ['internal'],
      backed_up: false,
      device_type: 'single_device',
    });
    expect((await f.audit('passkey.add', user.id)).map((a) => a.details)).toEqual([
      expect.objectContaining({ id: res.json.id, name: 'My laptop' }),
    ]);
    const mails = await f.mails(user.email);
    expect(mails.map((m) => m.subject)).toContain('A passkey was added to your account');
    const events = await f.events('passkey.added', user.id);
    expect(events).toHaveLength(1);
    expect(events[0].data.user.email).toBe(user.email);
    expect((await get('passkeys/', token)).json).toEqual([res.json]);
  });

  it('a missing or blank name is "Passkey"', async () => {
    const { token } = await f.user('noname');
    const client = await f.client();
    expect((await f.register(client, token)).res.json.name).toBe('Passkey');
    await client.replaceAuthenticator();
    expect((await f.register(client, token, { name: '   ' })).res.json.name).toBe('Passkey');
  });

  it('field errors: v1 wording, in field order, all of them', async () => {
    const { token } = await f.user('fields');
    const reg = (json: unknown) => post('passkeys/register/', token, json);
    expectJson(await reg({}), 400, 'Credential field is required.');
    expectJson(await reg({ credential: null }), 400, 'This field may not be null.');
    expectJson(await reg({ credential: 'garbage' }), 400, 'Credential error. Invalid credential.');
    expectJson(await reg({ credential: [1] }), 400, 'Credential error. Invalid credential.');
    expectJson(await reg({ credential: {} }), 400, 'Credential error. Invalid credential.');
    expectJson(await reg({ credential: { id: 'x', response: {} }, name: 'n' }), 400, 'Credential error. Invalid credential.');
    expectJson(await reg({ name: 'x'.repeat(65) }), 400, ['Credential field is required.', 'Ensure this field has no more than 64 characters.']);
    expectJson(await reg({ credential: 5, name: ['a'] }), 400, ['Credential error. Invalid credential.', 'Name error. Not a valid string.']);
    expectJson(await reg([]), 400, 'Non_Field_Errors error. Invalid data. Expected a dictionary, but got list.');
  });

  it('a name of exactly 64 characters is kept; a form body with the credential as JSON text works', async () => {
    const { token } = await f.user('form');
    const client = await f.client();
    const options = await f.creationOptions(token);
    const credential = await client.create(options);
    const form = new URLSearchParams({ credential: JSON.stringify(credential), name: 'é'.repeat(64) });
    const r = await request(f.t.url, 'POST', V1 + 'passkeys/register/', { headers: tokenHeader(token), body: form });
    expect(r.status, r.text).toBe(201);
    expect(r.json.name).toBe('é'.repeat(64));
  });

  it('the challenge is single-use: the same response again is refused', async () => {
    const { token } = await f.user('reuse');
    const client = await f.client();
    const { res, credential } = await f.register(client, token);
    expect(res.status).toBe(201);
    expectJson(await post('passkeys/register/', token, { credential }), 400, 'Passkey error. Challenge is invalid or expired.');
  });

  it('parallel submissions of one response: one passkey, the others refused', async () => {
    const { token } = await f.user('regrace');
    const client = await f.client();
    const credential = await client.create(await f.creationOptions(token));
    const results = await Promise.all(Array.from({ length: 6 }, () => post('passkeys/register/', token, { credential })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) expect(r.json).toBe('Passkey error. Challenge is invalid or expired.');
    expect((await get('passkeys/', token)).json).toHaveLength(1);
  });

  it('an expired challenge (older than 5 minutes) is refused', async () => {
    const { token } = await f.user('expired');
    const client = await f.client();
    const credential = await client.create(await f.creationOptions(token));
    // Five minutes pass: the stored challenge's expiry is now behind us.
    await f.t.ctx.db.updateTable('webauthn_challenges').set({ expires: nowMicros() - 1 }).where('purpose', '=', 'register').where('challenge', '=', JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString()).challenge).execute();
    expectJson(await post('passkeys/register/', token, { credential }), 400, 'Passkey error. Challenge is invalid or expired.');
  });

  it("a challenge issued to another user is refused, and stays usable by its owner", async () => {
    const a = await f.user('owner');
    const b = await f.user('thief');
    const client = await f.client();
    const credential = await client.create(await f.creationOptions(a.token));
    expectJson(await post('passkeys/register/', b.token, { credential }), 400, 'Passkey error. Challenge is invalid or expired.');
    expect((await post('passkeys/register/', a.token, { credential })).status).toBe(201);
  });

  it('an origin that is not allowed', async () => {
    const { token } = await f.user('origin');
    const client = await f.client(f.otherPage.origin);
    const { res } = await f.register(client, token);
    expectJson(res, 400, 'Passkey error. Origin is not allowed.');
  });

  it('a passkey made for another RP ID (an allowed origin, the wrong site)', async () => {
    const { token } = await f.user('rpid');
    const client = await f.client(f.altOrigin);
    const { res } = await f.register(client, token, {}, { tweak: (o) => (o.rp.id = 'app.localhost') });
    expectJson(res, 400, 'Passkey error. The passkey was made for another site.');
    // And seen from the other side: the sibling's RP is app.localhost; a localhost passkey is refused there.
    const page = await f.client();
    const there = await f.register(page, token, {}, { base: sibling.url, tweak: (o) => (o.rp.id = 'localhost') });
    expectJson(there.res, 400, 'Passkey error. The passkey was made for another site.');
  });

  it('client data of another ceremony type', async () => {
    const { token } = await f.user('type');
    const client = await f.client();
    const { res } = await f.register(client, token, {}, {
      mutate: (c) => (c.response.clientDataJSON = rewriteClientData(c.response.clientDataJSON, (cd) => (cd.type = 'webauthn.get'))),
    });
    expectJson(res, 400, 'Passkey error. The response is not a passkey registration.');
  });

  it("a credential id already registered (to anyone) is refused", async () => {
    const a = await enrolled('dupa');
    const b = await f.user('dupb');
    // The same authenticator response, re-aimed at another account's fresh challenge.
    const theirs = await f.creationOptions(b.token);
    const again = await f.client();
    const fresh = await again.create(await f.creationOptions(a.token));
    const copy = structuredClone(fresh);
    expect((await post('passkeys/register/', a.token, { credential: fresh })).status).toBe(201);
    copy.response.clientDataJSON = rewriteClientData(copy.response.clientDataJSON, (cd) => (cd.challenge = theirs.challenge));
    expectJson(await post('passkeys/register/', b.token, { credential: copy }), 400, 'Passkey error. This passkey is already registered.');
  });
});

describe('at most 10 passkeys per user (§2.1)', () => {
  it('the 11th is refused at the options; parallel registrations never pass 10', async () => {
    const { user, token } = await f.user('limit');
    const client = await f.client();
    for (let i = 0; i < 8; i++) {
      if (i > 0) await client.replaceAuthenticator();
      expect((await f.register(client, token, { name: `key ${i}` })).res.status).toBe(201);
    }
    // Three ceremonies started at 8 passkeys, submitted at once: two fit.
    const credentials = [];
    for (let i = 0; i < 3; i++) {
      await client.replaceAuthenticator();
      credentials.push(await client.create(await f.creationOptions(token)));
    }
    const results = await Promise.all(credentials.map((credential) => post('passkeys/register/', token, { credential })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 400]);
    expect(results.find((r) => r.status === 400)!.json).toBe('You can register at most 10 passkeys.');
    expect((await get('passkeys/', token)).json).toHaveLength(10);
    expectJson(await post('passkeys/register/options/', token), 400, 'You can register at most 10 passkeys.');
    expect(await f.events('passkey.added', user.id)).toHaveLength(10);
  });
});

describe('GET passkeys/, PUT and DELETE passkeys/<id>/ (§2.3)', () => {
  it('lists newest first; renames; 400 for a bad id, 404 for an unknown or foreign one', async () => {
    const { token, client } = await enrolled('mgmt');
    await client.replaceAuthenticator();
    const second = (await f.register(client, token, { name: 'second' })).res.json;
    const list = (await get('passkeys/', token)).json;
    expect(list.map((p: { name: string }) => p.name)).toEqual(['second', 'Passkey']);
    for (const p of list) expect(Object.keys(p)).toEqual(PASSKEY_KEYS);

    const put = (id: string, json: unknown, tok = token) => request(f.t.url, 'PUT', `${V1}passkeys/${id}/`, { headers: tokenHeader(tok), json });
    expectJson(await put(second.id, { name: '  Work phone ' }), 200, { ...second, name: 'Work phone' });
    expectJson(await put(second.id.toUpperCase().replaceAll('-', ''), { name: 'Hex' }), 200, { ...second, name: 'Hex' });
    expectJson(await put(second.id, {}), 400, 'Name field is required.');
    expectJson(await put(second.id, { name: ' ' }), 400, 'Name field cannot be blank.');
    expectJson(await put(second.id, { name: 'x'.repeat(65) }), 400, 'Ensure this field has no more than 64 characters.');
    expectJson(await put('not-a-uuid', { name: 'x' }), 400, 'Badly formed hexadecimal uuid string');
    expectJson(await put(randomUUID(), { name: 'x' }), 404, 'Passkey does not exist.');
    const other = await f.user('mgmt2');
    expectJson(await put(second.id, { name: 'mine now' }, other.token), 404, 'Passkey does not exist.');
    const del = (id: string, tok = token) => request(f.t.url, 'DELETE', `${V1}passkeys/${id}/`, { headers: tokenHeader(tok) });
    expectJson(await del(second.id, other.token), 404, 'Passkey does not exist.');
    expectJson(await del('zz'), 400, 'Badly formed hexadecimal uuid string');
    expect((await get('passkeys/', other.token)).json).toEqual([]);
  });

  it('DELETE: 204, audit, mail notice and passkey.removed event', async () => {
    const { user, token, passkeyId } = await enrolled('del');
    const r = await request(f.t.url, 'DELETE', `${V1}passkeys/${passkeyId}/`, { headers: tokenHeader(token) });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect((await get('passkeys/', token)).json).toEqual([]);
    expect((await f.audit('passkey.remove', user.id)).map((a) => a.details.id)).toEqual([passkeyId]);
    expect((await f.mails(user.email)).map((m) => m.subject)).toContain('A passkey was removed from your account');
    expect(await f.events('passkey.removed', user.id)).toHaveLength(1);
    expectJson(await request(f.t.url, 'DELETE', `${V1}passkeys/${passkeyId}/`, { headers: tokenHeader(token) }), 404, 'Passkey does not exist.');
  });

  it("the admin's two-factor reset removes them (mfa.md §4): count 0, a login with one fails, one passkey.removed each", async () => {
    const { user, token, client } = await enrolled('reset');
    await client.replaceAuthenticator();
    expect((await f.register(client, token)).res.status).toBe(201);
    const staff = await f.t.ctx.accounts.create({ email: `staff-${randomBytes(4).toString('hex')}@example.com`, username: null, password: null, isStaff: true });
    if (!staff.ok) throw new Error('setup');
    const staffToken = (await f.t.ctx.knox.create(staff.user, '127.0.0.1', 'vitest')).token;
    // The passkey fixture mounts v1 only; an instance with the admin surface shares its data.
    const withAdmin = await startSibling(f.t, { SURFACES: 'v1,admin' });
    const admin = (method: string, path: string) => request(withAdmin.url, method, path, { headers: tokenHeader(staffToken) });
    try {
      expect((await admin('GET', `/admin/api/users/${user.id}/`)).json.mfa.passkeys).toBe(2);
      expect((await admin('POST', `/admin/api/users/${user.id}/mfa/reset/`)).status).toBe(204);
      expect((await admin('GET', `/admin/api/users/${user.id}/`)).json.mfa.passkeys).toBe(0);
    } finally {
      await withAdmin.close();
    }
    expect(await f.events('passkey.removed', user.id)).toHaveLength(2);
    // The token that registered them ended with every other session; the passkey no longer logs in.
    expect((await get('passkeys/', token)).status).toBe(401);
    const { challenge_id, credential } = await f.assertion(client);
    expectJson(await f.login({ challenge_id, credential }), 401, FAILED);
  });

  it('the last way in stays (§4): without a usable password or an identity, the last passkey cannot go', async () => {
    // A user made without a password (as a provider sign-in makes them), holding a knox token.
    const made = await f.t.ctx.accounts.create({ email: `nopw-${randomBytes(4).toString('hex')}@example.com`, username: null, password: null });
    if (!made.ok) throw new Error('setup');
    const { token } = await f.t.ctx.knox.create(made.user, '127.0.0.1', 'vitest');
    const client = await f.client();
    const first = (await f.register(client, token)).res.json;
    await client.replaceAuthenticator();
    const second = (await f.register(client, token)).res.json;
    const del = (id: string) => request(f.t.url, 'DELETE', `${V1}passkeys/${id}/`, { headers: tokenHeader(token) });
    // Two removals at once: one goes, the other is the last way in.
    const both = await Promise.all([del(first.id), del(second.id)]);
    expect(both.map((r) => r.status).sort()).toEqual([204, 400]);
    expect(both.find((r) => r.status === 400)!.json).toBe('You cannot remove your last way to sign in.');
    expect((await get('passkeys/', token)).json).toHaveLength(1);
  });

  it('a passkey and an identity removed at once never leave a passwordless user without a way in', async () => {
    for (let round = 0; round < 3; round++) {
      const made = await f.t.ctx.accounts.create({ email: `race-${randomBytes(4).toString('hex')}@example.com`, username: null, password: null });
      if (!made.ok) throw new Error('setup');
      const { token } = await f.t.ctx.knox.create(made.user, '127.0.0.1', 'vitest');
      const client = await f.client();
      const passkey = (await f.register(client, token)).res.json;
      const linked = await f.t.ctx.oidc.identities.insert(made.user.number, 'corp', `sub-${randomBytes(4).toString('hex')}`, made.user.email);
      if (!linked.ok) throw new Error('setup');
      const [a, b] = await Promise.all([
        request(f.t.url, 'DELETE', `${V1}passkeys/${passkey.id}/`, { headers: tokenHeader(token) }),
        request(f.t.url, 'DELETE', `${V1}identities/${linked.identity.id}/`, { headers: tokenHeader(token) }),
      ]);
      expect([a.status, b.status].sort()).toEqual([204, 400]);
      expect([a, b].find((r) => r.status === 400)!.json).toBe('You cannot remove your last way to sign in.');
      const left = (await get('passkeys/', token)).json.length + (await get('identities/', token)).json.length;
      expect(left).toBe(1);
      await client.close();
    }
  });

  it('deleting the user deletes their passkeys (v1.md §0.9)', async () => {
    const { user, token, passkeyId } = await enrolled('gone');
    const r = await request(f.t.url, 'DELETE', V1 + 'me/', { headers: tokenHeader(token), json: { password: user.password } });
    expect(r.status).toBe(204);
    expect(await f.t.ctx.db.selectFrom('passkeys').select('id').where('id', '=', passkeyId).executeTakeFirst()).toBeUndefined();
  });
});

describe('POST login-passkey/options/ (§3.1)', () => {
  it('a challenge id and request options that name nobody; any body is ignored', async () => {
    const a = await request(f.t.url, 'POST', V1 + 'login-passkey/options/', { body: 'anything at all', headers: { 'content-type': 'text/plain' } });
    expect(a.status, a.text).toBe(200);
    expect(Object.keys(a.json)).toEqual(['challenge_id', 'options']);
    expect(a.json.challenge_id).toMatch(B64URL43);
    expect(a.json.options).toEqual({ challenge: expect.stringMatching(B64URL43), timeout: 300000, rpId: 'localhost', allowCredentials: [], userVerification: 'required' });
    expect(a.headers.get('cache-control')).toBe('no-store');
    // A credential header is ignored, even a broken one.
    const b = await request(f.t.url, 'POST', V1 + 'login-passkey/options/', { headers: { authorization: 'Token nonsense' }, json: { email: 'someone@example.com' } });
    expect(b.status).toBe(200);
    expect(b.json.challenge_id).not.toBe(a.json.challenge_id);
    expect(b.json.options.allowCredentials).toEqual([]);
  });
});

describe('POST login-passkey/ (§3.2)', () => {
  it('kind knox (the default): exactly the login-knox/ answer; the token works on mock-login/', async () => {
    const { user, client, passkeyId } = await enrolled('lk');
    const before = await passkeyRow(passkeyId);
    const body = await f.assertion(client);
    const r = await f.login(body);
    expectJson(r, 200, { id: user.id, email: user.email, username: user.username, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(Object.keys(r.json)).toEqual(['id', 'email', 'username', 'token']);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.setCookies).toEqual([]);
    expectJson(await get('mock-login/', r.json.token), 200, 'Hello world.');

    const after = await passkeyRow(passkeyId);
    expect(after.sign_count).toBeGreaterThan(before.sign_count);
    expect(after.last_used).not.toBeNull();
    const fresh = await f.t.ctx.accounts.byId(user.id);
    expect(fresh!.last_login).not.toBeNull();
    const success = await f.audit('login.success', user.id);
    expect(success[success.length - 1].details).toMatchObject({ method: 'passkey', kind: 'knox' });
    const sessions = await f.events('session.created', user.id);
    expect(sessions[sessions.length - 1].data.method).toBe('passkey');
    const listed = (await get('passkeys/', r.json.token)).json;
    expect(listed[0].last_used).toMatch(TS);
  });

  it('kind jwt: exactly the login-jwt/ answer, with the sessionid cookie that token/refresh/ reads', async () => {
    const { user, client } = await enrolled('lj');
    const browser = new Client(f.t.url);
    const r = await browser.post(V1 + 'login-passkey/', { json: { ...(await f.assertion(client)), kind: 'jwt' } });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['refresh', 'access', 'id', 'email', 'username']);
    expect(r.json).toMatchObject({ id: user.id, email: user.email, username: user.username });
    expect(claimsOf(r.json.access)).toMatchObject({ token_type: 'access', user_id: user.id });
    expect(r.cookie('sessionid')).toBeTruthy();
    expectJson(await request(f.t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(r.json.access) }), 200, 'Hello world.');
    const refreshed = await browser.post(V1 + 'token/refresh/');
    expect(refreshed.status, refreshed.text).toBe(200);
  });

  it('field errors; a bad kind; a body that is no dictionary', async () => {
    expectJson(await f.login({}), 400, ['Challenge_Id field is required.', 'Credential field is required.']);
    expectJson(await f.login({ challenge_id: null, credential: 'x', kind: 'session' }), 400, ['This field may not be null.', 'Credential error. Invalid credential.', 'Kind error. Expected knox or jwt.']);
    expectJson(await f.login({ challenge_id: 'abc', credential: { id: 'x' } }), 400, 'Credential error. Invalid credential.');
    expectJson(await f.login('text'), 400, 'Non_Field_Errors error. Invalid data. Expected a dictionary, but got str.');
  });

  it('one answer for every refusal (401, WWW-Authenticate: Token); the reason only in the audit; never a lockout failure', async () => {
    const { user, client, token } = await enrolled('refused');
    const refused = async (reason: string, body: unknown) => {
      const r = await f.login(body);
      expectJson(r, 401, FAILED);
      expect(r.headers.get('www-authenticate')).toBe('Token');
      expect(await lastFailureReason()).toBe(reason);
    };

    // A spent challenge.
    const once = await f.assertion(client);
    expect((await f.login(once)).status).toBe(200);
    await refused('challenge', once);
    // An unknown challenge id.
    await refused('challenge', { ...(await f.assertion(client)), challenge_id: randomBytes(32).toString('base64url') });
    // An expired challenge (5 minutes later).
    const late = await f.assertion(client);
    await f.t.ctx.db.updateTable('webauthn_challenges').set({ expires: nowMicros() - 1 }).where('purpose', '=', 'login').execute();
    await refused('challenge', late);
    // Another ceremony type in the client data.
    const typed = await f.assertion(client);
    typed.credential.response.clientDataJSON = rewriteClientData(typed.credential.response.clientDataJSON, (cd) => (cd.type = 'webauthn.create'));
    await refused('type', typed);
    // Client data that names no type, challenge or origin at all is a wrong one, not a field error.
    const bare = await f.assertion(client);
    bare.credential.response.clientDataJSON = Buffer.from('{}').toString('base64url');
    await refused('type', bare);
    // A bad signature.
    const forged = await f.assertion(client);
    const sig = Buffer.from(forged.credential.response.signature, 'base64url');
    sig[sig.length - 3] ^= 0x01;
    forged.credential.response.signature = sig.toString('base64url');
    await refused('signature', forged);
    // Another user's handle.
    const other = await f.user('handle');
    const theirHandle = (await f.creationOptions(other.token)).user.id;
    const swapped = await f.assertion(client);
    swapped.credential.response.userHandle = theirHandle;
    await refused('user_handle', swapped);
    // No user verification: the client asked for none and the authenticator did none.
    await client.authenticator.setUserVerified(false);
    try {
      await refused('user_verification', await f.assertion(client, { tweak: (o) => (o.userVerification = 'discouraged') }));
    } finally {
      await client.authenticator.setUserVerified(true);
    }
    // A page on an origin the RP does not allow.
    await client.goto(f.otherPage.origin);
    try {
      await refused('origin', await f.assertion(client));
    } finally {
      await client.goto(f.page.origin);
    }

    const fresh = await f.t.ctx.accounts.byId(user.id);
    expect(fresh!.failed_logins).toBe(0);
    expect(fresh!.locked_until).toBeNull();
    // The passkey still works.
    expect((await f.login(await f.assertion(client))).status).toBe(200);
    expect((await get('passkeys/', token)).status).toBe(200);
  });

  it('a passkey made for another RP ID is refused', async () => {
    const { client } = await enrolled('rp');
    // The sibling's RP ID is app.localhost; this passkey belongs to localhost.
    const body = await f.assertion(client, { base: sibling.url, tweak: (o) => (o.rpId = 'localhost') });
    expectJson(await f.login(body, {}, sibling.url), 401, FAILED);
    expect(await lastFailureReason()).toBe('rp_id');
  });

  it('an unknown credential: the server forgot the passkey, the authenticator did not', async () => {
    const { token, client, passkeyId } = await enrolled('forgot');
    expect((await request(f.t.url, 'DELETE', `${V1}passkeys/${passkeyId}/`, { headers: tokenHeader(token) })).status).toBe(204);
    expectJson(await f.login(await f.assertion(client)), 401, FAILED);
    expect(await lastFailureReason()).toBe('unknown_credential');
  });

  it('a sign counter that goes backwards: 401, audit passkey.clone_suspected, the passkey is disabled', async () => {
    const { user, client, passkeyId } = await enrolled('clone');
    const earlier = await f.assertion(client);
    const later = await f.assertion(client);
    expect((await f.login(later)).status).toBe(200);
    expectJson(await f.login(earlier), 401, FAILED);
    const [suspected] = await f.audit('passkey.clone_suspected', user.id);
    expect(suspected.details).toMatchObject({ id: passkeyId });
    expect((await passkeyRow(passkeyId)).disabled_at).not.toBeNull();
    // A disabled passkey logs in no more, even with a good assertion.
    expectJson(await f.login(await f.assertion(client)), 401, FAILED);
    expect(await lastFailureReason(user.id)).toBe('disabled');
  });

  it('one assertion sent in parallel: exactly one login', async () => {
    const { client } = await enrolled('parallel');
    const body = await f.assertion(client);
    const results = await Promise.all(Array.from({ length: 8 }, () => f.login(body)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401, 401, 401]);
  });

  it('a locked account: 403 after a valid assertion; an inactive one: 401 with the bad-credentials text', async () => {
    const { user, client } = await enrolled('acct');
    const lastLogin = (await f.t.ctx.accounts.byId(user.id))!.last_login;
    await f.t.ctx.db.updateTable('users').set({ locked_until: nowMicros() + 60_000_000, failed_logins: 5, last_failure_at: nowMicros() }).where('id', '=', user.id).execute();
    const r = await f.login(await f.assertion(client));
    expectJson(r, 403, 'Locked out due to too many login failures.');
    expect(r.headers.get('www-authenticate')).toBeNull();
    expect((await f.audit('login.locked', user.id)).pop()?.details).toMatchObject({ method: 'passkey' });
    await f.t.ctx.db.updateTable('users').set({ locked_until: null, failed_logins: 0, last_failure_at: null, is_active: 0 }).where('id', '=', user.id).execute();
    expectJson(await f.login(await f.assertion(client)), 401, 'No active account found with the given credentials.');
    expect(await lastFailureReason(user.id)).toBe('inactive');
    expect((await f.t.ctx.accounts.byId(user.id))!.last_login).toBe(lastLogin);
  });

  it('a cross-site request is refused before anything else (v1.md §1.6a); the own origin is fine', async () => {
    const { client } = await enrolled('xsite');
    const body = await f.assertion(client);
    expectJson(await f.login(body, { origin: 'https://evil.example' }), 403, 'Origin checking failed - https://evil.example does not match any trusted origins.');
    // The challenge was not spent by the refused request.
    expect((await f.login(body, { origin: f.t.url })).status).toBe(200);
  });
});

describe('routing and throttling (v1.md §1.1, §1.7)', () => {
  it('the login routes count in the anonymous bucket, the others in the user\'s', async () => {
    const limited = await startSibling(f.t, { THROTTLE_ANON_RATE: '2/min', THROTTLE_USER_RATE: '2/min' });
    try {
      const { token } = await f.user('throttle');
      for (let i = 0; i < 2; i++) expect((await request(limited.url, 'POST', V1 + 'login-passkey/options/')).status).toBe(200);
      const anon = await request(limited.url, 'POST', V1 + 'login-passkey/', { json: {} });
      expect(anon.status).toBe(429);
      expect(anon.headers.get('retry-after')).toMatch(/^\d+$/);
      for (let i = 0; i < 2; i++) expect((await request(limited.url, 'GET', V1 + 'passkeys/', { headers: tokenHeader(token) })).status).toBe(200);
      expect((await request(limited.url, 'POST', V1 + 'passkeys/register/options/', { headers: tokenHeader(token) })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });

  it('OPTIONS names each view; other methods are 405 with Allow', async () => {
    const { token } = await f.user('opt');
    const names: Array<[string, string, string]> = [
      ['passkeys/', 'Passkeys', 'GET, HEAD, OPTIONS'],
      ['passkeys/register/options/', 'Passkey Registration Options', 'POST, OPTIONS'],
      ['passkeys/register/', 'Passkey Registration', 'POST, OPTIONS'],
      [`passkeys/${randomUUID()}/`, 'Passkey Detail', 'PUT, DELETE, OPTIONS'],
      ['login-passkey/options/', 'Passkey Login Options', 'POST, OPTIONS'],
      ['login-passkey/', 'Passkey Login', 'POST, OPTIONS'],
    ];
    for (const [path, name, allow] of names) {
      const r = await request(f.t.url, 'OPTIONS', V1 + path, { headers: tokenHeader(token) });
      expect(r.status, path).toBe(200);
      expect(r.json.name).toBe(name);
      expect(r.headers.get('allow')).toBe(allow);
    }
    expectJson(await request(f.t.url, 'GET', V1 + 'login-passkey/'), 405, { detail: 'Method "GET" not allowed.' });
    const slashless = await request(f.t.url, 'POST', V1 + 'login-passkey');
    expect(slashless.status).toBe(301);
    expect(slashless.headers.get('location')).toBe(V1 + 'login-passkey/');
  });
});

