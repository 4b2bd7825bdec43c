// The rules each surface used to write on its own, now the core's, held black-box on every
// surface that reaches them (v1.md §0.15, admin.md §1, §3.3, api-user.md §3.2): mailed tokens die
// with a password or email change, a reset proves only the address it went to, the admin's
// superuser rule covers reset mails, its `locked=false` filter, and an unnamed file part.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import { knoxHeader, makeUser, uiLogin } from '../surfaces/admin/support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const STRONG = 'Strong,Pass1';
const HOUR = 3600e6;

async function v1User(name: string) {
  const r = await request(t.url, 'POST', '/v1/user/register/', { json: { email: `${name}@example.com`, username: name, password: STRONG, confirm_password: STRONG } });
  expect(r.status).toBe(201);
  const token = (await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email: `${name}@example.com`, password: STRONG } })).json.token as string;
  return { id: r.json.id as string, email: `${name}@example.com`, auth: `Token ${token}` };
}

async function mailedTokens(userId: string) {
  const user = (await t.ctx.accounts.byId(userId))!;
  const reset = await t.ctx.emailTokens.issue(user.number, 'v1-reset', { email: user.email, ttlMicros: HOUR });
  const verify = await t.ctx.emailTokens.issue(user.number, 'v1-verify', { email: user.email, ttlMicros: HOUR });
  return { reset, verify };
}

function confirmReset(token: string) {
  return request(t.url, 'POST', '/v1/user/password/reset/confirm/', { json: { token, password: 'Other,Pass2', confirm_password: 'Other,Pass2' } });
}

describe('tokens mailed to an address (v1.md §0.15)', () => {
  it('a password change through api-user voids outstanding reset and verification tokens', async () => {
    const email = 'apiuser-change@example.com';
    expect((await request(t.url, 'POST', '/api/user/register', { json: { email, full_name: 'A', password: 'correct horse' } })).status).toBe(201);
    const access = (await request(t.url, 'POST', '/api/user/login', { json: { email, password: 'correct horse' } })).json.tokens.access as string;
    const user = (await t.ctx.accounts.byEmail(email))!;
    const { reset, verify } = await mailedTokens(user.id);
    const r = await request(t.url, 'PUT', '/api/user/update', { json: { password: 'a new password' }, headers: { authorization: `JWT ${access}` } });
    expect(r.status).toBe(200);
    expect((await confirmReset(reset)).json).toBe('Token error. Invalid or expired token.');
    expect((await request(t.url, 'GET', `/v1/user/email/verify/${verify}/`)).json).toBe('Invalid or expired token.');
  });

  it('a v1 password change voids them too', async () => {
    const u = await v1User('v1change');
    const { reset } = await mailedTokens(u.id);
    const r = await request(t.url, 'POST', '/v1/user/password/change/', { json: { old_password: STRONG, password: 'Newer,Pass3', confirm_password: 'Newer,Pass3' }, headers: { authorization: u.auth } });
    expect(r.status).toBe(200);
    expect((await confirmReset(reset)).status).toBe(400);
  });

  it('an email change on v1 me/ voids reset and verification tokens', async () => {
    const u = await v1User('v1email');
    const { reset, verify } = await mailedTokens(u.id);
    expect((await request(t.url, 'PUT', '/v1/user/me/', { json: { email: 'v1email-new@example.com' }, headers: { authorization: u.auth } })).status).toBe(202);
    expect((await request(t.url, 'GET', `/v1/user/email/verify/${verify}/`)).json).toBe('Invalid or expired token.');
    expect((await confirmReset(reset)).json).toBe('Token error. Invalid or expired token.');
    expect((await t.ctx.accounts.byId(u.id))!.email_verified).toBe(0);
  });

  it('an email change by the admin API voids them too', async () => {
    const u = await v1User('adminemail');
    const { reset } = await mailedTokens(u.id);
    const staff = await makeUser(t.ctx, { staff: true });
    const r = await request(t.url, 'PATCH', `/admin/api/users/${u.id}/`, { json: { email: 'adminemail-new@example.com' }, headers: { authorization: await knoxHeader(t.ctx, staff) } });
    expect(r.status).toBe(200);
    expect((await confirmReset(reset)).status).toBe(400);
  });

  it('a reset proves the address it went to, and only while the account still has it', async () => {
    const u = await v1User('proven');
    const { reset } = await mailedTokens(u.id);
    expect((await confirmReset(reset)).status).toBe(200);
    expect((await t.ctx.accounts.byId(u.id))!.email_verified).toBe(1);

    // A reset mailed to an address the account no longer has proves nothing and resets nothing.
    const v = await v1User('unproven');
    const { reset: stale } = await mailedTokens(v.id);
    await t.ctx.db.updateTable('users').set({ email: 'elsewhere@example.com', email_ci: 'elsewhere@example.com' }).where('id', '=', v.id).execute();
    expect((await confirmReset(stale)).json).toBe('Token error. Invalid or expired token.');
    expect((await t.ctx.accounts.byId(v.id))!.email_verified).toBe(0);
  });
});

describe('the admin (admin.md §1, §3.3)', () => {
  it('staff cannot send a reset mail to a superuser, in the UI either', async () => {
    const boss = await makeUser(t.ctx, { superuser: true });
    const staff = await makeUser(t.ctx, { staff: true });
    const client = await uiLogin(t, staff.username!);
    const page = await client.get(`/admin/users/${boss.id}/`);
    const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.text)![1];
    const r = await client.post(`/admin/users/${boss.id}/send-reset/`, { body: new URLSearchParams({ csrfmiddlewaretoken: csrf }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(403);
    expect(r.text).toContain('Permission denied.');
  });

  it('locked=false lists the accounts that are not locked, locked=true the locked ones', async () => {
    const staff = await makeUser(t.ctx, { staff: true });
    const auth = await knoxHeader(t.ctx, staff);
    const free = await makeUser(t.ctx, { fullName: 'lockfilter free' });
    const locked = await makeUser(t.ctx, { fullName: 'lockfilter locked' });
    await t.ctx.db.updateTable('users').set({ locked_until: Date.now() * 1000 + HOUR, failed_logins: 5, last_failure_at: Date.now() * 1000 }).where('id', '=', locked.id).execute();
    const notLocked = await request(t.url, 'GET', '/admin/api/users/?q=lockfilter&locked=false', { headers: { authorization: auth } });
    expect(notLocked.json.results.map((u: { id: string }) => u.id)).toEqual([free.id]);
    const isLocked = await request(t.url, 'GET', '/admin/api/users/?q=lockfilter&locked=true', { headers: { authorization: auth } });
    expect(isLocked.json.results.map((u: { id: string }) => u.id)).toEqual([locked.id]);
  });
});

describe('api-user profile_pic (api-user.md §3.2)', () => {
  it('a file part with an empty filename answers "No filename could be determined."', async () => {
    const boundary = 'XyZ';
    const body = [
      `--${boundary}`, 'Content-Disposition: form-data; name="email"', '', 'nofilename@example.com',
      `--${boundary}`, 'Content-Disposition: form-data; name="full_name"', '', 'No Name',
      `--${boundary}`, 'Content-Disposition: form-data; name="password"', '', 'correct horse',
      `--${boundary}`, 'Content-Disposition: form-data; name="profile_pic"; filename=""', 'Content-Type: image/png', '', 'not really a png',
      `--${boundary}--`, '',
    ].join('\r\n');
    const r = await request(t.url, 'POST', '/api/user/register', { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ profile_pic: ['No filename could be determined.'] });
  });
});
