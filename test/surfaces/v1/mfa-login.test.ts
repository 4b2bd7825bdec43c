// Logging in with the second factor over HTTP (mfa.md §3.1, §3.2, §3.3 for v1): the challenge
// of login-knox/ and login-jwt/, and login/mfa/ with every answer, the lockout it takes part
// in, and the side effects of the login it completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { Client, V1, bearerHeader, expectJson, request, startV1, tokenHeader } from './helpers.js';
import { auditOf, challengeOf, enrolledUser, eventsOf, mailsTo, secondStep, userRow, waitForMail } from './mfa-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

const INVALID_TOKEN = 'Invalid or expired MFA token.';

function wrongCode(right: string): string {
  return right === '000000' ? '111111' : '000000';
}

describe('login-knox/ and login-jwt/ for an account with TOTP on (§3.1)', () => {
  it('answer the challenge: no credential, no cookie, no last_login, no login.success', async () => {
    const u = await enrolledUser(t.url);
    const before = await userRow(t, u.id);
    for (const kind of ['knox', 'jwt'] as const) {
      const r = await request(t.url, 'POST', V1 + `login-${kind}/`, { json: { email: u.email, password: u.password } });
      expect(r.status, r.text).toBe(200);
      expect(Object.keys(r.json)).toEqual(['mfa_required', 'mfa_token', 'methods']);
      expect(r.json).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), methods: ['totp', 'recovery_code'] });
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.setCookies).toEqual([]);
    }
    const after = await userRow(t, u.id);
    expect(after.last_login).toBe(before.last_login);
    const challenges = await auditOf(t, u.id, 'login.mfa_challenge');
    expect(challenges.map((a) => a.details)).toEqual([{ method: 'knox' }, { method: 'jwt' }]);
    // The only success is the login that turned TOTP on.
    expect(await auditOf(t, u.id, 'login.success')).toHaveLength(1);
    // Only a digest of each token is kept.
    const stored = await t.ctx.db.selectFrom('mfa_challenges').select('digest').where('user_number', '=', after.number).execute();
    expect(stored.every((s) => /^[0-9a-f]{64}$/.test(s.digest))).toBe(true);
  });

  it('a wrong password is still the ordinary 401, and counts; the password step alone does not clear the streak', async () => {
    const u = await enrolledUser(t.url);
    for (let i = 0; i < 2; i++) {
      const r = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: 'Wrong,123' } });
      expectJson(r, 401, 'No active account found with the given credentials.');
    }
    const mfaToken = await challengeOf(t.url, 'knox', u);
    expect((await userRow(t, u.id)).failed_logins).toBe(2);
    const r = await secondStep(t.url, mfaToken, await u.totp.next());
    expect(r.status, r.text).toBe(200);
    expect((await userRow(t, u.id)).failed_logins).toBe(0);
  });
});

describe('POST login/mfa/ (§3.2)', () => {
  it('checks its fields in order', async () => {
    expectJson(await request(t.url, 'POST', V1 + 'login/mfa/', { json: {} }), 400, ['Mfa_Token field is required.', 'Code field is required.']);
    expectJson(await request(t.url, 'POST', V1 + 'login/mfa/'), 400, ['Mfa_Token field is required.', 'Code field is required.']);
    expectJson(await request(t.url, 'POST', V1 + 'login/mfa/', { json: { mfa_token: ' ', code: null } }), 400, ['Mfa_Token field cannot be blank.', 'This field may not be null.']);
    expectJson(await request(t.url, 'POST', V1 + 'login/mfa/', { json: { mfa_token: 'x', code: '' } }), 400, 'Code field cannot be blank.');
    expectJson(await request(t.url, 'POST', V1 + 'login/mfa/', { json: 'x' }), 400, 'Non_Field_Errors error. Invalid data. Expected a dictionary, but got str.');
    const form = await request(t.url, 'POST', V1 + 'login/mfa/', { body: 'mfa_token=' + 'a'.repeat(43) + '&code=123456', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expectJson(form, 401, INVALID_TOKEN);
  });

  it('an unknown token: 401, WWW-Authenticate Token, nothing counted', async () => {
    const r = await secondStep(t.url, 'A'.repeat(43), '123456');
    expectJson(r, 401, INVALID_TOKEN);
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expectJson(await secondStep(t.url, 'short', '123456'), 401, INVALID_TOKEN);
  });

  it('completes a knox login: its exact answer and side effects; the token is single-use', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    // The trimmed token; the header is ignored even when it is broken.
    const r = await secondStep(t.url, ` ${mfaToken} `, await u.totp.next(), { authorization: 'Token a b c' });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['id', 'email', 'username', 'token']);
    expect(r.json).toEqual({ id: u.id, email: u.email, username: u.username, token: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.setCookies).toEqual([]);
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(r.json.token) }), 200, 'Hello world.');
    const row = await userRow(t, u.id);
    expect(row.last_login).not.toBeNull();
    const success = await auditOf(t, u.id, 'login.success');
    expect(success.at(-1)!.details).toEqual({ method: 'knox', mfa: 'totp' });
    const created = (await eventsOf(t, u.id)).filter((e) => e.type === 'session.created');
    expect(created.at(-1)!.data).toMatchObject({ surface: 'v1', method: 'knox' });
    expectJson(await secondStep(t.url, mfaToken, u.recoveryCodes[0]), 401, INVALID_TOKEN);
  });

  it('completes a JWT login: the JWT body, the sessionid cookie holding the refresh', async () => {
    const u = await enrolledUser(t.url);
    const client = new Client(t.url);
    const started = await client.post(V1 + 'login-jwt/', { json: { email: u.email, password: u.password } });
    expect(started.setCookies).toEqual([]);
    const r = await client.post(V1 + 'login/mfa/', { json: { mfa_token: started.json.mfa_token, code: await u.totp.next() } });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json)).toEqual(['refresh', 'access', 'id', 'email', 'username']);
    expect(r.json).toMatchObject({ id: u.id, email: u.email, username: u.username });
    expect(r.cookie('sessionid')).toBeTruthy();
    expect(r.headers.get('cache-control')).toBe('no-store');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(r.json.access) }), 200, 'Hello world.');
    const refreshed = await client.post(V1 + 'token/refresh/');
    expect(refreshed.status, refreshed.text).toBe(200);
    expect((await auditOf(t, u.id, 'login.success')).at(-1)!.details).toEqual({ method: 'jwt', mfa: 'totp' });
  });

  it('a recovery code: spent once; audit, and a mail saying how many are left', async () => {
    const u = await enrolledUser(t.url);
    const r = await secondStep(t.url, await challengeOf(t.url, 'knox', u), u.recoveryCodes[4].toUpperCase());
    expect(r.status, r.text).toBe(200);
    expect((await auditOf(t, u.id, 'login.success')).at(-1)!.details).toEqual({ method: 'knox', mfa: 'recovery_code' });
    const used = await auditOf(t, u.id, 'mfa.recovery_code_used');
    expect(used.map((a) => a.details)).toEqual([{ left: 9, method: 'knox' }]);
    const mail = (await mailsTo(t, u.email)).find((m) => m.subject === 'A recovery code was used to sign in');
    expect(mail?.text).toContain('You have 9 recovery codes left.');
    expect(mail?.text).not.toContain(u.recoveryCodes[4]);
    const again = await secondStep(t.url, await challengeOf(t.url, 'knox', u), u.recoveryCodes[4]);
    expectJson(again, 401, 'Invalid code.');
    const status = await request(t.url, 'GET', V1 + 'mfa/', { headers: tokenHeader(r.json.token) });
    expect(status.json.recovery_codes_left).toBe(9);
  });

  it('the code that confirmed the setup is a replay: refused', async () => {
    const u = await enrolledUser(t.url);
    const r = await secondStep(t.url, await challengeOf(t.url, 'knox', u), await u.totp.replay(u.totp.floor));
    expectJson(r, 401, 'Invalid code.');
  });

  it('a wrong code: 401, counted for the lockout streak, audited without the code', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'jwt', u);
    const code = await u.totp.next();
    const r = await secondStep(t.url, mfaToken, wrongCode(code));
    expectJson(r, 401, 'Invalid code.');
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expect((await userRow(t, u.id)).failed_logins).toBe(1);
    const failures = await auditOf(t, u.id, 'login.failure');
    expect(failures.map((a) => a.details)).toEqual([{ reason: 'wrong_code', method: 'jwt' }]);
    expect(JSON.stringify(failures)).not.toContain(wrongCode(code));
    expectJson(await secondStep(t.url, mfaToken, 'not a code at all'), 401, 'Invalid code.');
    // The token survives wrong codes until its fifth.
    const done = await secondStep(t.url, mfaToken, code);
    expect(done.status, done.text).toBe(200);
    expect((await userRow(t, u.id)).failed_logins).toBe(0);
  });

  it('the fifth wrong code ends the token (with a lockout limit above five)', async () => {
    const lenient = await startV1({ LOCKOUT_FAILURES: '10' });
    try {
      const u = await enrolledUser(lenient.url);
      const mfaToken = await challengeOf(lenient.url, 'knox', u);
      for (let i = 0; i < 5; i++) expectJson(await secondStep(lenient.url, mfaToken, '000000'.replace(/0/g, String(i))), 401, 'Invalid code.');
      expectJson(await secondStep(lenient.url, mfaToken, u.recoveryCodes[0]), 401, INVALID_TOKEN);
      // A new password step gives a new token that works.
      const r = await secondStep(lenient.url, await challengeOf(lenient.url, 'knox', u), u.recoveryCodes[0]);
      expect(r.status, r.text).toBe(200);
    } finally {
      await lenient.close();
    }
  });

  it('the wrong code that reaches LOCKOUT_FAILURES answers locked; then every login is locked', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    for (let i = 0; i < 4; i++) expectJson(await secondStep(t.url, mfaToken, '99999' + i), 401, 'Invalid code.');
    const fifth = await secondStep(t.url, mfaToken, '999995');
    expectJson(fifth, 403, 'Locked out due to too many login failures.');
    expect(fifth.headers.get('www-authenticate')).toBeNull();
    expect(await auditOf(t, u.id, 'lockout')).toHaveLength(1);
    expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: u.password } }), 403, 'Locked out due to too many login failures.');
  });

  it('an account locked after the password step: 403, the code is not checked', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    for (let i = 0; i < 5; i++) await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: 'Wrong,123' } });
    expectJson(await secondStep(t.url, mfaToken, u.recoveryCodes[0]), 403, 'Locked out due to too many login failures.');
    expect(await auditOf(t, u.id, 'mfa.recovery_code_used')).toEqual([]);
  });

  it('an account deactivated after the password step: the bad-credentials 401', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    const user = (await t.ctx.accounts.byId(u.id))!;
    await t.ctx.actions.update(user, { isActive: false }, { meta: { surface: 'admin', ip: null, userAgent: null }, audit: 'admin' });
    const r = await secondStep(t.url, mfaToken, u.recoveryCodes[0]);
    expectJson(r, 401, 'No active account found with the given credentials.');
  });

  it('an expired token (older than 5 minutes): 401', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    await t.ctx.db.updateTable('mfa_challenges').set({ expires: Date.now() * 1000 - 1 }).where('user_number', '=', (await userRow(t, u.id)).number).execute();
    expectJson(await secondStep(t.url, mfaToken, u.recoveryCodes[0]), 401, INVALID_TOKEN);
  });

  it('TOTP turned off after the password step: the token is dead', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    const off = await request(t.url, 'DELETE', V1 + 'mfa/totp/', { json: { password: u.password, code: u.recoveryCodes[0] }, headers: tokenHeader(u.token) });
    expect(off.status).toBe(204);
    expectJson(await secondStep(t.url, mfaToken, u.recoveryCodes[1]), 401, INVALID_TOKEN);
  });

  it('a denylisted access token in the header: the denylist answer (§1.6), without WWW-Authenticate', async () => {
    const u = await enrolledUser(t.url);
    const client = new Client(t.url);
    const started = await client.post(V1 + 'login-jwt/', { json: { email: u.email, password: u.password } });
    const done = await client.post(V1 + 'login/mfa/', { json: { mfa_token: started.json.mfa_token, code: u.recoveryCodes[0] } });
    expect((await client.post(V1 + 'logout-jwt/', { headers: bearerHeader(done.json.access) })).status).toBe(200);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    const r = await secondStep(t.url, mfaToken, u.recoveryCodes[1], bearerHeader(done.json.access));
    expectJson(r, 401, 'Invalid token.');
    expect(r.headers.get('www-authenticate')).toBeNull();
    // Nothing of the step happened: the token and the code still work.
    expect((await secondStep(t.url, mfaToken, u.recoveryCodes[1])).status).toBe(200);
  });

  it('refuses a request from another site (§1.6a) before anything else', async () => {
    const r = await request(t.url, 'POST', V1 + 'login/mfa/', { json: {}, headers: { origin: 'https://evil.example' } });
    expectJson(r, 403, 'Origin checking failed - https://evil.example does not match any trusted origins.');
    const own = await request(t.url, 'POST', V1 + 'login/mfa/', { json: {}, headers: { origin: t.url } });
    expect(own.status).toBe(400);
  });
});

describe('a password reset (§3.3)', () => {
  it('does not turn TOTP off, and does not log in', async () => {
    const u = await enrolledUser(t.url);
    const asked = await request(t.url, 'POST', V1 + 'password/reset/', { json: { email: u.email } });
    expect(asked.status).toBe(200);
    const mail = await waitForMail(t, u.email, /reset/i);
    const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
    const done = await request(t.url, 'POST', V1 + 'password/reset/confirm/', { json: { token, password: 'Newpass,123', confirm_password: 'Newpass,123' } });
    expectJson(done, 200, 'Password reset successful.');
    expect(done.setCookies).toEqual([]);
    await challengeOf(t.url, 'knox', { email: u.email, password: 'Newpass,123' });
  });
});

describe('throttling', () => {
  it('login/mfa/ shares the anonymous bucket with the logins, and a view 401 counts', async () => {
    const limited = await startV1({ THROTTLE_ANON_RATE: '3/min' });
    try {
      expect((await secondStep(limited.url, 'A'.repeat(43), '123456')).status).toBe(401);
      expect((await request(limited.url, 'POST', V1 + 'login-knox/', { json: { email: 'nobody@example.com', password: 'x' } })).status).toBe(401);
      expect((await secondStep(limited.url, 'A'.repeat(43), '123456')).status).toBe(401);
      const r = await secondStep(limited.url, 'A'.repeat(43), '123456');
      expect(r.status).toBe(429);
      expect(r.json).toMatch(/^Request was throttled\. Expected available in \d+ seconds?\.$/);
    } finally {
      await limited.close();
    }
  });
});
