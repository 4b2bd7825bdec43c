// user-account.md §4, §5.3, §5.5, §5.6: confirmation and reset mails received on a real SMTP
// server, links under PUBLIC_URL, confirm_email, reset_password_request and reset_password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { findLink, startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../../helpers/smtp.js';
import { P, bearer, get, login, post, register, registerAndLogin, startUa, tokenOf, userNumber } from './helpers.js';

const PUBLIC_URL = 'https://accounts.example.test';
let t: TestApp;
let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startUa({ SMTP_URL: smtp.url, PUBLIC_URL, LOCKOUT_FAILURES: '2' });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

function mailFor(address: string, subject: string): Promise<ReceivedMail> {
  return smtp.waitFor((m) => m.to.includes(address) && m.subject === subject);
}

async function countMails(address: string, subject: string): Promise<number> {
  await t.ctx.mailer.flush();
  return smtp.messages.filter((m) => m.to.includes(address) && m.subject === subject).length;
}

async function resetToken(username: string, email: string): Promise<string> {
  const r = await post(t, '/reset_password_request', { username });
  expect(r.text).toBe('{"msg":"Check your email..."}');
  return tokenOf(findLink(await mailFor(email, 'Reset Your Password'), `${PUBLIC_URL}/user_account/reset_password/`));
}

describe('confirmation mail and confirm_email (§4, §5.5)', () => {
  it('the mail greets by full name, states 10 minutes and links under PUBLIC_URL', async () => {
    const u = await register(t, { full_name: 'Ann Example' });
    const mail = await mailFor(u.email, 'Confirm Your Email');
    const link = findLink(mail, `${PUBLIC_URL}/user_account/confirm_email/`);
    expect(tokenOf(link)).toMatch(/^[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(mail.text).toContain('Hello Ann Example,');
    expect(mail.text).toContain('10 minutes');
    expect(mail.html).toContain(link);
  });

  it('confirms, repeatedly while the token lives; audit once', async () => {
    const u = await register(t);
    const token = tokenOf(findLink(await mailFor(u.email, 'Confirm Your Email'), PUBLIC_URL));
    for (let i = 0; i < 2; i++) {
      const r = await get(t, `/confirm_email/${token}`);
      expect(r.status).toBe(200);
      expect(r.text).toBe('{"msg":"Your email has been confirmed."}');
    }
    expect((await t.ctx.accounts.byUsername(u.username))!.email_verified).toBe(1);
    const { token: access } = await login(t, u.username, u.pwd);
    expect((await get(t, '/profile_settings', bearer(access))).json.is_email_verified).toBe(true);
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'email.verify').where('user_username', '=', u.username).execute();
    expect(audit).toHaveLength(1);
  });

  it('is refused once the address changed, and needs no credentials', async () => {
    const u = await register(t);
    const token = tokenOf(findLink(await mailFor(u.email, 'Confirm Your Email'), PUBLIC_URL));
    await t.ctx.accounts.update(await userNumber(t, u.username), { email: `changed-${u.email}` });
    const r = await get(t, `/confirm_email/${token}`, { authorization: 'Bearer garbage' });
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"msg":"Wrong token"}');
    expect((await t.ctx.accounts.byUsername(u.username))!.email_verified).toBe(0);
  });

  it('Wrong token: garbage, tampered, expired, of the reset kind, or of a deleted user', async () => {
    const u = await register(t);
    const token = tokenOf(findLink(await mailFor(u.email, 'Confirm Your Email'), PUBLIC_URL));
    const number = await userNumber(t, u.username);
    const expired = await t.ctx.emailTokens.issue(number, 'ua-confirm', { email: u.email, ttlMicros: -1, signed: true });
    const resetKind = await t.ctx.emailTokens.issue(number, 'ua-reset', { email: u.email, ttlMicros: 60_000_000, signed: true });
    const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const bad of ['x', 'a'.repeat(5000), tampered, expired, resetKind, encodeURIComponent('ä.ö')]) {
      const r = await get(t, `/confirm_email/${bad}`);
      expect(r.status).toBe(400);
      expect(r.text).toBe('{"msg":"Wrong token"}');
    }
    await t.ctx.revocation.deleteUser((await t.ctx.accounts.byNumber(number))!);
    expect((await get(t, `/confirm_email/${token}`)).text).toBe('{"msg":"Wrong token"}');
  });
});

describe('reset_password_request (§5.3)', () => {
  it.each([
    [{}, 400, 'username is required'],
    [{ username: null }, 400, 'username is required'],
    [{ username: 42 }, 400, 'username must be a string'],
    [{ username: 'nobody-at-all' }, 400, 'user not found'],
    [{ username: 'nul\u0000' }, 400, 'user not found'],
  ])('%j → %i %s', async (body, status, message) => {
    const r = await post(t, '/reset_password_request', body);
    expect(r.status).toBe(status);
    expect(r.text).toBe(JSON.stringify({ msg: message }));
  });

  it('mails a reset link under PUBLIC_URL (username case-insensitive), at most once a minute per account', async () => {
    const u = await register(t, { full_name: 'Bo' });
    const first = await post(t, '/reset_password_request', { username: u.username.toUpperCase() });
    expect(first.status).toBe(200);
    const mail = await mailFor(u.email, 'Reset Your Password');
    expect(findLink(mail, `${PUBLIC_URL}/user_account/reset_password/`)).toBeTruthy();
    expect(mail.text).toContain('Hello Bo,');
    expect(mail.text).toContain('10 minutes');
    const second = await post(t, '/reset_password_request', { username: u.username });
    expect(second.status).toBe(200);
    expect(second.text).toBe('{"msg":"Check your email..."}');
    expect(await countMails(u.email, 'Reset Your Password')).toBe(1);
    const other = await register(t);
    await post(t, '/reset_password_request', { username: other.username });
    await mailFor(other.email, 'Reset Your Password');
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'password.reset.request').where('user_username', '=', u.username).execute();
    expect(audit).toHaveLength(2);
  });

  it('an account without an email gets the same 200 and no mail', async () => {
    const u = await register(t, { email: '' });
    const before = smtp.messages.length;
    const r = await post(t, '/reset_password_request', { username: u.username });
    expect(r.text).toBe('{"msg":"Check your email..."}');
    await t.ctx.mailer.flush();
    expect(smtp.messages.length).toBe(before);
  });
});

describe('GET reset_password/<token> (§5.6)', () => {
  function expectPageHeaders(r: { headers: Headers; text: string }): void {
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = r.headers.get('content-security-policy')!;
    const m = /^default-src 'none'; script-src 'nonce-([A-Za-z0-9+/=]+)'; style-src 'nonce-([A-Za-z0-9+/=]+)'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/.exec(csp);
    expect(m).not.toBeNull();
    expect(r.text).toContain(`<style nonce="${m![2]}">`);
    if (r.text.includes('<script')) expect(r.text).toContain(`<script nonce="${m![1]}">`);
  }

  it('a live token: 200, a form with two password fields, strict headers, a new nonce each time', async () => {
    const u = await register(t);
    const token = await resetToken(u.username, u.email);
    const r = await get(t, `/reset_password/${token}`);
    expect(r.status).toBe(200);
    expectPageHeaders(r);
    expect(r.text.match(/type="password"/g)).toHaveLength(2);
    const again = await get(t, `/reset_password/${token}`);
    expect(again.headers.get('content-security-policy')).not.toBe(r.headers.get('content-security-policy'));
    const head = await request(t.url, 'HEAD', `${P}/reset_password/${token}`);
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('a bad token: 400, a page saying Wrong token, the same headers', async () => {
    const r = await get(t, '/reset_password/not-a-token');
    expect(r.status).toBe(400);
    expectPageHeaders(r);
    expect(r.text).toContain('Wrong token');
    expect(r.text).not.toContain('<form');
  });
});

describe('POST reset_password/<token> (§5.6)', () => {
  it('checks the body, then the token, then the field; a failed check does not use the token', async () => {
    const u = await register(t);
    const token = await resetToken(u.username, u.email);
    const unsupported = await request(t.url, 'POST', `${P}/reset_password/bad`, { body: 'x', headers: { 'content-type': 'text/plain' } });
    expect(unsupported.status).toBe(415);
    const invalid = await request(t.url, 'POST', `${P}/reset_password/bad`, { body: '[', headers: { 'content-type': 'application/json' } });
    expect(invalid.text).toBe('{"msg":"Invalid JSON"}');
    expect((await post(t, '/reset_password/bad', {})).text).toBe('{"msg":"Wrong token"}');
    expect((await post(t, `/reset_password/${token}`, {})).text).toBe('{"msg":"new_pwd is required"}');
    expect((await post(t, `/reset_password/${token}`, { new_pwd: 5 })).text).toBe('{"msg":"new_pwd must be a string"}');
    expect((await post(t, `/reset_password/${token}`, { new_pwd: 'x'.repeat(129) })).text).toBe('{"msg":"new_pwd is too long"}');
    expect((await post(t, `/reset_password/${token}`, { new_pwd: 'brand-new' })).text).toBe('{"msg":"Your password has been reset."}');
  });

  it('sets the password, verifies the email, ends every session, clears the lockout; single-use', async () => {
    const u = await registerAndLogin(t);
    for (let i = 0; i < 2; i++) await post(t, '/login', { username: u.username, pwd: 'wrong' });
    expect((await post(t, '/login', { username: u.username, pwd: u.pwd })).status).toBe(401);
    const token = await resetToken(u.username, u.email);

    const r = await post(t, `/reset_password/${token}`, { new_pwd: 'new secret' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"msg":"Your password has been reset."}');
    expect((await post(t, '/login', { username: u.username, pwd: u.pwd })).status).toBe(401);
    const fresh = await login(t, u.username, 'new secret');
    expect((await get(t, '/profile_settings', bearer(fresh.token))).json.is_email_verified).toBe(true);
    expect((await get(t, '/profile_settings', bearer(u.token))).text).toBe('{"msg":"Token has been revoked"}');

    const again = await post(t, `/reset_password/${token}`, { new_pwd: 'third' });
    expect(again.status).toBe(400);
    expect(again.text).toBe('{"msg":"Wrong token"}');
    expect((await get(t, `/reset_password/${token}`)).status).toBe(400);
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'password.reset.complete').where('user_username', '=', u.username).execute();
    expect(audit).toHaveLength(1);
  });

  it('any password change voids the other outstanding reset tokens', async () => {
    const u = await register(t);
    const number = await userNumber(t, u.username);
    const mailed = await resetToken(u.username, u.email);
    const second = await t.ctx.emailTokens.issue(number, 'ua-reset', { email: u.email, ttlMicros: 600_000_000, signed: true });
    expect((await post(t, `/reset_password/${second}`, { new_pwd: 'one' })).status).toBe(200);
    expect((await post(t, `/reset_password/${mailed}`, { new_pwd: 'two' })).text).toBe('{"msg":"Wrong token"}');

    // A change made elsewhere (an admin "set password" ends all sessions, v1.md §0.8).
    const third = await t.ctx.emailTokens.issue(number, 'ua-reset', { email: u.email, ttlMicros: 600_000_000, signed: true });
    await t.ctx.accounts.setPassword(number, 'set by admin');
    await t.ctx.revocation.endAllSessions({ id: (await t.ctx.accounts.byNumber(number))!.id, number }, 'revoked');
    expect((await post(t, `/reset_password/${third}`, { new_pwd: 'three' })).text).toBe('{"msg":"Wrong token"}');
  });

  it('of parallel submissions of one token exactly one wins', async () => {
    const u = await register(t);
    const token = await resetToken(u.username, u.email);
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => post(t, `/reset_password/${token}`, { new_pwd: `pwd-${i}` })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.text === '{"msg":"Wrong token"}')).toHaveLength(5);
  });

  it('a valid access token is refused before anything else, and the reset token stays usable', async () => {
    const u = await registerAndLogin(t);
    const token = await resetToken(u.username, u.email);
    const r = await post(t, `/reset_password/${token}`, { new_pwd: 'x' }, bearer(u.token));
    expect(r.status).toBe(403);
    expect(r.text).toBe('{"msg":"user is already authenticated"}');
    expect((await post(t, `/reset_password/${token}`, { new_pwd: 'x' })).status).toBe(200);
  });
});
