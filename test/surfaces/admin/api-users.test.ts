// /admin/api/users/… (admin.md §3.3, §2.5): the user object, the list with its search, filters and
// pages, and edits with their validation, side effects and audit entries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import { processImage } from '../../../src/core/media.js';
import type { TestApp } from '../../helpers/app.js';
import * as images from '../../helpers/images.js';
import { type TestSmtpServer, startSmtpServer } from '../../helpers/smtp.js';
import { api, bearerLogin, knoxHeader, makeUser, startAdminApp } from './support.js';

let t: TestApp;
let smtp: TestSmtpServer;
let root: User; // superuser
let rootAuth: string;
let staff: User; // staff, not superuser
let staffAuth: string;

const USER_KEYS = ['id', 'number', 'email', 'username', 'full_name', 'phone', 'contacts', 'avatar', 'picture', 'email_verified', 'is_active', 'is_staff', 'is_superuser', 'locked_until', 'failed_logins', 'created', 'updated', 'last_login', 'mfa', 'identities'];
const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startAdminApp({ SMTP_URL: smtp.url });
  root = await makeUser(t.ctx, { superuser: true, username: 'root' });
  rootAuth = await knoxHeader(t.ctx, root);
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

describe('the user object', () => {
  it('has the documented keys, in order, with typed values', async () => {
    const u = await makeUser(t.ctx, { fullName: 'Ada Lovelace', verified: true });
    const png = await processImage(await images.png(4, 4), { allowed: ['png'], maxPixels: 100 });
    if (!png.ok) throw new Error('fixture');
    const avatar = await t.ctx.media.saveAvatar(u.number, 'abc.png', png.data);
    await t.ctx.accounts.update(u.number, { avatar, phone: '+123', contacts: 'tg:@ada' });
    const r = await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(USER_KEYS);
    expect(r.json).toMatchObject({
      id: u.id, number: u.number, email: u.email, username: u.username, full_name: 'Ada Lovelace', phone: '+123', contacts: 'tg:@ada',
      avatar: `${t.url}/v1/user/media/${u.id}.png`, picture: null, email_verified: true, is_active: true, is_staff: false,
      is_superuser: false, locked_until: null, failed_logins: 0, last_login: null,
      mfa: { totp: false, recovery_codes_left: 0, passkeys: 0 }, identities: [],
    });
    expect(r.json.created).toMatch(TS);
    expect(r.json.updated).toMatch(TS);
  });

  it('links the avatar with the extension of its real format', async () => {
    const u = await makeUser(t.ctx);
    const jpeg = await processImage(await images.jpegWithGps(), { allowed: ['jpeg'], maxPixels: 1_000_000 });
    if (!jpeg.ok) throw new Error('fixture');
    // The users surface keeps uploaded names: a JPEG may be stored as photo.png.
    await t.ctx.accounts.update(u.number, { avatar: await t.ctx.media.saveAvatar(u.number, 'photo.png', jpeg.data) });
    const r = await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth);
    // v1 serves it at .jpg only (test/surfaces/v1), so that is the link.
    expect(r.json.avatar).toBe(`${t.url}/v1/user/media/${u.id}.jpg`);
  });

  it('shows the linked provider identities, oldest first, in the detail and the list (social.md §4)', async () => {
    const u = await makeUser(t.ctx, { verified: true });
    const first = await t.ctx.oidc.identities.insert(u.number, 'corp', 'sub-a', 'a@corp.example');
    const second = await t.ctx.oidc.identities.insert(u.number, 'google', 'sub-b', null);
    if (!first.ok || !second.ok) throw new Error('fixture');
    const expected = [
      { provider: 'corp', email: 'a@corp.example', created: expect.stringMatching(TS) },
      { provider: 'google', email: null, created: expect.stringMatching(TS) },
    ];
    const r = await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth);
    expect(r.json.identities).toEqual(expected);
    const list = await api(t, 'GET', `/admin/api/users/?q=${encodeURIComponent(u.email!)}`, staffAuth);
    expect(list.json.results.map((x: { identities: unknown }) => x.identities)).toEqual([expected]);
  });

  it('a malformed or unknown id → 404', async () => {
    for (const id of ['nope', '00000000-0000-0000-0000-000000000000', `${root.id}x`]) {
      const r = await api(t, 'GET', `/admin/api/users/${id}/`, staffAuth);
      expect(r.status, id).toBe(404);
      expect(r.json).toEqual({ detail: 'Not found.' });
    }
  });

  it('shows the lockout streak and lock (v1.md §0.7)', async () => {
    const u = await makeUser(t.ctx);
    for (let i = 0; i < 5; i++) {
      await t.ctx.login.attempt({ user: (await t.ctx.accounts.byId(u.id))!, password: 'wrong password', identifier: u.username!, method: 'session', meta: { surface: 'users', ip: null, userAgent: null } });
    }
    const r = await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth);
    expect(r.json.failed_logins).toBe(5);
    expect(r.json.locked_until).toMatch(TS);
  });
});

describe('GET /admin/api/users/', () => {
  let tagged: User[];
  beforeAll(async () => {
    tagged = [];
    for (let i = 0; i < 55; i++) tagged.push(await makeUser(t.ctx, { email: `pagetest${i}@paging.example`, username: `pager_${i}`, verified: i % 2 === 0 }));
  });

  it('pages newest first: 50 by default, count/next/previous', async () => {
    const r = await api(t, 'GET', '/admin/api/users/?q=paging.example', staffAuth);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['count', 'next', 'previous', 'results']);
    expect(r.json.count).toBe(55);
    expect(r.json.results).toHaveLength(50);
    expect(r.json.results[0].username).toBe('pager_54');
    expect(r.json.previous).toBeNull();
    expect(r.json.next).toBe(`${t.url}/admin/api/users/?q=paging.example&page=2`);
    const p2 = await api(t, 'GET', r.json.next.slice(t.url.length), staffAuth);
    expect(p2.json.results.map((u: any) => u.username)).toEqual(['pager_4', 'pager_3', 'pager_2', 'pager_1', 'pager_0']);
    expect(p2.json.next).toBeNull();
    expect(p2.json.previous).toBe(`${t.url}/admin/api/users/?q=paging.example`);
  });

  it('page_size: chosen, capped at 200, a bad one means 50', async () => {
    const small = await api(t, 'GET', '/admin/api/users/?q=paging.example&page_size=10&page=3', staffAuth);
    expect(small.json.results).toHaveLength(10);
    expect(small.json.results[0].username).toBe('pager_34');
    expect(small.json.previous).toContain('page=2');
    const big = await api(t, 'GET', '/admin/api/users/?page_size=100000', staffAuth);
    expect(big.json.results.length).toBeLessThanOrEqual(200);
    expect(big.json.results.length).toBe(Math.min(200, big.json.count));
    const bad = await api(t, 'GET', '/admin/api/users/?q=paging.example&page_size=zero', staffAuth);
    expect(bad.json.results).toHaveLength(50);
  });

  it('a page that is not a positive integer, or past the end → 404 "Invalid page."', async () => {
    for (const page of ['0', 'abc', '-1', '99']) {
      const r = await api(t, 'GET', `/admin/api/users/?q=paging.example&page=${page}`, staffAuth);
      expect(r.status, page).toBe(404);
      expect(r.json).toEqual({ detail: 'Invalid page.' });
    }
    const empty = await api(t, 'GET', '/admin/api/users/?q=no-such-user-anywhere', staffAuth);
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual({ count: 0, next: null, previous: null, results: [] });
  });

  it('q: case-insensitive substring over email, username and full name; wildcards are literal', async () => {
    const u = await makeUser(t.ctx, { email: 'Zebra.Stripe@Example.com', username: 'Quagga_1', fullName: 'Marty Zoo' });
    for (const q of ['zebra.s', 'QUAGGA', 'marty z']) {
      const r = await api(t, 'GET', `/admin/api/users/?q=${encodeURIComponent(q)}`, staffAuth);
      expect(r.json.results.map((x: any) => x.id), q).toEqual([u.id]);
    }
    const pct = await api(t, 'GET', `/admin/api/users/?q=${encodeURIComponent('%')}`, staffAuth);
    expect(pct.json.count).toBe(0);
    const underscore = await api(t, 'GET', `/admin/api/users/?q=${encodeURIComponent('quagga_')}`, staffAuth);
    expect(underscore.json.count).toBe(1);
  });

  it('filters active/staff/locked/verified = true/false; anything else → 400', async () => {
    const verified = await api(t, 'GET', '/admin/api/users/?q=paging.example&verified=true&page_size=200', staffAuth);
    expect(verified.json.count).toBe(28);
    expect(verified.json.results.every((u: any) => u.email_verified)).toBe(true);
    const staffOnly = await api(t, 'GET', '/admin/api/users/?staff=true&page_size=200', staffAuth);
    expect(staffOnly.json.results.map((u: any) => u.id).sort()).toEqual([root.id, staff.id].sort());
    const inactive = await makeUser(t.ctx, { active: false, username: 'sleeper' });
    const off = await api(t, 'GET', '/admin/api/users/?active=false&page_size=200', staffAuth);
    expect(off.json.results.map((u: any) => u.id)).toContain(inactive.id);
    expect(off.json.results.every((u: any) => !u.is_active)).toBe(true);
    const locked = await api(t, 'GET', '/admin/api/users/?locked=true', staffAuth);
    expect(locked.json.results.every((u: any) => u.locked_until !== null)).toBe(true);
    const bad = await api(t, 'GET', '/admin/api/users/?active=maybe', staffAuth);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ active: ['Select a valid choice. maybe is not one of the available choices.'] });
  });
});

describe('PATCH /admin/api/users/<id>/', () => {
  it('validates every editable field with the messages of §2.5', async () => {
    const u = await makeUser(t.ctx);
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, {
      json: { full_name: 'x'.repeat(251), email: 'not-an-email', username: 'u'.repeat(251), phone: '1234567890123', contacts: 'c'.repeat(101), is_active: 'perhaps', email_verified: null },
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      full_name: ['Ensure this value has at most 250 characters (it has 251).'],
      email: ['Enter a valid email address.'],
      username: ['Ensure this value has at most 250 characters (it has 251).'],
      phone: ['Ensure this value has at most 12 characters (it has 13).'],
      contacts: ['Ensure this value has at most 100 characters (it has 101).'],
      is_active: ['Must be a valid boolean.'],
      email_verified: ['This field may not be null.'],
    });
    expect(Object.keys(r.json)).toEqual(['full_name', 'email', 'username', 'phone', 'contacts', 'is_active', 'email_verified']);
    const longEmail = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.com`;
    const long = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, { json: { email: longEmail } });
    expect(long.json).toEqual({ email: [`Ensure this value has at most 254 characters (it has ${longEmail.length}).`] });
    const types = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, { json: { full_name: null, username: ['x'], phone: 12345 } });
    expect(types.json).toEqual({ full_name: ['This field may not be null.'], username: ['Not a valid string.'] });
    // Nothing was saved by any refused request.
    expect(await t.ctx.accounts.byId(u.id)).toEqual(u);
  });

  it('uniqueness is case-insensitive, and never a 500', async () => {
    const a = await makeUser(t.ctx, { email: 'Taken@Example.com', username: 'TakenName' });
    const u = await makeUser(t.ctx);
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, { json: { email: ' taken@example.COM ', username: 'takenname' } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ email: ['A user with that email already exists.'], username: ['A user with that username already exists.'] });
    // Its own values are not a conflict.
    const same = await api(t, 'PATCH', `/admin/api/users/${a.id}/`, staffAuth, { json: { email: 'taken@example.com', username: 'TAKENNAME' } });
    expect(same.status).toBe(200);
    expect(same.json.username).toBe('TAKENNAME');
  });

  it('saves trimmed values, clears optional ones, and audits old and new values', async () => {
    const u = await makeUser(t.ctx, { verified: true, fullName: 'Old Name' });
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, {
      json: { full_name: '  New Name ', email: ' new.address@example.com ', username: '', phone: '555', unknown: 'ignored' },
      headers: { 'user-agent': 'admin-test-agent' },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ full_name: 'New Name', email: 'new.address@example.com', username: null, phone: '555', email_verified: false });
    const entry = await lastAudit('admin.user.update');
    expect(entry).toMatchObject({ surface: 'admin-api', actor_id: staff.id, user_id: u.id, user_email: 'new.address@example.com', user_agent: 'admin-test-agent', ip: '127.0.0.1' });
    expect(JSON.parse(entry!.details)).toEqual({
      changed: {
        full_name: { old: 'Old Name', new: 'New Name' },
        email: { old: u.email, new: 'new.address@example.com' },
        username: { old: u.username, new: null },
        phone: { old: null, new: '555' },
        email_verified: { old: true, new: false },
      },
    });
  });

  it('the submitted email_verified wins over the reset on an email change', async () => {
    const u = await makeUser(t.ctx, { verified: true });
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, { json: { email: 'kept.verified@example.com', email_verified: true } });
    expect(r.json.email_verified).toBe(true);
  });

  it('an empty edit changes nothing and records nothing', async () => {
    const u = await makeUser(t.ctx);
    const before = (await lastAudit('admin.user.update'))?.id;
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth);
    expect(r.status).toBe(200);
    expect(r.json.updated).toBe((await api(t, 'GET', `/admin/api/users/${u.id}/`, staffAuth)).json.updated);
    expect((await lastAudit('admin.user.update'))?.id).toBe(before);
  });

  it('clearing is_active ends every session and token', async () => {
    const u = await makeUser(t.ctx, { staff: true });
    const knox = await knoxHeader(t.ctx, u);
    const jwt = await bearerLogin(t.ctx, u);
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, { json: { is_active: false } });
    expect(r.status).toBe(200);
    expect(r.json.is_active).toBe(false);
    expect(await t.ctx.knox.listOf(u.number)).toEqual([]);
    expect(await t.ctx.v1Auth.isDenylisted(jwt.header)).toBe(true);
    await t.ctx.accounts.update(u.number, { isActive: true });
    expect((await api(t, 'GET', '/admin/api/stats/', knox)).json).toEqual({ detail: 'Invalid token.' });
  });

  it('is_superuser: only a superuser may set or clear it', async () => {
    const u = await makeUser(t.ctx, { staff: true });
    const r = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, staffAuth, { json: { is_superuser: true } });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ detail: 'You do not have permission to perform this action.' });
    expect((await t.ctx.accounts.byId(u.id))!.is_superuser).toBe(0);
    const ok = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, rootAuth, { json: { is_superuser: true } });
    expect(ok.json.is_superuser).toBe(true);
    const demote = await api(t, 'PATCH', `/admin/api/users/${u.id}/`, rootAuth, { json: { is_superuser: false } });
    expect(demote.json.is_superuser).toBe(false);
  });
});

