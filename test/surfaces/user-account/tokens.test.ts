// user-account.md §2: where the token is read, CSRF, the token error table, revocation,
// near-expiry re-issue and logout. Forged tokens are signed here with jose.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { P, bearer, cookieLine, get, mint, post, registerAndLogin, startUa, userNumber } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startUa();
});
afterAll(async () => {
  await t?.close();
});

const MISSING_BOTH = 'Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")';
const MISSING_BEARER =
  "Missing JWT in headers or cookies (Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'; Missing cookie \"access_token_cookie\")";
const BAD_HEADER = "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'";
const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const raw = (bytes: number[]): string => Buffer.from(bytes).toString('base64url');
const HEADER = b64('{"alg":"HS256","typ":"JWT"}');
const now = (): number => Math.floor(Date.now() / 1000);

async function expectMsg(p: Promise<{ status: number; text: string }>, status: number, message: string): Promise<void> {
  const r = await p;
  expect({ status: r.status, text: r.text }).toEqual({ status, text: JSON.stringify({ msg: message }) });
}

describe('where the token is read (§2.1) and §2.4 header rows', () => {
  it.each(['/profile_settings', '/logout'])('%s without header or cookie → 401 Missing JWT…', async (route) => {
    await expectMsg(get(t, route), 401, MISSING_BOTH);
  });

  it.each(['Basic dXNlcjpwYXNz', 'bearer abc.def.ghi', 'BEARER x', 'Token abc', 'JWT a.b.c'])('a header %j with another scheme and no cookie → 401', async (value) => {
    await expectMsg(get(t, '/profile_settings', { authorization: value }), 401, MISSING_BEARER);
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a b c'])('%j → 422 Bad Authorization header', async (value) => {
    await expectMsg(get(t, '/profile_settings', { authorization: value }), 422, BAD_HEADER);
  });

  it('a bad Bearer header does not fall through to a good cookie', async () => {
    const u = await registerAndLogin(t);
    await expectMsg(get(t, '/profile_settings', { authorization: 'Bearer' }, { access_token_cookie: u.token }), 422, BAD_HEADER);
    await expectMsg(get(t, '/profile_settings', { authorization: 'Bearer x.y' }, { access_token_cookie: u.token }), 422, 'Not enough segments');
  });

  it('a header with another scheme falls through to the cookie', async () => {
    const u = await registerAndLogin(t);
    const r = await get(t, '/profile_settings', { authorization: 'Basic abc' }, { access_token_cookie: u.token });
    expect(r.status).toBe(200);
    expect(r.json.username).toBe(u.username);
  });

  it('the header wins over the cookie', async () => {
    const a = await registerAndLogin(t);
    const b = await registerAndLogin(t);
    const r = await get(t, '/profile_settings', bearer(a.token), { access_token_cookie: b.token });
    expect(r.json.username).toBe(a.username);
    const garbageCookie = await get(t, '/profile_settings', bearer(a.token), { access_token_cookie: 'garbage' });
    expect(garbageCookie.status).toBe(200);
  });

  it('a comma-separated Authorization header is searched for its Bearer field, as the original did', async () => {
    const u = await registerAndLogin(t);
    expect((await get(t, '/profile_settings', { authorization: `Basic abc, Bearer ${u.token}` })).status).toBe(200);
    await expectMsg(get(t, '/profile_settings', { authorization: `Bearer ${u.token}, Bearer ${u.token}` }), 401, MISSING_BEARER);
    await expectMsg(get(t, '/profile_settings', { authorization: `Basic a,, Bearer` }), 422, BAD_HEADER);
  });

  it('an empty cookie counts as no cookie', async () => {
    await expectMsg(get(t, '/profile_settings', {}, { access_token_cookie: '' }), 401, MISSING_BOTH);
  });
});

describe('malformed tokens and bad signatures → 422 with the PyJWT reason (§2.4)', () => {
  const sig = b64('x'.repeat(32));
  it.each([
    ['abc', 'Not enough segments'],
    ['abc.def', 'Not enough segments'],
    [`a.${b64('{}')}.${sig}`, 'Invalid header padding'],
    [`${b64('not json')}.${b64('{}')}.${sig}`, 'Invalid header string: Expecting value: line 1 column 1 (char 0)'],
    [`${b64('{"alg":"HS256",}')}.${b64('{}')}.${sig}`, 'Invalid header string: Expecting property name enclosed in double quotes: line 1 column 16 (char 15)'],
    [`${b64('{"alg":"HS256"}x')}.${b64('{}')}.${sig}`, 'Invalid header string: Extra data: line 1 column 16 (char 15)'],
    [`${b64('["alg"]')}.${b64('{}')}.${sig}`, 'Invalid header string: must be a json object'],
    [`${raw([0xff, 0x7b])}.${b64('{}')}.${sig}`, "Invalid header string: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"],
    [`${raw([0x7b, 0x20, 0xe2, 0x82])}.${b64('{}')}.${sig}`, "Invalid header string: 'utf-8' codec can't decode bytes in position 2-3: unexpected end of data"],
    [`${HEADER}.a.${sig}`, 'Invalid payload padding'],
    [`${HEADER}.${b64('{}')}.a`, 'Invalid crypto padding'],
    [`${HEADER}.${b64('{"sub": 1')}.${sig}`, "Invalid payload string: Expecting ',' delimiter: line 1 column 10 (char 9)"],
    [`${HEADER}.${b64('"sub"')}.${sig}`, 'Invalid payload string: must be a json object'],
    [`${HEADER}.${b64('{"sub":1}')}.${sig}`, 'Signature verification failed'],
    [`${b64('{"alg":"none","typ":"JWT"}')}.${b64('{"sub":1}')}.`, 'The specified alg value is not allowed'],
    [`${b64('{"typ":"JWT"}')}.${b64('{"sub":1}')}.${sig}`, 'The specified alg value is not allowed'],
  ])('%s → %s', async (token, reason) => {
    await expectMsg(get(t, '/profile_settings', bearer(token)), 422, reason);
  });

  it('a token signed with another key, or by another surface → Signature verification failed', async () => {
    const u = await registerAndLogin(t);
    const sub = await userNumber(t, u.username);
    for (const key of [new TextEncoder().encode('some other secret key of 32 bytes!'), t.ctx.secrets.derive('gatehouse/v1/jwt'), t.ctx.secrets.derive('gatehouse/api-user/jwt')]) {
      await expectMsg(get(t, '/profile_settings', bearer(await mint(t, { sub }, key))), 422, 'Signature verification failed');
    }
  });

  it('another algorithm with our key → The specified alg value is not allowed', async () => {
    const token = await mint(t, { sub: 1 }, undefined, { alg: 'HS512', typ: 'JWT' });
    await expectMsg(get(t, '/profile_settings', bearer(token)), 422, 'The specified alg value is not allowed');
  });

  it('a token that is not yet valid → The token is not yet valid (nbf)', async () => {
    await expectMsg(get(t, '/profile_settings', bearer(await mint(t, { nbf: now() + 120 }))), 422, 'The token is not yet valid (nbf)');
  });

  it('the payload is read before the signature, and the signature before expiry', async () => {
    const other = new TextEncoder().encode('another key entirely, 32 bytes..');
    const expiredOther = await mint(t, { exp: now() - 10 }, other);
    await expectMsg(get(t, '/profile_settings', bearer(expiredOther)), 422, 'Signature verification failed');
    const badPayloadOtherKey = `${HEADER}.${b64('{bad')}.${expiredOther.split('.')[2]}`;
    await expectMsg(get(t, '/profile_settings', bearer(badPayloadOtherKey)), 422, 'Invalid payload string: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)');
  });

  it('the same reasons come from the cookie', async () => {
    await expectMsg(get(t, '/profile_settings', {}, { access_token_cookie: 'abc' }), 422, 'Not enough segments');
    await expectMsg(get(t, '/profile_settings', {}, { access_token_cookie: `${HEADER}.${b64('{}')}.a` }), 422, 'Invalid crypto padding');
  });

  it('odd bytes in the header never cause a 500', async () => {
    for (const value of ['Bearer \u00e9\u00e9.\u00ff.\u00a0x', 'Bearer ....', 'Bearer .', `Bearer ${'a'.repeat(8000)}.${'b'.repeat(4000)}.c`, `Bearer ${b64('['.repeat(5000))}.e30.e30`]) {
      const r = await get(t, '/profile_settings', { authorization: value });
      expect(r.status).toBe(422);
      expect(Object.keys(r.json)).toEqual(['msg']);
    }
  });
});

describe('expired, revoked and unknown users (§2.4)', () => {
  it('an expired token → 403 Token has expired, on every route that reads a token', async () => {
    const u = await registerAndLogin(t);
    const sub = await userNumber(t, u.username);
    const expired = await mint(t, { sub, iat: now() - 4000, nbf: now() - 4000, exp: now() - 1 });
    await expectMsg(get(t, '/profile_settings', bearer(expired)), 403, 'Token has expired');
    await expectMsg(get(t, '/logout', bearer(expired)), 403, 'Token has expired');
    await expectMsg(get(t, '/profile_settings', {}, { access_token_cookie: expired }), 403, 'Token has expired');
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, bearer(expired)), 403, 'Token has expired');
  });

  it('a deleted or inactive user → 401 Error loading the user <number>', async () => {
    const a = await registerAndLogin(t);
    const aNumber = await userNumber(t, a.username);
    await t.ctx.revocation.deleteUser((await t.ctx.accounts.byNumber(aNumber))!);
    await expectMsg(get(t, '/profile_settings', bearer(a.token)), 401, `Error loading the user ${aNumber}`);
    const b = await registerAndLogin(t);
    const bNumber = await userNumber(t, b.username);
    await t.ctx.accounts.update(bNumber, { isActive: false });
    await expectMsg(get(t, '/profile_settings', bearer(b.token)), 401, `Error loading the user ${bNumber}`);
    await expectMsg(get(t, '/profile_settings', bearer(await mint(t, { sub: 99_999_999 }))), 401, 'Error loading the user 99999999');
  });

  it('a user whose sessions were all ended (v1.md §0.8) → 401 Token has been revoked', async () => {
    const u = await registerAndLogin(t);
    const user = (await t.ctx.accounts.byUsername(u.username))!;
    await t.ctx.revocation.endAllSessions(user, 'revoked');
    await expectMsg(get(t, '/profile_settings', bearer(u.token)), 401, 'Token has been revoked');
    await expectMsg(get(t, '/profile_settings', {}, { access_token_cookie: u.token }), 401, 'Token has been revoked');
  });
});

describe('CSRF double submit (§2.3)', () => {
  it('a cookie token on POST without X-CSRF-TOKEN → 401 Missing CSRF token, checked before decoding', async () => {
    const u = await registerAndLogin(t);
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, {}, { access_token_cookie: u.token }), 401, 'Missing CSRF token');
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': '' }, { access_token_cookie: u.token }), 401, 'Missing CSRF token');
    await expectMsg(post(t, '/reset_password/whatever', { new_pwd: 'x' }, {}, { access_token_cookie: 'garbage' }), 401, 'Missing CSRF token');
  });

  it('a different X-CSRF-TOKEN → 401 CSRF double submit tokens do not match, checked after decoding', async () => {
    const u = await registerAndLogin(t);
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': 'nope' }, { access_token_cookie: u.token }), 401, 'CSRF double submit tokens do not match');
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': 'nope' }, { access_token_cookie: 'garbage' }), 422, 'Not enough segments');
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': 'é' }, { access_token_cookie: u.token }), 401, 'CSRF double submit tokens do not match');
  });

  it('an expired cookie token with a wrong CSRF header is a CSRF failure, with the right one it is expired', async () => {
    const u = await registerAndLogin(t);
    const expired = await mint(t, { sub: await userNumber(t, u.username), exp: now() - 5, csrf: 'the-csrf' });
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': 'other' }, { access_token_cookie: expired }), 401, 'CSRF double submit tokens do not match');
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': 'the-csrf' }, { access_token_cookie: expired }), 403, 'Token has expired');
  });

  it('the matching header passes (and a valid token is then refused as already authenticated)', async () => {
    const u = await registerAndLogin(t);
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, { 'x-csrf-token': u.csrf }, { access_token_cookie: u.token }), 403, 'user is already authenticated');
  });

  it('GET never needs it, and a header-borne token never does', async () => {
    const u = await registerAndLogin(t);
    expect((await get(t, '/profile_settings', {}, { access_token_cookie: u.token })).status).toBe(200);
    await expectMsg(post(t, '/reset_password_request', { username: u.username }, bearer(u.token)), 403, 'user is already authenticated');
  });
});

describe('optional tokens (§5.3, §5.6)', () => {
  it('no token, or a header of another scheme without a cookie, is simply no token', async () => {
    await expectMsg(post(t, '/reset_password_request', { username: 'no-such-user-here' }), 400, 'user not found');
    await expectMsg(post(t, '/reset_password_request', { username: 'no-such-user-here' }, { authorization: 'Basic abc' }), 400, 'user not found');
  });

  it('a broken token is still refused, before the body is read', async () => {
    const r = await request(t.url, 'POST', P + '/reset_password_request', { body: 'not json', headers: { 'content-type': 'text/plain', authorization: 'Bearer abc' } });
    expect(r.status).toBe(422);
    expect(r.text).toBe('{"msg":"Not enough segments"}');
  });
});

describe('logout (§5.7)', () => {
  it('answers 200, clears the four cookies exactly, and revokes the token everywhere', async () => {
    const u = await registerAndLogin(t);
    const r = await get(t, '/logout', bearer(u.token));
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"msg":"logout successful"}');
    expect(r.setCookies).toEqual(
      ['access_token_cookie', 'csrf_access_token', 'refresh_token_cookie', 'csrf_refresh_token'].map((n) => `${n}=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/`),
    );
    await expectMsg(get(t, '/profile_settings', bearer(u.token)), 401, 'Token has been revoked');
    await expectMsg(get(t, '/profile_settings', {}, { access_token_cookie: u.token }), 401, 'Token has been revoked');
    await expectMsg(get(t, '/logout', bearer(u.token)), 401, 'Token has been revoked');
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'logout').where('user_username', '=', u.username).execute();
    expect(audit).toHaveLength(1);
  });

  it('works from the cookie (GET: no CSRF needed); other tokens of the user stay valid', async () => {
    const u = await registerAndLogin(t);
    const second = (await post(t, '/login', { username: u.username, pwd: u.pwd })).json.token;
    expect((await get(t, '/logout', {}, { access_token_cookie: u.token })).status).toBe(200);
    expect((await get(t, '/profile_settings', bearer(second))).status).toBe(200);
  });
});

describe('near-expiry re-issue (§2.5)', () => {
  async function nearExpiry(): Promise<{ token: string; username: string; sub: number }> {
    const u = await registerAndLogin(t);
    const sub = await userNumber(t, u.username);
    return { token: await mint(t, { sub, iat: now() - 3000, nbf: now() - 3000, exp: now() + 600 }), username: u.username, sub };
  }

  it('a token with under 30 minutes left gets both cookies re-set with a new token (from the header too)', async () => {
    const { token, sub } = await nearExpiry();
    const r = await get(t, '/profile_settings', bearer(token));
    expect(r.status).toBe(200);
    const fresh = r.cookie('access_token_cookie')!;
    const claims = decodeJwt(fresh);
    expect(claims.sub).toBe(sub);
    expect(claims.jti).not.toBe(decodeJwt(token).jti);
    expect(claims.exp! - now()).toBeGreaterThan(3500);
    expect(cookieLine(r, 'access_token_cookie')).toBe(`access_token_cookie=${fresh}; HttpOnly; Path=/`);
    expect(cookieLine(r, 'csrf_access_token')).toBe(`csrf_access_token=${claims.csrf}; Path=/`);
    expect(claims.csrf).not.toBe(decodeJwt(token).csrf);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect((await get(t, '/profile_settings', {}, { access_token_cookie: fresh })).status).toBe(200);
    expect((await get(t, '/profile_settings', bearer(token))).status).toBe(200);
  });

  it('the re-issued token is recorded, so "revoke all" ends it', async () => {
    const { token, username } = await nearExpiry();
    const fresh = (await get(t, '/profile_settings', bearer(token))).cookie('access_token_cookie')!;
    await t.ctx.revocation.endAllSessions((await t.ctx.accounts.byUsername(username))!, 'revoked');
    await expectMsg(get(t, '/profile_settings', bearer(fresh)), 401, 'Token has been revoked');
  });

  it('also on an answer that refuses a valid token (optional routes)', async () => {
    const { token, username } = await nearExpiry();
    const r = await post(t, '/reset_password_request', { username }, bearer(token));
    expect(r.status).toBe(403);
    expect(r.cookie('access_token_cookie')).toBeTruthy();
  });

  it('not with a token that has more than 30 minutes left', async () => {
    const u = await registerAndLogin(t);
    const r = await get(t, '/profile_settings', bearer(u.token));
    expect(r.setCookies).toEqual([]);
    expect(r.headers.get('cache-control')).toBeNull();
  });

  it('never on logout', async () => {
    const { token } = await nearExpiry();
    const r = await get(t, '/logout', bearer(token));
    expect(r.status).toBe(200);
    expect(r.setCookies.every((c) => /^[a-z_]+=; Expires=Thu, 01 Jan 1970/.test(c))).toBe(true);
    expect(r.setCookies).toHaveLength(4);
  });

  it('not when the token was not accepted', async () => {
    const { sub } = await nearExpiry();
    const wrongKey = await mint(t, { sub, exp: now() + 600 }, new TextEncoder().encode('k'.repeat(32)));
    const r = await get(t, '/profile_settings', bearer(wrongKey));
    expect(r.status).toBe(422);
    expect(r.setCookies).toEqual([]);
  });
});
