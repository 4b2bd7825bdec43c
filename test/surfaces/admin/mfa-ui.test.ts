// The admin web UI's second login step and two-factor pages over HTTP (mfa.md §4, admin.md
// §2.3): the password page hands over to /admin/login/mfa/, which takes a TOTP or recovery code
// under the same CSRF rules; wrong codes count toward lockout; success completes the login.
// The "Turn off two-factor" button, the dashboard tile and ADMIN_REQUIRE_MFA's pages too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import { type TestApp, startApp } from '../../helpers/app.js';
import { Client, request } from '../../helpers/http.js';
import { UsersClient } from '../users/helpers.js';
import { Authenticator, auditOf, enrolOver, eventsOf, mailsTo } from '../v1/mfa-support.js';
import { PASSWORD, csrfOf, expectPageHeaders, makeUser, postForm, textOf, uiLogin } from './support.js';

const MFA_REQUIRED = 'Two-factor authentication is required for staff. Turn it on at /v1/user/mfa/.';
const LOCKED = 'Locked out due to too many login failures.';

let t: TestApp;
beforeAll(async () => {
  t = await startApp({ SURFACES: 'v1,admin,users' });
});
afterAll(async () => {
  await t?.close();
});

interface WithTotp { user: User; totp: Authenticator; recoveryCodes: string[] }

async function withTotp(app: TestApp, spec: Parameters<typeof makeUser>[1]): Promise<WithTotp> {
  const user = await makeUser(app.ctx, spec);
  const login = await request(app.url, 'POST', '/v1/user/login-knox/', { json: { email: user.email, password: PASSWORD } });
  expect(login.status, login.text).toBe(200);
  const { totp, recoveryCodes } = await enrolOver(app.url, { id: user.id, email: user.email!, username: user.username!, password: PASSWORD }, login.json.token);
  return { user, totp, recoveryCodes };
}

/** The password page, posted as a browser would; answers the response. */
async function passwordStep(client: Client, identifier: string, next = '/admin/users/') {
  expect((await client.get('/admin/login/')).status).toBe(200);
  return postForm(client, '/admin/login/', { username: identifier, password: PASSWORD, next });
}

async function row(userId: string) {
  return t.ctx.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
}

describe('a staff account with TOTP on', () => {
  it('goes from the password page to the second page, logged in only after a right code', async () => {
    const s = await withTotp(t, { staff: true });
    const client = new Client(t.url);
    const before = (await row(s.user.id)).last_login;
    const step = await passwordStep(client, s.user.username!);
    expect(step.status).toBe(302);
    expect(step.headers.get('location')).toBe('/admin/login/mfa/?next=/admin/users/');
    const pendingKey = client.jar.sessionid;
    expect(pendingKey).toBeTruthy();
    // Not logged in yet: no last_login, no login.success, staff pages still send to the login page.
    expect((await client.get('/admin/')).status).toBe(302);
    expect((await row(s.user.id)).last_login).toBe(before);
    expect(await auditOf(t, s.user.id, 'login.success')).toHaveLength(1); // the v1 login that turned TOTP on
    expect((await auditOf(t, s.user.id, 'login.mfa_challenge')).map((a) => a.details)).toEqual([{ method: 'session' }]);

    const page = await client.get('/admin/login/mfa/?next=/admin/users/');
    expect(page.status).toBe(200);
    expectPageHeaders(page);
    expect(textOf(page)).toContain('Enter the 6-digit code from your authenticator app, or one of your recovery codes.');
    expect(page.text).toContain('name="code"');
    expect(page.text).toContain('<input type="hidden" name="next" value="/admin/users/">');

    const csrfBefore = client.jar.csrftoken;
    const done = await postForm(client, '/admin/login/mfa/', { code: await s.totp.next(), next: '/admin/users/' });
    expect(done.status, done.text).toBe(302);
    expect(done.headers.get('location')).toBe('/admin/users/');
    expect(client.jar.sessionid).not.toBe(pendingKey);
    expect(client.jar.csrftoken).not.toBe(csrfBefore);
    expect((await client.get('/admin/users/')).status).toBe(200);
    expect((await row(s.user.id)).last_login).toBeGreaterThan(before!);
    expect((await auditOf(t, s.user.id, 'login.success')).at(-1)).toMatchObject({ surface: 'admin', details: { method: 'session', mfa: 'totp' } });
    expect((await eventsOf(t, s.user.id)).filter((e) => e.type === 'session.created').at(-1)!.data).toMatchObject({ surface: 'admin', method: 'session' });
    // The old session id (which held the step) is gone, and the step with it.
    const stale = await request(t.url, 'GET', '/admin/login/mfa/', { cookies: { sessionid: pendingKey } });
    expect(stale.status).toBe(302);
    expect(stale.headers.get('location')).toBe('/admin/login/');
  });

  it('a wrong code: "Invalid code." on the page, counted, audited; an empty one is required', async () => {
    const s = await withTotp(t, { staff: true });
    const client = new Client(t.url);
    await passwordStep(client, s.user.email!);
    const empty = await postForm(client, '/admin/login/mfa/', { code: '  ', next: '' });
    expect(empty.status).toBe(200);
    expect(textOf(empty)).toContain('This field is required.');
    const [code] = await s.totp.wrong();
    const wrong = await postForm(client, '/admin/login/mfa/', { code, next: '' });
    expect(wrong.status).toBe(200);
    expect(textOf(wrong)).toContain('Invalid code.');
    expect(wrong.text).toContain('aria-invalid="true"');
    expect((await row(s.user.id)).failed_logins).toBe(1);
    expect((await auditOf(t, s.user.id, 'login.failure')).map((a) => a.details)).toEqual([{ reason: 'wrong_code', method: 'session' }]);
    // A recovery code still works on the same step.
    const done = await postForm(client, '/admin/login/mfa/', { code: s.recoveryCodes[0], next: '' });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/admin/');
    expect((await row(s.user.id)).failed_logins).toBe(0);
    expect((await auditOf(t, s.user.id, 'mfa.recovery_code_used'))).toHaveLength(1);
    expect((await mailsTo(t, s.user.email!)).map((m) => m.subject)).toContain('A recovery code was used to sign in');
  });

  it('has the same CSRF rules as the password page', async () => {
    const s = await withTotp(t, { staff: true });
    const client = new Client(t.url);
    await passwordStep(client, s.user.username!);
    const noToken = await client.post('/admin/login/mfa/', { body: new URLSearchParams({ code: s.recoveryCodes[0] }).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(noToken.status).toBe(403);
    expect(textOf(noToken)).toContain('CSRF verification failed. Request aborted.');
    const fields = new URLSearchParams({ csrfmiddlewaretoken: client.jar.csrftoken, code: s.recoveryCodes[0] }).toString();
    const foreign = await client.post('/admin/login/mfa/', { body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(textOf(foreign)).toContain('Origin checking failed - https://evil.example does not match any trusted origins.');
    // Nothing was spent by the refused posts: the code still completes the login.
    expect((await postForm(client, '/admin/login/mfa/', { code: s.recoveryCodes[0] })).status).toBe(302);
  });

  it('the wrong code that reaches the limit gets the locked page; then even the password page is locked', async () => {
    const s = await withTotp(t, { staff: true });
    const client = new Client(t.url);
    await passwordStep(client, s.user.username!);
    const wrong = await s.totp.wrong(5);
    for (let i = 0; i < 4; i++) {
      const r = await postForm(client, '/admin/login/mfa/', { code: wrong[i], next: '' });
      expect(textOf(r)).toContain('Invalid code.');
    }
    const fifth = await postForm(client, '/admin/login/mfa/', { code: wrong[4], next: '' });
    expect(fifth.status).toBe(403);
    expect(textOf(fifth)).toContain(LOCKED);
    const again = await passwordStep(new Client(t.url), s.user.username!);
    expect(again.status).toBe(403);
    expect(textOf(again)).toContain(LOCKED);
  });

  it('a step that expired (5 minutes) sends back to the password page with a notice', async () => {
    const s = await withTotp(t, { staff: true });
    const client = new Client(t.url);
    await passwordStep(client, s.user.username!, '/admin/audit/');
    await t.ctx.db.updateTable('mfa_challenges').set({ expires: Date.now() * 1000 - 1 }).where('user_number', '=', s.user.number).execute();
    const r = await postForm(client, '/admin/login/mfa/', { code: s.recoveryCodes[0], next: '/admin/audit/' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/admin/login/?next=/admin/audit/');
    const page = await client.get('/admin/login/?next=/admin/audit/');
    expect(textOf(page)).toContain('The sign-in took too long or was used up. Log in again.');
    expect((await client.get('/admin/login/mfa/')).status).toBe(302);
  });

  it('without a pending step the second page sends to the password page; a non-staff account never sees it', async () => {
    const client = new Client(t.url);
    const r = await client.get('/admin/login/mfa/');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/admin/login/');
    await client.get('/admin/login/');
    const posted = await postForm(client, '/admin/login/mfa/', { code: '123456' });
    expect(posted.status).toBe(302);
    expect(posted.headers.get('location')).toBe('/admin/login/');
    const plain = await withTotp(t, {});
    const refused = await passwordStep(new Client(t.url), plain.user.username!);
    expect(refused.status).toBe(200);
    expect(textOf(refused)).toContain('Please enter the correct username or email and password for a staff account.');
  });
});

describe('the user page and the dashboard', () => {
  it('show the two-factor state; "Turn off two-factor" turns it off', async () => {
    const root = await makeUser(t.ctx, { superuser: true });
    const target = await withTotp(t, {});
    const admin = await uiLogin(t, root.username!);
    const page = await admin.get(`/admin/users/${target.user.id}/`);
    const text = textOf(page);
    expect(text).toContain('Two-factor (TOTP) Yes');
    expect(text).toContain('Recovery codes left 10');
    expect(text).toContain('Passkeys 0');
    expect(page.text).toContain(`action="/admin/users/${target.user.id}/mfa/reset/"`);
    expect(text).toContain('Turn off two-factor');
    const dashboard = textOf(await admin.get('/admin/'));
    expect(dashboard).toMatch(/\d+ Two-factor on/);

    const r = await postForm(admin, `/admin/users/${target.user.id}/mfa/reset/`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`/admin/users/${target.user.id}/`);
    const after = await admin.get(`/admin/users/${target.user.id}/`);
    expect(textOf(after)).toContain('Two-factor authentication was turned off and the passkeys removed.');
    expect(textOf(after)).toContain('Two-factor (TOTP) No');
    expect(after.text).not.toContain('/mfa/reset/');
    expect((await auditOf(t, target.user.id, 'admin.user.mfa_reset'))[0]).toMatchObject({ surface: 'admin', details: { totp: true } });
  });

  it('the reset is superuser-only on a superuser: a staff user gets the 403 page', async () => {
    const staff = await makeUser(t.ctx, { staff: true });
    const su = await withTotp(t, { superuser: true });
    const client = await uiLogin(t, staff.username!);
    const page = await client.get(`/admin/users/${su.user.id}/`);
    expect(page.text).not.toContain('/mfa/reset/');
    const r = await postForm(client, `/admin/users/${su.user.id}/mfa/reset/`);
    expect(r.status).toBe(403);
    expect(textOf(r)).toContain('Permission denied.');
    const form = await client.get(`/admin/users/${su.user.id}/mfa/reset/`);
    expect(form.status).toBe(405);
    expect(csrfOf(page.text)).toBeTruthy();
  });
});

describe('ADMIN_REQUIRE_MFA=true', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startApp({ SURFACES: 'v1,admin,users', ADMIN_REQUIRE_MFA: 'true' });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('a staff account without a second factor: 403 at the login, after its password; not logged in', async () => {
    const staff = await makeUser(strict.ctx, { staff: true });
    const client = new Client(strict.url);
    expect((await client.get('/admin/login/')).status).toBe(200);
    const wrong = await postForm(client, '/admin/login/', { username: staff.username!, password: 'not it', next: '' });
    expect(wrong.status).toBe(200);
    expect(textOf(wrong)).toContain('Please enter the correct username or email and password for a staff account.');
    const r = await postForm(client, '/admin/login/', { username: staff.username!, password: PASSWORD, next: '' });
    expect(r.status).toBe(403);
    expectPageHeaders(r);
    expect(textOf(r)).toContain(MFA_REQUIRED);
    expect((await client.get('/admin/')).status).toBe(302);
    const row = await strict.ctx.db.selectFrom('users').selectAll().where('id', '=', staff.id).executeTakeFirstOrThrow();
    expect(row.failed_logins).toBe(1); // the wrong password only
    expect(row.last_login).toBeNull();
    const failures = await strict.ctx.db.selectFrom('audit_log').select('details').where('user_id', '=', staff.id).where('event', '=', 'login.failure').orderBy('id').execute();
    expect(failures.map((f) => JSON.parse(f.details))).toEqual([{ reason: 'wrong_password' }, { reason: 'mfa_required' }]);
  });

  it('staff logged in elsewhere (the shared session of `users`) get the 403 page on every admin page but logout', async () => {
    const staff = await makeUser(strict.ctx, { staff: true });
    const browser = new UsersClient(strict.url);
    expect((await browser.login(staff.username!, PASSWORD)).status).toBe(200);
    for (const path of ['/admin/', '/admin/users/', `/admin/users/${staff.id}/`]) {
      const r = await browser.get(path);
      expect(r.status, path).toBe(403);
      expect(textOf(r)).toContain(MFA_REQUIRED);
    }
    const out = await postForm(browser, '/admin/logout/');
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/admin/login/');
  });

  it('a staff account with TOTP on passes through the second page', async () => {
    const s = await withTotp(strict, { staff: true });
    const client = new Client(strict.url);
    expect((await client.get('/admin/login/')).status).toBe(200);
    const step = await postForm(client, '/admin/login/', { username: s.user.username!, password: PASSWORD, next: '' });
    expect(step.headers.get('location')).toBe('/admin/login/mfa/');
    const done = await postForm(client, '/admin/login/mfa/', { code: await s.totp.next(), next: '' });
    expect(done.status).toBe(302);
    expect((await client.get('/admin/')).status).toBe(200);
  });
});
