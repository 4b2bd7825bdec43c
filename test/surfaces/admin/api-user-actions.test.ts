// /admin/api/users/… account actions (admin.md §1, §2.6, §3.3): the superuser-only rules, the guards
// (also under races), and set password, unlock, revoke, send reset, delete with their effects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import { createServices } from '../../../src/surfaces/admin/service/index.js';
import type { TestApp } from '../../helpers/app.js';
import { type TestSmtpServer, findLink, startSmtpServer } from '../../helpers/smtp.js';
import { PASSWORD, api, bearerLogin, knoxHeader, makeUser, startAdminApp } from './support.js';

let t: TestApp;
let smtp: TestSmtpServer;
let staff: User; // staff, not superuser
let staffAuth: string;


beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startAdminApp({ SMTP_URL: smtp.url });
  await makeUser(t.ctx, { superuser: true, username: 'root' });
  staff = await makeUser(t.ctx, { staff: true, username: 'helper' });
  staffAuth = await knoxHeader(t.ctx, staff);
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

async function lastAudit(event: string) {
  return t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', event).orderBy('id', 'desc').executeTakeFirst();
}

describe('superuser-only actions on a superuser account (§1)', () => {
  it('staff get 403 for edit, password, revoke, unlock and delete, but may read and send a reset mail', async () => {
    const boss = await makeUser(t.ctx, { superuser: true });
    const calls: [string, string, unknown][] = [
      ['PATCH', '', { full_name: 'x' }], ['POST', 'password/', { password: 'a new password' }], ['POST', 'revoke-sessions/', undefined],
      ['POST', 'unlock/', undefined], ['DELETE', '', undefined],
    ];
    for (const [method, suffix, json] of calls) {
      const r = await api(t, method, `/admin/api/users/${boss.id}/${suffix}`, staffAuth, { json });
      expect(r.status, `${method} ${suffix}`).toBe(403);
      expect(r.json).toEqual({ detail: 'You do not have permission to perform this action.' });
    }
    expect(await t.ctx.accounts.byId(boss.id)).toEqual(boss);
    expect((await api(t, 'GET', `/admin/api/users/${boss.id}/`, staffAuth)).status).toBe(200);
    // Sending a reset mail to a superuser is superuser-only too (admin.md §1).
    const reset = await api(t, 'POST', `/admin/api/users/${boss.id}/send-reset/`, staffAuth);
    expect(reset.status).toBe(403);
    expect(reset.json).toEqual({ detail: 'You do not have permission to perform this action.' });
  });
});

describe('guards (§1)', () => {
  it('one\u2019s own account: no deactivating, no dropping staff, no deleting', async () => {
    for (const json of [{ is_active: false }, { is_staff: false }]) {
      const r = await api(t, 'PATCH', `/admin/api/users/${staff.id}/`, staffAuth, { json });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ detail: 'You cannot do this to your own account.' });
    }
    const del = await api(t, 'DELETE', `/admin/api/users/${staff.id}/`, staffAuth);
    expect(del.status).toBe(400);
    expect(del.json).toEqual({ detail: 'You cannot do this to your own account.' });
    expect(await t.ctx.accounts.byId(staff.id)).toBeDefined();
  });

  it('the last active superuser cannot be demoted', async () => {
    const app = await startAdminApp();
    try {
      const only = await makeUser(app.ctx, { superuser: true });
      const auth = await knoxHeader(app.ctx, only);
      const r = await api(app, 'PATCH', `/admin/api/users/${only.id}/`, auth, { json: { is_superuser: false } });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ detail: 'At least one active superuser must remain.' });
      // An inactive superuser does not count.
      await makeUser(app.ctx, { superuser: true, active: false });
      expect((await api(app, 'PATCH', `/admin/api/users/${only.id}/`, auth, { json: { is_superuser: false } })).status).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('the shared actions, raced directly, leave one active superuser', async () => {
    const app = await startAdminApp();
    try {
      const services = createServices(app.ctx);
      // On PostgreSQL a second instance's actions (a queue of their own) meet at the advisory
      // lock; SQLite is one process, one queue.
      const other = app.ctx.dialect === 'postgres' ? createServices(app.ctx) : services;
      const meta = { surface: 'admin-api' as const, ip: null, userAgent: null };
      for (let round = 0; round < 5; round++) {
        const a = await makeUser(app.ctx, { superuser: true });
        const b = await makeUser(app.ctx, { superuser: true });
        const results = await Promise.all([
          services.users.update({ user: a, meta }, b, { is_superuser: false }),
          other.users.update({ user: b, meta }, a, { is_active: false }),
        ]);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        const left = await app.ctx.db.selectFrom('users').select('id').where('is_superuser', '=', 1).where('is_active', '=', 1).where('is_staff', '=', 1).execute();
        expect(left).toHaveLength(1);
        await app.ctx.db.deleteFrom('users').execute();
      }
    } finally {
      await app.close();
    }
  });

  it('two superusers demoting or deleting each other at once leave one', async () => {
    const app = await startAdminApp();
    try {
      for (const action of ['demote', 'delete'] as const) {
        const a = await makeUser(app.ctx, { superuser: true });
        const b = await makeUser(app.ctx, { superuser: true });
        const [ha, hb] = [await knoxHeader(app.ctx, a), await knoxHeader(app.ctx, b)];
        const call = (auth: string, target: User) => action === 'demote'
          ? api(app, 'PATCH', `/admin/api/users/${target.id}/`, auth, { json: { is_superuser: false } })
          : api(app, 'DELETE', `/admin/api/users/${target.id}/`, auth);
        const answers = await Promise.all([call(ha, b), call(hb, a)]);
        const statuses = answers.map((r) => r.status).sort();
        expect(statuses[0], action).toBe(action === 'demote' ? 200 : 204);
        const loser = answers.find((r) => r.status >= 400)!;
        expect([400, 401, 403]).toContain(loser.status);
        const left = await app.ctx.db.selectFrom('users').select('id').where('is_superuser', '=', 1).where('is_active', '=', 1).where('is_staff', '=', 1).execute();
        expect(left, action).toHaveLength(1);
        await app.ctx.db.deleteFrom('users').execute();
      }
    } finally {
      await app.close();
    }
  });
});

describe('account actions', () => {
  it('POST password/: the §2.6 rules', async () => {
    const u = await makeUser(t.ctx);
    const cases: [unknown, string][] = [
      [{}, 'This field is required.'], [{ password: '' }, 'This field is required.'], [{ password: null }, 'This field may not be null.'],
      [{ password: 'short' }, 'This password is too short. It must contain at least 8 characters.'],
      [{ password: 'p'.repeat(129) }, 'Ensure this value has at most 128 characters (it has 129).'], [{ password: true }, 'Not a valid string.'],
    ];
    for (const [json, message] of cases) {
      const r = await api(t, 'POST', `/admin/api/users/${u.id}/password/`, staffAuth, { json });
      expect(r.status, JSON.stringify(json)).toBe(400);
      expect(r.json).toEqual({ password: [message] });
    }
  });

  it('POST password/: sets it, ends every session and token, voids resets, mails a notice, audits no secret', async () => {
    const u = await makeUser(t.ctx, { email: 'pw.change@example.com' });
    const knox = await knoxHeader(t.ctx, u);
    const jwt = await bearerLogin(t.ctx, u);
    await t.ctx.emailTokens.issue(u.number, 'v1-reset', { email: u.email, ttlMicros: 3_600_000_000 });
    const r = await api(t, 'POST', `/admin/api/users/${u.id}/password/`, staffAuth, { json: { password: 'brand new secret' } });
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    const fresh = (await t.ctx.accounts.byId(u.id))!;
    expect((await t.ctx.passwords.verify('brand new secret', fresh.password)).ok).toBe(true);
    expect((await t.ctx.passwords.verify(PASSWORD, fresh.password)).ok).toBe(false);
    expect((await t.ctx.v1Auth.authenticate(knox, { knox: true, bearer: true })).ok).toBe(false);
    expect(await t.ctx.v1Auth.isDenylisted(jwt.header)).toBe(true);
    const unused = await t.ctx.db.selectFrom('email_tokens').select('digest').where('user_number', '=', u.number).where('used_at', 'is', null).execute();
    expect(unused).toEqual([]);
    const mail = await smtp.waitFor((m) => m.to.includes('pw.change@example.com'));
    expect(mail.subject).toBe('Your password was changed');
    const entry = await lastAudit('admin.user.password');
    expect(entry).toMatchObject({ user_id: u.id, actor_id: staff.id, surface: 'admin-api' });
    expect(entry!.details).not.toContain('brand new secret');
  });

  it('POST unlock/: clears the streak and the lock', async () => {
    const u = await makeUser(t.ctx);
    for (let i = 0; i < 5; i++) {
      await t.ctx.login.attempt({ user: (await t.ctx.accounts.byId(u.id))!, password: 'nope nope', identifier: 'x', method: 'knox', meta: { surface: 'v1', ip: null, userAgent: null } });
    }
    expect((await t.ctx.login.attempt({ user: (await t.ctx.accounts.byId(u.id))!, password: PASSWORD, identifier: 'x', method: 'knox', meta: { surface: 'v1', ip: null, userAgent: null } })).ok).toBe(false);
    const r = await api(t, 'POST', `/admin/api/users/${u.id}/unlock/`, staffAuth);
    expect(r.status).toBe(204);
    const after = await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth);
    expect(after.json).toMatchObject({ locked_until: null, failed_logins: 0 });
    expect((await t.ctx.login.attempt({ user: (await t.ctx.accounts.byId(u.id))!, password: PASSWORD, identifier: 'x', method: 'knox', meta: { surface: 'v1', ip: null, userAgent: null } })).ok).toBe(true);
    const entry = await lastAudit('admin.user.unlock');
    expect(JSON.parse(entry!.details).changed.failed_logins).toEqual({ old: 5, new: 0 });
  });

  it('POST revoke-sessions/: every knox token and JWT login ends; audited', async () => {
    const u = await makeUser(t.ctx, { staff: true });
    const knox = await knoxHeader(t.ctx, u);
    const jwt = await bearerLogin(t.ctx, u);
    expect((await api(t, 'GET', '/admin/api/stats/', knox)).status).toBe(200);
    const r = await api(t, 'POST', `/admin/api/users/${u.id}/revoke-sessions/`, staffAuth);
    expect(r.status).toBe(204);
    expect((await api(t, 'GET', '/admin/api/stats/', knox)).json).toEqual({ detail: 'Invalid token.' });
    expect((await api(t, 'GET', '/admin/api/stats/', jwt.header)).json).toEqual({ detail: 'Invalid token.' });
    expect(await lastAudit('admin.user.revoke')).toMatchObject({ user_id: u.id, actor_id: staff.id });
  });

  it('POST send-reset/: sends, then 429 within a minute; no email → 400', async () => {
    const u = await makeUser(t.ctx, { email: 'reset.me@example.com' });
    const r = await api(t, 'POST', `/admin/api/users/${u.id}/send-reset/`, staffAuth);
    expect(r.status).toBe(204);
    const mail = await smtp.waitFor((m) => m.to.includes('reset.me@example.com') && m.subject === 'Reset your password');
    expect(findLink(mail, `${t.url}/v1/user/password/reset/confirm/?token=`)).toBeTruthy();
    const again = await api(t, 'POST', `/admin/api/users/${u.id}/send-reset/`, staffAuth);
    expect(again.status).toBe(429);
    expect(again.json).toEqual({ detail: 'A reset email was sent less than a minute ago.' });
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    const entry = await lastAudit('admin.user.reset_mail');
    expect(entry).toMatchObject({ user_id: u.id });
    expect(entry!.details).not.toContain('token');
    const none = await makeUser(t.ctx, { email: null });
    const n = await api(t, 'POST', `/admin/api/users/${none.id}/send-reset/`, staffAuth);
    expect(n.status).toBe(400);
    expect(n.json).toEqual({ detail: 'This user has no email address.' });
  });

  it('DELETE: the user and what hangs on it go; the audit entry keeps a snapshot', async () => {
    const u = await makeUser(t.ctx, { email: 'gone@example.com', username: 'gone_soon' });
    await t.ctx.profiles.create('artist', u.number, { bio: 'b' });
    const knox = await knoxHeader(t.ctx, u);
    const r = await api(t, 'DELETE', `/admin/api/users/${u.id}/`, staffAuth);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(await t.ctx.accounts.byId(u.id)).toBeUndefined();
    expect(await t.ctx.profiles.ofUser(u.number)).toEqual([]);
    expect((await t.ctx.v1Auth.authenticate(knox, { knox: true, bearer: false })).ok).toBe(false);
    expect((await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth)).status).toBe(404);
    expect((await api(t, 'DELETE', `/admin/api/users/${u.id}/`, staffAuth)).status).toBe(404);
    const entry = await lastAudit('admin.user.delete');
    expect(entry).toMatchObject({ user_id: u.id, user_email: 'gone@example.com', user_username: 'gone_soon', actor_id: staff.id, surface: 'admin-api' });
  });
});
