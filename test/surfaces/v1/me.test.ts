// me/ (v1.md §5.1): show, partial update with the email-change notice, and deletion (§0.9).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { png } from '../../helpers/images.js';
import { V1, Client, type TestApp, type TestUser, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

const PUBLIC_URL = 'http://gatehouse.test';
let smtp: TestSmtpServer;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startV1({ SMTP_URL: smtp.url, PUBLIC_URL });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

async function signedIn(): Promise<{ user: TestUser; token: string }> {
  const user = await registerUser(t.url, 'me');
  return { user, token: await knoxLogin(t.url, user) };
}

const me = (method: string, token: string, json?: unknown) => request(t.url, method, V1 + 'me/', { headers: tokenHeader(token), json });

describe('GET me/', () => {
  it('shows id, email, username, email_verified, avatar and created, in order', async () => {
    const { user, token } = await signedIn();
    const r = await me('GET', token);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['id', 'email', 'username', 'email_verified', 'avatar', 'created']);
    expect(r.json).toMatchObject({ id: user.id, email: user.email, username: user.username, email_verified: false, avatar: null });
    expect(r.json.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(Math.abs(Date.parse(r.json.created) - Date.now())).toBeLessThan(60_000);
  });

  it('needs a credential', async () => {
    expectJson(await request(t.url, 'GET', V1 + 'me/'), 401, 'Authentication credentials were not provided.');
  });
});

describe('PUT me/', () => {
  it('changes the username only when sent; an empty body is 202 unchanged; other keys are ignored', async () => {
    const { user, token } = await signedIn();
    const before = (await me('GET', token)).json;
    expectJson(await me('PUT', token), 202, before);
    expectJson(await me('PUT', token, { id: '0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11', email_verified: true }), 202, before);
    expectJson(await me('PUT', token, { username: `  ${user.username}-renamed ` }), 202, { ...before, username: `${user.username}-renamed` });
  });

  it('an email change lower-cases the domain, unverifies, notifies the old address and is audited', async () => {
    const { user, token } = await signedIn();
    await t.ctx.db.updateTable('users').set({ email_verified: 1 }).where('id', '=', user.id).execute();
    const fresh = `new-${user.username}@Example.COM`;
    const r = await me('PUT', token, { email: fresh });
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ email: `new-${user.username}@example.com`, email_verified: false });
    const notice = await smtp.waitFor((m) => m.to.includes(user.email));
    expect(notice.subject).toBe('Your email address was changed');
    expect(notice.text).toContain(`new-${user.username}@example.com`);
    const audit = await t.ctx.db.selectFrom('audit_log').select(['event', 'details']).where('user_id', '=', user.id).where('event', '=', 'user.email_change').execute();
    expect(audit).toHaveLength(1);
    expect(await knoxLogin(t.url, { email: `new-${user.username}@example.com`, password: user.password })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('uniqueness ignores the caller\'s own row but not others', async () => {
    const { user, token } = await signedIn();
    const other = await registerUser(t.url, 'taken');
    expect((await me('PUT', token, { email: user.email, username: user.username.toUpperCase() })).status).toBe(202);
    expectJson(await me('PUT', token, { email: other.email.toUpperCase(), username: other.username }), 400, ['User with this email already exists.', 'User with this username already exists.']);
  });

  it('field errors as in register/', async () => {
    const { token } = await signedIn();
    expectJson(await me('PUT', token, { email: null, username: '' }), 400, ['This field may not be null.', 'Username field cannot be blank.']);
    expectJson(await me('PUT', token, { email: 'nope' }), 400, 'Email error. Enter a valid email address.');
    expectJson(await me('PUT', token, { username: 'x'.repeat(251) }), 400, 'Ensure this field has no more than 250 characters.');
    expectJson(await me('PUT', token, 'text'), 400, 'Non_Field_Errors error. Invalid data. Expected a dictionary, but got str.');
  });
});

describe('DELETE me/', () => {
  it('needs the password, trimmed', async () => {
    const { token } = await signedIn();
    expectJson(await me('DELETE', token), 400, 'Password field is required.');
    expectJson(await me('DELETE', token, { password: '  ' }), 400, 'Password field cannot be blank.');
    expectJson(await me('DELETE', token, { password: 'Wrong,123' }), 400, 'Password error. Incorrect password.');
  });

  it('deletes the user and everything that hangs on it', async () => {
    const { user, token } = await signedIn();
    const client = new Client(t.url);
    const pair = await jwtLogin(client, user);
    const owner = (await t.ctx.accounts.byId(user.id))!;
    await request(t.url, 'POST', V1 + 'profile/artist/', { headers: tokenHeader(token), json: { bio: 'b' } });
    const fd = new FormData();
    fd.append('avatar', new Blob([new Uint8Array(await png(4, 4))]), 'a.png');
    expect((await request(t.url, 'PUT', V1 + 'me/avatar/', { headers: tokenHeader(token), body: fd })).status).toBe(202);
    const avatarDir = path.join(t.dataDir, 'media', 'avatars', String(owner.number));
    expect(fs.existsSync(avatarDir)).toBe(true);

    const r = await me('DELETE', token, { password: ` ${user.password} ` });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBeNull();

    expectJson(await me('GET', token), 401, 'Invalid token.');
    expectJson(await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(pair.access) }), 401, 'User not found');
    expectJson(await client.post(V1 + 'token/refresh/'), 401, 'Token is blacklisted');
    expectJson(await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } }), 401, 'No active account found with the given credentials.');
    expect(await t.ctx.db.selectFrom('profiles').select('id').where('user_number', '=', owner.number).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', owner.number).execute()).toEqual([]);
    expect(fs.existsSync(avatarDir)).toBe(false);
    const audit = await t.ctx.db.selectFrom('audit_log').select(['user_email']).where('user_id', '=', user.id).where('event', '=', 'user.delete').execute();
    expect(audit).toEqual([{ user_email: user.email }]);
    // The email is free again.
    expect((await request(t.url, 'POST', V1 + 'register/', { json: { email: user.email, username: user.username, password: user.password, confirm_password: user.password } })).status).toBe(201);
  });
});
