// password/reset/ and password/reset/confirm/ (v1.md §5.4, §5.5) with a real SMTP peer: the
// link is taken from the received mail and followed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../src/core/secrets.js';
import { findLink, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { V1, Client, type TestApp, type TestUser, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

const PUBLIC_URL = 'http://gatehouse.test';
const SENT = 'If an account with that email exists, a password reset link has been sent.';
let smtp: TestSmtpServer;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startV1({ SMTP_URL: smtp.url, PUBLIC_URL, LOCKOUT_FAILURES: '2' });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const ask = (json: unknown) => request(t.url, 'POST', V1 + 'password/reset/', { json });
const confirm = (json: unknown) => request(t.url, 'POST', V1 + 'password/reset/confirm/', { json });

/** Requests a reset for `user` and returns the token from the link in the mail it receives. */
async function mailedToken(user: TestUser): Promise<{ token: string; link: string }> {
  expectJson(await ask({ email: user.email }), 200, SENT);
  const mail = await smtp.waitFor((m) => m.to.includes(user.email) && m.subject === 'Reset your password');
  const link = findLink(mail, `${PUBLIC_URL}/v1/user/password/reset/confirm/?token=`);
  return { link, token: new URL(link).searchParams.get('token')! };
}

async function audited(user: TestUser, event: string): Promise<number> {
  return (await t.ctx.db.selectFrom('audit_log').select('id').where('user_id', '=', user.id).where('event', '=', event).execute()).length;
}

describe('requesting a reset', () => {
  it('known address: the same answer, a mail with a 43-character token stored only as its digest, audited', async () => {
    const user = await registerUser(t.url, 'reset');
    const { token, link } = await mailedToken(user);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await t.ctx.db.selectFrom('email_tokens').selectAll().where('purpose', '=', 'v1-reset').execute();
    expect(rows.some((r) => r.digest === sha256Hex(token))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(await audited(user, 'password.reset.request')).toBe(1);
    // The link leads to the page on this server.
    const page = await request(t.url, 'GET', link.slice(PUBLIC_URL.length));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('unknown, inactive and case-variant addresses get the same answer; only real active accounts get mail', async () => {
    const inactive = await registerUser(t.url, 'off');
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', inactive.id).execute();
    expectJson(await ask({ email: 'nobody-at-all@example.com' }), 200, SENT);
    expectJson(await ask({ email: inactive.email }), 200, SENT);
    const upper = await registerUser(t.url, 'upper');
    expectJson(await ask({ email: upper.email.toUpperCase() }), 200, SENT);
    await smtp.waitFor((m) => m.to.includes(upper.email));
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.some((m) => m.to.includes('nobody-at-all@example.com') || m.to.includes(inactive.email))).toBe(false);
    // The inactive account matched: audited, without a mail.
    expect(await audited(inactive, 'password.reset.request')).toBe(1);
  });

  it('at most one mail per account per minute', async () => {
    const user = await registerUser(t.url, 'limit');
    const { token } = await mailedToken(user);
    expectJson(await ask({ email: user.email }), 200, SENT);
    await new Promise((r) => setTimeout(r, 300));
    expect(smtp.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1);
    // The token of the mail that went out is still the valid one.
    expectJson(await confirm({ token, password: 'Fresh,789', confirm_password: 'Fresh,789' }), 200, 'Password reset successful.');
  });

  it('validation', async () => {
    expectJson(await ask({}), 400, 'Email field is required.');
    expectJson(await ask({ email: 'no' }), 400, 'Email error. Enter a valid email address.');
  });
});

describe('the confirm page (GET)', () => {
  it('has the exact security headers, a CSP with per-response nonces, and never reflects the token', async () => {
    const r = await request(t.url, 'GET', V1 + 'password/reset/confirm/?token=%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = r.headers.get('content-security-policy')!;
    const m = /^default-src 'none'; script-src 'nonce-([A-Za-z0-9+/=]+)'; style-src 'nonce-([A-Za-z0-9+/=]+)'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/.exec(csp);
    expect(m, csp).not.toBeNull();
    expect(r.text).toContain(`<script nonce="${m![1]}">`);
    expect(r.text).toContain(`<style nonce="${m![2]}">`);
    expect(r.text.match(/<script/g)).toHaveLength(1);
    expect(r.text).not.toContain('alert(1)');
    expect(r.text).toMatch(/<input[^>]+type="password"[^>]*>[\s\S]*<input[^>]+type="password"/);
    const again = await request(t.url, 'GET', V1 + 'password/reset/confirm/');
    expect(again.headers.get('content-security-policy')).not.toBe(csp);
    expect((await request(t.url, 'HEAD', V1 + 'password/reset/confirm/')).status).toBe(200);
  });
});

describe('confirming (POST)', () => {
  it('fields, then the token, then the password rules', async () => {
    expectJson(await confirm({}), 400, ['Token field is required.', 'Password field is required.', 'Confirm_Password field is required.']);
    expectJson(await confirm({ token: 'x'.repeat(43), password: 'weak', confirm_password: 'weak' }), 400, 'Token error. Invalid or expired token.');
    const user = await registerUser(t.url, 'rules');
    const { token } = await mailedToken(user);
    expectJson(await confirm({ token, password: 'Admin123', confirm_password: 'Admin123' }), 400, 'Password error. Password must contain at least 1 symbol.');
    expectJson(await confirm({ token: ` ${token} `, password: 'Fresh,789', confirm_password: 'Fresh,789' }), 200, 'Password reset successful.');
  });

  it('success: new password set, token single-use, email verified, every session ended, lockout cleared', async () => {
    const user = await registerUser(t.url, 'done');
    const knox = await knoxLogin(t.url, user);
    const client = new Client(t.url);
    const pair = await jwtLogin(client, user);
    for (let i = 0; i < 2; i++) await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: 'Wrong,123' } });
    expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } }), 403, 'Locked out due to too many login failures.');

    const { token } = await mailedToken(user);
    expectJson(await confirm({ token, password: 'Fresh,789', confirm_password: 'Fresh,789' }), 200, 'Password reset successful.');
    expectJson(await confirm({ token, password: 'Other,789', confirm_password: 'Other,789' }), 400, 'Token error. Invalid or expired token.');

    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: tokenHeader(knox) }), 401, 'Invalid token.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(pair.access) }), 401, 'Invalid token.');
    expectJson(await client.post(V1 + 'token/refresh/'), 401, 'Token is blacklisted');
    const fresh = await knoxLogin(t.url, { email: user.email, password: 'Fresh,789' });
    const me = await request(t.url, 'GET', V1 + 'me/', { headers: tokenHeader(fresh) });
    expect(me.json.email_verified).toBe(true);
    expect(await audited(user, 'password.reset.complete')).toBe(1);
  });

  it('an expired token, or one mailed to an address the account no longer has, is invalid', async () => {
    const a = await registerUser(t.url, 'old');
    const first = await mailedToken(a);
    await t.ctx.db.updateTable('email_tokens').set({ expires: 1 }).where('digest', '=', sha256Hex(first.token)).execute();
    expectJson(await confirm({ token: first.token, password: 'Fresh,789', confirm_password: 'Fresh,789' }), 400, 'Token error. Invalid or expired token.');

    const b = await registerUser(t.url, 'moved');
    const second = await mailedToken(b);
    await request(t.url, 'PUT', V1 + 'me/', { headers: tokenHeader(await knoxLogin(t.url, b)), json: { email: `moved-${b.email}` } });
    expectJson(await confirm({ token: second.token, password: 'Fresh,789', confirm_password: 'Fresh,789' }), 400, 'Token error. Invalid or expired token.');
  });
});
