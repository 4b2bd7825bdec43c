// Two-factor enrolment and management over HTTP (mfa.md §1, §2): GET mfa/, POST and DELETE
// mfa/totp/, POST mfa/totp/confirm/ and mfa/recovery-codes/, with every field error, refusal,
// header and side effect (sessions, audit, mail, events), on the real app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import type { TestApp } from '../../helpers/app.js';
import { Client, PASSWORD, V1, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';
import { Authenticator, auditOf, enrolOver, enrolledUser, eventsOf, mailsTo, nowStep, codeOfStep } from './mfa-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

const RECOVERY_CODE = /^[abcdefghjkmnpqrstuvwxyz23456789]{5}-[abcdefghjkmnpqrstuvwxyz23456789]{5}$/;

function post(path: string, token: string, json?: unknown) {
  return request(t.url, 'POST', V1 + path, { json, headers: tokenHeader(token) });
}

function del(path: string, token: string, json?: unknown) {
  return request(t.url, 'DELETE', V1 + path, { json, headers: tokenHeader(token) });
}

async function status(token: string) {
  const r = await request(t.url, 'GET', V1 + 'mfa/', { headers: tokenHeader(token) });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

/** A user made by the core without a password (as a social login makes one), and a knox token. */
async function passwordlessUser() {
  const tag = Math.random().toString(36).slice(2, 10);
  const made = await t.ctx.accounts.create({ email: `social-${tag}@example.com`, username: `social-${tag}`, password: null });
  if (!made.ok) throw new Error('fixture');
  const { token } = await t.ctx.knox.create(made.user, '127.0.0.1', 'vitest');
  return { user: made.user, token };
}

describe('the routes', () => {
  it('answer OPTIONS with their view names and Allow', async () => {
    const names: [string, string, string][] = [
      ['mfa/', 'MFA', 'GET, HEAD, OPTIONS'],
      ['mfa/totp/', 'MFA TOTP', 'POST, DELETE, OPTIONS'],
      ['mfa/totp/confirm/', 'MFA TOTP Confirm', 'POST, OPTIONS'],
      ['mfa/recovery-codes/', 'MFA Recovery Codes', 'POST, OPTIONS'],
      ['login/mfa/', 'MFA Login', 'POST, OPTIONS'],
    ];
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    for (const [path, name, allow] of names) {
      const r = await request(t.url, 'OPTIONS', V1 + path, { headers: tokenHeader(token) });
      expect(r.status, path).toBe(200);
      expect(r.json.name).toBe(name);
      expect(r.headers.get('allow')).toBe(allow);
    }
  });

  it('are described in /openapi.json: ids, tags, security (none for login/mfa/), the answers', async () => {
    const doc = (await request(t.url, 'GET', '/openapi.json')).json;
    const ops: [string, string, string][] = [
      ['/v1/user/mfa/', 'get', 'v1MfaStatus'],
      ['/v1/user/mfa/totp/', 'post', 'v1MfaTotpStart'],
      ['/v1/user/mfa/totp/', 'delete', 'v1MfaTotpDisable'],
      ['/v1/user/mfa/totp/confirm/', 'post', 'v1MfaTotpConfirm'],
      ['/v1/user/mfa/recovery-codes/', 'post', 'v1MfaRecoveryCodes'],
      ['/v1/user/login/mfa/', 'post', 'v1LoginMfa'],
    ];
    for (const [path, method, id] of ops) {
      const op = doc.paths[path]?.[method];
      expect(op?.operationId, `${method} ${path}`).toBe(id);
      expect(op.tags).toEqual(['v1']);
      expect(op.summary).toBeTruthy();
      expect(op.security).toEqual(path === '/v1/user/login/mfa/' ? [] : [{ knoxToken: [] }, { v1Bearer: [] }]);
    }
    expect(Object.keys(doc.paths['/v1/user/login/mfa/'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '429']));
    expect(Object.keys(doc.paths['/v1/user/mfa/totp/'].post.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '409']));
  });

  it('need a credential (login/mfa/ excepted), and refuse other methods with 405', async () => {
    for (const path of ['mfa/', 'mfa/totp/', 'mfa/totp/confirm/', 'mfa/recovery-codes/']) {
      const r = await request(t.url, path === 'mfa/' ? 'GET' : 'POST', V1 + path);
      expectJson(r, 401, 'Authentication credentials were not provided.');
      expect(r.headers.get('www-authenticate')).toBe('Token');
    }
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    const r = await request(t.url, 'PUT', V1 + 'mfa/totp/', { headers: tokenHeader(token) });
    expectJson(r, 405, { detail: 'Method "PUT" not allowed.' });
    const slashless = await request(t.url, 'GET', '/v1/user/mfa', { headers: tokenHeader(token) });
    expect(slashless.status).toBe(301);
    expect(slashless.headers.get('location')).toBe('/v1/user/mfa/');
  });
});

describe('GET mfa/', () => {
  it('is off, with no codes and no passkeys, for a new account', async () => {
    const user = await registerUser(t.url);
    expect(await status(await knoxLogin(t.url, user))).toEqual({ totp: false, recovery_codes_left: 0, passkeys: 0 });
  });

  it('shows TOTP on with 10 codes left, for a Bearer credential too', async () => {
    const u = await enrolledUser(t.url);
    expect(await status(u.token)).toEqual({ totp: true, recovery_codes_left: 10, passkeys: 0 });
    const client = new Client(t.url);
    const mfaToken = (await client.post(V1 + 'login-jwt/', { json: { email: u.email, password: u.password } })).json.mfa_token;
    const done = await client.post(V1 + 'login/mfa/', { json: { mfa_token: mfaToken, code: u.recoveryCodes[0] } });
    expect(done.status, done.text).toBe(200);
    const r = await request(t.url, 'GET', V1 + 'mfa/', { headers: bearerHeader(done.json.access) });
    expectJson(r, 200, { totp: true, recovery_codes_left: 9, passkeys: 0 });
  });
});

describe('POST mfa/totp/ (start)', () => {
  it('checks the password field as v1 does, then the password', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    expectJson(await post('mfa/totp/', token, {}), 400, 'Password field is required.');
    expectJson(await post('mfa/totp/', token), 400, 'Password field is required.');
    expectJson(await post('mfa/totp/', token, { password: null }), 400, 'This field may not be null.');
    expectJson(await post('mfa/totp/', token, { password: '   ' }), 400, 'Password field cannot be blank.');
    expectJson(await post('mfa/totp/', token, { password: ['x'] }), 400, 'Password error. Not a valid string.');
    expectJson(await post('mfa/totp/', token, { password: 'x'.repeat(129) }), 400, 'Ensure this field has no more than 128 characters.');
    expectJson(await post('mfa/totp/', token, { password: 'Wrong,123' }), 400, 'Password error. Incorrect password.');
    expectJson(await post('mfa/totp/', token, [1]), 400, 'Non_Field_Errors error. Invalid data. Expected a dictionary, but got list.');
    expect(await status(token)).toEqual({ totp: false, recovery_codes_left: 0, passkeys: 0 });
  });

  it('answers the secret, the exact otpauth URL and an SVG QR code, never stored', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    // Trimmed, as password/change/ trims.
    const r = await post('mfa/totp/', token, { password: `  ${user.password} ` });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['secret', 'otpauth_url', 'qr_svg']);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const { secret } = r.json;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(r.json.otpauth_url).toBe(`otpauth://totp/Gatehouse:${encodeURIComponent(user.email)}?secret=${secret}&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30`);
    expect(r.json.qr_svg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    expect(r.json.qr_svg).toContain('viewBox');
    // Sealed at rest: the secret appears in no column of the factor's row.
    const row = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', (await t.ctx.accounts.byId(user.id))!.number).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(secret);
    // Pending only: logins are unchanged.
    const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    expect(login.json.token).toMatch(/^[0-9a-f]{64}$/);
    expect(await status(token)).toEqual({ totp: false, recovery_codes_left: 0, passkeys: 0 });
  });

  it('labels an account without email by its username, and one without either by its id', async () => {
    const made = await t.ctx.accounts.create({ email: null, username: 'Ünïcode user', password: PASSWORD });
    if (!made.ok) throw new Error('fixture');
    const byName = await post('mfa/totp/', (await t.ctx.knox.create(made.user, null, null)).token, { password: PASSWORD });
    expect(byName.json.otpauth_url).toMatch(/^otpauth:\/\/totp\/Gatehouse:%C3%9Cn%C3%AFcode%20user\?secret=/);
    const bare = await t.ctx.accounts.create({ email: null, username: null, password: PASSWORD });
    if (!bare.ok) throw new Error('fixture');
    const byId = await post('mfa/totp/', (await t.ctx.knox.create(bare.user, null, null)).token, { password: PASSWORD });
    expect(byId.json.otpauth_url).toMatch(new RegExp(`^otpauth://totp/Gatehouse:${bare.user.id}\\?secret=`));
  });

  it('a new start replaces the pending secret: only the newest one confirms', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    const first = (await post('mfa/totp/', token, { password: user.password })).json.secret;
    const second = (await post('mfa/totp/', token, { password: user.password })).json.secret;
    expect(second).not.toBe(first);
    expectJson(await post('mfa/totp/confirm/', token, { code: await generate({ secret: first }) }), 400, 'Code error. Invalid code.');
    const r = await post('mfa/totp/confirm/', token, { code: await generate({ secret: second }) });
    expect(r.status, r.text).toBe(200);
  });

  it('409 once TOTP is on, even before the password is checked', async () => {
    const u = await enrolledUser(t.url);
    expectJson(await post('mfa/totp/', u.token, { password: u.password }), 409, 'Two-factor authentication is already enabled.');
    expectJson(await post('mfa/totp/', u.token, { password: 'Wrong,123' }), 409, 'Two-factor authentication is already enabled.');
    expectJson(await post('mfa/totp/', u.token, {}), 400, 'Password field is required.');
  });

  it('an account without a password is not asked for one: any value is ignored', async () => {
    const { token } = await passwordlessUser();
    const r = await post('mfa/totp/', token, {});
    expect(r.status, r.text).toBe(200);
    const again = await post('mfa/totp/', token, { password: true });
    expect(again.status, again.text).toBe(200);
    const confirmed = await post('mfa/totp/confirm/', token, { code: await generate({ secret: again.json.secret }) });
    expect(confirmed.status).toBe(200);
    expect(await status(token)).toEqual({ totp: true, recovery_codes_left: 10, passkeys: 0 });
  });
});

describe('POST mfa/totp/confirm/', () => {
  it('checks the code field, then whether a setup is pending', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    expectJson(await post('mfa/totp/confirm/', token, {}), 400, 'Code field is required.');
    expectJson(await post('mfa/totp/confirm/', token, { code: null }), 400, 'This field may not be null.');
    expectJson(await post('mfa/totp/confirm/', token, { code: ' ' }), 400, 'Code field cannot be blank.');
    expectJson(await post('mfa/totp/confirm/', token, { code: '123456' }), 400, 'Two-factor setup was not started or has expired.');
  });

  it('a wrong or malformed code leaves the setup pending; a code typed with spaces, or as a number, confirms', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    const { secret } = (await post('mfa/totp/', token, { password: user.password })).json;
    const right = await codeOfStep(secret, nowStep());
    const wrong = right === '000000' ? '111111' : '000000';
    expectJson(await post('mfa/totp/confirm/', token, { code: wrong }), 400, 'Code error. Invalid code.');
    expectJson(await post('mfa/totp/confirm/', token, { code: 'abcde-fghjk' }), 400, 'Code error. Invalid code.');
    expectJson(await post('mfa/totp/confirm/', token, { code: '12345' }), 400, 'Code error. Invalid code.');
    expectJson(await post('mfa/totp/confirm/', token, { code: true }), 400, 'Code error. Not a valid string.');
    // Beyond the next step is outside the window.
    expectJson(await post('mfa/totp/confirm/', token, { code: await codeOfStep(secret, nowStep() + 3) }), 400, 'Code error. Invalid code.');
    const code = await codeOfStep(secret, nowStep() + 1);
    const typed = code[0] === '0' ? `${code.slice(0, 3)} ${code.slice(3)}` : Number(code);
    const r = await post('mfa/totp/confirm/', token, { code: typed });
    expect(r.status, r.text).toBe(200);
  });

  it('a setup older than 10 minutes has expired', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    const { secret } = (await post('mfa/totp/', token, { password: user.password })).json;
    const number = (await t.ctx.accounts.byId(user.id))!.number;
    await t.ctx.db.updateTable('mfa_totp').set({ pending_expires: Date.now() * 1000 - 1 }).where('user_number', '=', number).execute();
    expectJson(await post('mfa/totp/confirm/', token, { code: await generate({ secret }) }), 400, 'Two-factor setup was not started or has expired.');
  });

  it('turns TOTP on: 10 recovery codes, no-store; every other session ends, this one survives; audit, mail, event', async () => {
    const user = await registerUser(t.url);
    const used = await knoxLogin(t.url, user);
    const otherKnox = await knoxLogin(t.url, user);
    const otherJwt = await jwtLogin(new Client(t.url), user);
    const { secret } = (await post('mfa/totp/', used, { password: user.password })).json;
    const r = await post('mfa/totp/confirm/', used, { code: await generate({ secret }) });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(r.json)).toEqual(['recovery_codes']);
    const codes: string[] = r.json.recovery_codes;
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(RECOVERY_CODE);
    expect(new Set(codes).size).toBe(10);

    expect(await status(used)).toEqual({ totp: true, recovery_codes_left: 10, passkeys: 0 });
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(otherKnox) }), 401, 'Invalid token.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(otherJwt.access) }), 401, 'Invalid token.');

    // Only digests of the codes are stored.
    const number = (await t.ctx.accounts.byId(user.id))!.number;
    const stored = await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', number).execute();
    expect(stored).toHaveLength(10);
    const dump = JSON.stringify(stored);
    for (const c of codes) {
      expect(dump).not.toContain(c);
      expect(dump).not.toContain(c.replace('-', ''));
    }
    const enable = await auditOf(t, user.id, 'mfa.enable');
    expect(enable).toHaveLength(1);
    expect(enable[0].surface).toBe('v1');
    const mails = await mailsTo(t, user.email);
    expect(mails.map((m) => m.subject)).toContain('Two-factor authentication was turned on');
    const events = await eventsOf(t, user.id);
    expect(events.map((e) => e.type)).toContain('mfa.enabled');
    expect(events.filter((e) => e.type === 'session.revoked').map((e) => e.data.reason)).toEqual(['mfa_enabled']);
    // Confirming again: nothing is pending any more.
    expectJson(await post('mfa/totp/confirm/', used, { code: await generate({ secret }) }), 400, 'Two-factor setup was not started or has expired.');
  });

  it('with a Bearer credential, that JWT login survives and the knox tokens end', async () => {
    const user = await registerUser(t.url);
    const knox = await knoxLogin(t.url, user);
    const client = new Client(t.url);
    const { access } = await jwtLogin(client, user);
    const { secret } = (await request(t.url, 'POST', V1 + 'mfa/totp/', { json: { password: user.password }, headers: bearerHeader(access) })).json;
    const r = await request(t.url, 'POST', V1 + 'mfa/totp/confirm/', { json: { code: await generate({ secret }) }, headers: bearerHeader(access) });
    expect(r.status, r.text).toBe(200);
    expect((await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(access) })).status).toBe(200);
    expect((await client.post(V1 + 'token/refresh/')).status).toBe(200);
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(knox) }), 401, 'Invalid token.');
  });
});

describe('DELETE mfa/totp/', () => {
  it('checks the fields, then whether TOTP is on, then the password, then the code', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    expectJson(await del('mfa/totp/', token, {}), 400, ['Password field is required.', 'Code field is required.']);
    expectJson(await del('mfa/totp/', token, { password: '', code: null }), 400, ['Password field cannot be blank.', 'This field may not be null.']);
    expectJson(await del('mfa/totp/', token, { password: 'Wrong,123', code: '123456' }), 400, 'Two-factor authentication is not enabled.');
    const { token: enrolled, recoveryCodes, password } = await enrolledUser(t.url);
    expectJson(await del('mfa/totp/', enrolled, { password: 'Wrong,123', code: recoveryCodes[0] }), 400, 'Password error. Incorrect password.');
    expectJson(await del('mfa/totp/', enrolled, { password, code: '000000' }), 400, 'Code error. Invalid code.');
    expectJson(await del('mfa/totp/', enrolled, { password, code: 'not a code' }), 400, 'Code error. Invalid code.');
    // Nothing was spent by the refused requests.
    expect(await status(enrolled)).toEqual({ totp: true, recovery_codes_left: 10, passkeys: 0 });
    const r = await del('mfa/totp/', enrolled, { password, code: recoveryCodes[0] });
    expect(r.status, r.text).toBe(204);
    expect(r.text).toBe('');
  });

  it('with a TOTP code: off; secret and codes deleted; logins ask for the password only; audit, mail, event', async () => {
    const u = await enrolledUser(t.url);
    const r = await del('mfa/totp/', u.token, { password: u.password, code: await u.totp.next() });
    expect(r.status, r.text).toBe(204);
    expect(await status(u.token)).toEqual({ totp: false, recovery_codes_left: 0, passkeys: 0 });
    const number = (await t.ctx.accounts.byId(u.id))!.number;
    expect(await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', number).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', number).execute()).toEqual([]);
    const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: u.password } });
    expect(login.status).toBe(200);
    expect(login.json.token).toMatch(/^[0-9a-f]{64}$/);
    const disable = await auditOf(t, u.id, 'mfa.disable');
    expect(disable.map((a) => a.details)).toEqual([{ mfa: 'totp' }]);
    expect((await mailsTo(t, u.email)).map((m) => m.subject)).toContain('Two-factor authentication was turned off');
    expect((await eventsOf(t, u.id)).map((e) => e.type).filter((type) => type.startsWith('mfa.'))).toEqual(['mfa.enabled', 'mfa.disabled']);
  });

  it('with a recovery code typed in upper case, with spaces', async () => {
    const u = await enrolledUser(t.url);
    const typed = ` ${u.recoveryCodes[3].toUpperCase().replace('-', ' - ')} `;
    const r = await del('mfa/totp/', u.token, { password: u.password, code: typed });
    expect(r.status, r.text).toBe(204);
    expect((await auditOf(t, u.id, 'mfa.disable')).map((a) => a.details)).toEqual([{ mfa: 'recovery_code' }]);
  });

  it('the code of the step that confirmed the setup is never accepted again', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    const { totp } = await enrolOver(t.url, user, token);
    const confirmed = await totp.replay(totp.floor);
    expectJson(await del('mfa/totp/', token, { password: user.password, code: confirmed }), 400, 'Code error. Invalid code.');
  });

  it('an account without a password turns it off with the code alone', async () => {
    const { token } = await passwordlessUser();
    const { secret } = (await post('mfa/totp/', token, {})).json;
    const totp = new Authenticator(secret);
    const codes = (await post('mfa/totp/confirm/', token, { code: await totp.next() })).json.recovery_codes;
    expectJson(await del('mfa/totp/', token, {}), 400, 'Code field is required.');
    expect((await del('mfa/totp/', token, { password: 'whatever', code: codes[0] })).status).toBe(204);
  });
});

describe('POST mfa/recovery-codes/', () => {
  it('checks the password field, then whether TOTP is on, then the password', async () => {
    const user = await registerUser(t.url);
    const token = await knoxLogin(t.url, user);
    expectJson(await post('mfa/recovery-codes/', token, {}), 400, 'Password field is required.');
    expectJson(await post('mfa/recovery-codes/', token, { password: 'Wrong,123' }), 400, 'Two-factor authentication is not enabled.');
    const u = await enrolledUser(t.url);
    expectJson(await post('mfa/recovery-codes/', u.token, { password: 'Wrong,123' }), 400, 'Password error. Incorrect password.');
  });

  it('a new set of 10 voids the old one; audit, mail', async () => {
    const u = await enrolledUser(t.url);
    const r = await post('mfa/recovery-codes/', u.token, { password: u.password });
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const fresh: string[] = r.json.recovery_codes;
    expect(fresh).toHaveLength(10);
    for (const c of fresh) expect(c).toMatch(RECOVERY_CODE);
    expect(fresh.filter((c) => u.recoveryCodes.includes(c))).toEqual([]);
    expect(await status(u.token)).toEqual({ totp: true, recovery_codes_left: 10, passkeys: 0 });
    expectJson(await del('mfa/totp/', u.token, { password: u.password, code: u.recoveryCodes[1] }), 400, 'Code error. Invalid code.');
    expect((await auditOf(t, u.id, 'mfa.recovery_codes'))).toHaveLength(1);
    expect((await mailsTo(t, u.email)).map((m) => m.subject)).toContain('New recovery codes were made');
    expect((await del('mfa/totp/', u.token, { password: u.password, code: fresh[9] })).status).toBe(204);
  });
});

describe('MFA_ISSUER', () => {
  let custom: TestApp;
  beforeAll(async () => {
    custom = await startV1({ MFA_ISSUER: 'Acme Corp & Co' });
  });
  afterAll(async () => {
    await custom?.close();
  });

  it('names the issuer in the otpauth URL, percent-encoded', async () => {
    const user = await registerUser(custom.url);
    const token = await knoxLogin(custom.url, user);
    const r = await request(custom.url, 'POST', V1 + 'mfa/totp/', { json: { password: user.password }, headers: tokenHeader(token) });
    const issuer = 'Acme%20Corp%20%26%20Co';
    expect(r.json.otpauth_url).toBe(`otpauth://totp/${issuer}:${encodeURIComponent(user.email)}?secret=${r.json.secret}&issuer=${issuer}&algorithm=SHA1&digits=6&period=30`);
  });
});
