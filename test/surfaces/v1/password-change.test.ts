// POST password/change/ (v1.md §5.3, §0.8): every other session ends, the one used survives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { V1, Client, type TestApp, type TestUser, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

let smtp: TestSmtpServer;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startV1({ SMTP_URL: smtp.url, PUBLIC_URL: 'http://gatehouse.test' });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const NEW = 'Newer;456';
const change = (headers: Record<string, string>, json?: unknown) => request(t.url, 'POST', V1 + 'password/change/', { headers, json });
const mockWith = (headers: Record<string, string>) => request(t.url, 'GET', V1 + 'mock-login/', { headers });
const body = (user: TestUser, password = NEW, confirm = password) => ({ old_password: user.password, password, confirm_password: confirm });

describe('checks', () => {
  it('fields in order, trimmed, at most 128 characters', async () => {
    const user = await registerUser(t.url);
    const tok = tokenHeader(await knoxLogin(t.url, user));
    expectJson(await change(tok, {}), 400, ['Old_Password field is required.', 'Password field is required.', 'Confirm_Password field is required.']);
    expectJson(await change(tok, { old_password: ' ', password: null, confirm_password: 1 }), 400, ['Old_Password field cannot be blank.', 'This field may not be null.']);
    expectJson(await change(tok, body(user, 'A,1' + 'a'.repeat(126))), 400, ['Ensure this field has no more than 128 characters.', 'Ensure this field has no more than 128 characters.']);
  });

  it('a wrong old password is refused and does not count toward lockout', async () => {
    const user = await registerUser(t.url);
    const tok = tokenHeader(await knoxLogin(t.url, user));
    for (let i = 0; i < 6; i++) expectJson(await change(tok, { ...body(user), old_password: 'Wrong,123' }), 400, 'Old_Password error. Incorrect password.');
    expect((await t.ctx.accounts.byId(user.id))!.failed_logins).toBe(0);
    expect(await knoxLogin(t.url, user)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('then the v1 password rules, first failure only', async () => {
    const user = await registerUser(t.url);
    const tok = tokenHeader(await knoxLogin(t.url, user));
    expectJson(await change(tok, body(user, 'Admin123', 'Admin,123')), 400, 'Password error. Password must contain at least 1 symbol.');
    expectJson(await change(tok, body(user, NEW, 'Other;456')), 400, 'Password error. Passwords do not match.');
  });
});

describe('success', () => {
  it('with a knox token: that token survives; other knox tokens and JWT logins end; a notice is mailed', async () => {
    const user = await registerUser(t.url);
    const used = await knoxLogin(t.url, user);
    const other = await knoxLogin(t.url, user);
    const client = new Client(t.url);
    const pair = await jwtLogin(client, user);
    const r = await change(tokenHeader(used), { ...body(user), old_password: ` ${user.password} ` });
    expectJson(r, 200, 'Password changed successfully.');

    expectJson(await mockWith(tokenHeader(used)), 200, 'Hello world.');
    expectJson(await mockWith(tokenHeader(other)), 401, 'Invalid token.');
    expectJson(await mockWith(bearerHeader(pair.access)), 401, 'Invalid token.');
    expectJson(await client.post(V1 + 'token/refresh/'), 401, 'Token is blacklisted');

    expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } }), 401, 'No active account found with the given credentials.');
    expect(await knoxLogin(t.url, { email: user.email, password: NEW })).toMatch(/^[0-9a-f]{64}$/);
    const mail = await smtp.waitFor((m) => m.to.includes(user.email) && m.subject === 'Your password was changed');
    expect(mail.text).toContain('password');
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', user.id).where('event', '=', 'password.change').execute();
    expect(audit).toHaveLength(1);
  });

  it('with a JWT: that login survives, refresh included; knox tokens end', async () => {
    const user = await registerUser(t.url);
    const knox = await knoxLogin(t.url, user);
    const client = new Client(t.url);
    const other = await jwtLogin(new Client(t.url), user);
    const used = await jwtLogin(client, user);
    expectJson(await change(bearerHeader(used.access), body(user)), 200, 'Password changed successfully.');
    expectJson(await mockWith(bearerHeader(used.access)), 200, 'Hello world.');
    expect((await client.post(V1 + 'token/refresh/')).status).toBe(200);
    expectJson(await mockWith(bearerHeader(other.access)), 401, 'Invalid token.');
    expectJson(await mockWith(tokenHeader(knox)), 401, 'Invalid token.');
  });

  it('voids outstanding reset tokens', async () => {
    const user = await registerUser(t.url);
    const owner = (await t.ctx.accounts.byId(user.id))!;
    const resetToken = await t.ctx.emailTokens.issue(owner.number, 'v1-reset', { email: user.email, ttlMicros: 3600e6 });
    expectJson(await change(tokenHeader(await knoxLogin(t.url, user)), body(user)), 200, 'Password changed successfully.');
    const r = await request(t.url, 'POST', V1 + 'password/reset/confirm/', { json: { token: resetToken, password: 'Third;789', confirm_password: 'Third;789' } });
    expectJson(r, 400, 'Token error. Invalid or expired token.');
  });
});
