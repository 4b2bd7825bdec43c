// The admin web UI's pages over plain HTTP (admin.md §2.2–§2.6, §1): lists, forms and their
// messages, one-time notices, escaping, the superuser-only rules and the guards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { expectPageHeaders, knoxHeader, makeUser, postForm, startAdminApp, textOf, uiLogin } from './support.js';

let t: TestApp;
let root: User;
let helper: User; // staff, not superuser

beforeAll(async () => {
  t = await startAdminApp();
  root = await makeUser(t.ctx, { superuser: true, username: 'root', email: 'root@example.com' });
  helper = await makeUser(t.ctx, { staff: true, username: 'helper' });
});
afterAll(async () => {
  await t?.close();
});

describe('pages and forms', () => {
  it('escapes every user-supplied value', async () => {
    const evil = await makeUser(t.ctx, { username: '<script>alert(1)</script>', fullName: '"><img src=x onerror=alert(2)>', email: 'evil+"x"@example.com' });
    await t.ctx.profiles.create('artist', evil.number, { bio: '<script>alert(3)</script>', instagram: 'https://x.com/"onmouseover=alert(4)' });
    await t.ctx.audit.record({ event: '<b>odd</b>', meta: { surface: 'v1', ip: null, userAgent: '<script>ua</script>' }, user: { id: evil.id, email: evil.email, username: evil.username }, details: { note: '</code><script>' } });
    const c = await uiLogin(t, 'root');
    for (const path of ['/admin/users/?q=script', `/admin/users/${evil.id}/`, '/admin/profiles/artist/', '/admin/audit/', `/admin/users/${evil.id}/delete/`, `/admin/users/${evil.id}/password/`]) {
      const r = await c.get(path);
      expect(r.status, path).toBe(200);
      expect(r.text, path).not.toMatch(/<script>|<img |"onmouseover|<b>odd/);
    }
    expect((await c.get(`/admin/users/${evil.id}/`)).text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await c.get('/admin/users/?q=%3Cscript%3E')).text).toContain('value="&lt;script&gt;"');
  });

  it('user list: search, filters and pages', async () => {
    for (let i = 0; i < 52; i++) await makeUser(t.ctx, { email: `listed${i}@list.example`, verified: i === 3 });
    const c = await uiLogin(t, 'root');
    const p1 = await c.get('/admin/users/?q=list.example');
    expect(p1.text.match(/@list\.example/g)).toHaveLength(50);
    expect(textOf(p1)).toContain('Page 1 of 2 · 52 users');
    expect(p1.text).toContain('href="/admin/users/?q=list.example&amp;page=2"');
    const p2 = await c.get('/admin/users/?q=list.example&page=2');
    expect(textOf(p2)).toContain('listed1@list.example');
    expect(textOf(p2)).toContain('listed0@list.example');
    const past = await c.get('/admin/users/?q=list.example&page=99');
    expect(textOf(past)).toContain('Page 2 of 2');
    const verified = await c.get('/admin/users/?q=list.example&verified=yes');
    expect(verified.text.match(/@list\.example/g)).toHaveLength(1);
    for (const name of ['Number', 'Email', 'Username', 'Full name', 'Active', 'Staff', 'Superuser', 'Verified', 'Locked until', 'Created', 'Last login']) {
      expect(p1.text).toContain(`<th scope="col">${name}</th>`);
    }
    for (const id of ['id_q', 'id_active', 'id_staff', 'id_locked', 'id_verified']) expect(p1.text).toContain(`<label for="${id}">`);
  });

  it('edit: messages next to fields on a bad form; on success a 302 and a one-time notice', async () => {
    const u = await makeUser(t.ctx, { email: 'edit.me@example.com' });
    const taken = await makeUser(t.ctx);
    const c = await uiLogin(t, 'root');
    const path = `/admin/users/${u.id}/`;
    const bad = await postForm(c, path, { full_name: 'F', email: taken.email!.toUpperCase(), username: 'x'.repeat(251), phone: '', contacts: '', is_active: 'on' });
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('A user with that email already exists.');
    expect(bad.text).toContain('Ensure this value has at most 250 characters (it has 251).');
    expect(bad.text).toContain('id="email-errors"');
    expect(bad.text).toContain(`value="${taken.email!.toUpperCase()}"`);
    expect(await t.ctx.accounts.byId(u.id)).toEqual(u);
    const ok = await postForm(c, path, { full_name: 'Edited Name', email: 'edit.me@example.com', username: 'edited', phone: '12', contacts: '', is_active: 'on', email_verified: 'on' });
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe(path);
    const shown = await c.get(path);
    expect(shown.text).toContain('The user was changed.');
    expect((await c.get(path)).text).not.toContain('The user was changed.');
    const fresh = (await t.ctx.accounts.byId(u.id))!;
    expect(fresh).toMatchObject({ full_name: 'Edited Name', username: 'edited', phone: '12', email_verified: 1, is_staff: 0 });
    const entry = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'admin.user.update').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ surface: 'admin', actor_id: root.id, user_id: u.id });
  });

  it('set password: the §2.6 messages, then the password is set and sessions end', async () => {
    const u = await makeUser(t.ctx);
    const token = await knoxHeader(t.ctx, u);
    const c = await uiLogin(t, 'root');
    const path = `/admin/users/${u.id}/password/`;
    const form1 = await c.get(path);
    expect(form1.text).toContain('<label for="id_password1">');
    for (const [p1, p2, message] of [
      ['', '', 'This field is required.'],
      ['short', 'short', 'This password is too short. It must contain at least 8 characters.'],
      ['p'.repeat(129), 'p'.repeat(129), 'Ensure this value has at most 128 characters (it has 129).'],
      ['long enough 1', 'long enough 2', 'The two password fields didn\u2019t match.'],
    ]) {
      const r = await postForm(c, path, { password1: p1, password2: p2 });
      expect(r.status).toBe(200);
      expect(r.text).toContain(message);
    }
    const r = await postForm(c, path, { password1: 'a brand new one', password2: 'a brand new one' });
    expect(r.status).toBe(302);
    expect((await c.get(`/admin/users/${u.id}/`)).text).toContain('The password was changed.');
    expect((await t.ctx.v1Auth.authenticate(token, { knox: true, bearer: false })).ok).toBe(false);
    expect((await t.ctx.passwords.verify('a brand new one', (await t.ctx.accounts.byId(u.id))!.password)).ok).toBe(true);
  });

  it('send reset: sent, then "less than a minute"; no email', async () => {
    const u = await makeUser(t.ctx);
    const none = await makeUser(t.ctx, { email: null });
    const c = await uiLogin(t, 'root');
    await postForm(c, `/admin/users/${u.id}/send-reset/`);
    expect((await c.get(`/admin/users/${u.id}/`)).text).toContain('A password reset email was sent.');
    await postForm(c, `/admin/users/${u.id}/send-reset/`);
    expect((await c.get(`/admin/users/${u.id}/`)).text).toContain('A reset email was sent less than a minute ago.');
    await postForm(c, `/admin/users/${none.id}/send-reset/`);
    expect((await c.get(`/admin/users/${none.id}/`)).text).toContain('This user has no email address.');
  });

  it('delete: a confirmation listing what goes, then 302 to the list', async () => {
    const u = await makeUser(t.ctx);
    await t.ctx.profiles.create('collector', u.number, {});
    await t.ctx.accounts.update(u.number, { avatar: `avatars/${u.number}/a.png` });
    const c = await uiLogin(t, 'root');
    const confirm = await c.get(`/admin/users/${u.id}/delete/`);
    expect(textOf(confirm)).toContain('the collector profile');
    expect(textOf(confirm)).toContain('the uploaded avatar');
    expect(textOf(confirm)).toContain('every browser session');
    const r = await postForm(c, `/admin/users/${u.id}/delete/`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/admin/users/');
    expect((await c.get('/admin/users/')).text).toContain('The user was deleted.');
    expect(await t.ctx.accounts.byId(u.id)).toBeUndefined();
  });

  it('profiles: list, edit with "Enter a valid URL.", delete', async () => {
    const u = await makeUser(t.ctx, { username: 'collector_carl' });
    const p = (await t.ctx.profiles.create('collector', u.number, { bio: 'Likes prints' }))!;
    const c = await uiLogin(t, 'helper');
    const list = await c.get('/admin/profiles/collector/?q=prints');
    expect(list.text).toContain(`/admin/profiles/collector/${p.id}/`);
    const path = `/admin/profiles/collector/${p.id}/`;
    const bad = await postForm(c, path, { bio: 'Likes prints', instagram: 'not a url' });
    expect(bad.status).toBe(200);
    expect(bad.text).toContain('Enter a valid URL.');
    const ok = await postForm(c, path, { bio: 'Likes etchings', instagram: 'https://instagram.com/carl' });
    expect(ok.status).toBe(302);
    expect((await c.get(path)).text).toContain('The profile was changed.');
    expect((await t.ctx.profiles.get('collector', p.id))!.bio).toBe('Likes etchings');
    expect((await c.get(`${path}delete/`)).status).toBe(200);
    const del = await postForm(c, `${path}delete/`);
    expect(del.headers.get('location')).toBe('/admin/profiles/collector/');
    expect(await t.ctx.profiles.get('collector', p.id)).toBeUndefined();
    expect((await c.get(path)).status).toBe(404);
  });

  it('audit list: entries of every surface; filters by event, actor or user, dates', async () => {
    await t.ctx.audit.record({ event: 'user.register', meta: { surface: 'user-account', ip: '192.0.2.7', userAgent: 'ua' }, user: { id: helper.id, email: helper.email, username: helper.username } });
    const c = await uiLogin(t, 'root');
    const all = await c.get('/admin/audit/');
    expect(all.text).toContain('user-account');
    expect(all.text).toContain('192.0.2.7');
    const reg = await c.get('/admin/audit/?event=user.register&q=helper');
    expect(reg.text.match(/<span class="event">/g)).toHaveLength(1);
    const none = await c.get('/admin/audit/?from=2999-01-01');
    expect(none.text).toContain('No entries.');
    const bad = await c.get('/admin/audit/?from=2024-02-30');
    expect(bad.text).toContain('Enter a valid date.');
    for (const id of ['id_event', 'id_q', 'id_from', 'id_to']) expect(all.text).toContain(`<label for="${id}">`);
  });
});

describe('superuser-only rules and guards in the UI (§1)', () => {
  it('staff get the 403 page for actions on a superuser, and for setting is_superuser', async () => {
    const boss = await makeUser(t.ctx, { superuser: true });
    const u = await makeUser(t.ctx);
    const c = await uiLogin(t, 'helper');
    const detail = await c.get(`/admin/users/${boss.id}/`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('Only a superuser can change this account.');
    expect(detail.text).not.toContain('name="is_superuser"');
    const posts: [string, Record<string, string>][] = [
      [`/admin/users/${boss.id}/`, { full_name: 'x', is_active: 'on', is_staff: 'on' }], [`/admin/users/${boss.id}/password/`, { password1: 'abcdefgh1', password2: 'abcdefgh1' }],
      [`/admin/users/${boss.id}/unlock/`, {}], [`/admin/users/${boss.id}/revoke-sessions/`, {}], [`/admin/users/${boss.id}/delete/`, {}],
      [`/admin/users/${u.id}/`, { full_name: '', is_active: 'on', is_superuser: 'on' }],
    ];
    for (const [path, fields] of posts) {
      const r = await postForm(c, path, fields);
      expect(r.status, path).toBe(403);
      expect(r.text).toContain('<h1>Permission denied.</h1>');
      expectPageHeaders(r);
    }
    for (const path of [`/admin/users/${boss.id}/password/`, `/admin/users/${boss.id}/delete/`]) expect((await c.get(path)).status).toBe(403);
    expect(await t.ctx.accounts.byId(boss.id)).toEqual(boss);
    expect((await t.ctx.accounts.byId(u.id))!.is_superuser).toBe(0);
  });

  it('guards: own account, last active superuser', async () => {
    const app = await startAdminApp();
    try {
      const only = await makeUser(app.ctx, { superuser: true, username: 'only' });
      const c = await uiLogin(app, 'only');
      const del = await postForm(c, `/admin/users/${only.id}/delete/`);
      expect(del.status).toBe(302);
      expect((await c.get(`/admin/users/${only.id}/`)).text).toContain('You cannot do this to your own account.');
      const demote = await postForm(c, `/admin/users/${only.id}/`, { full_name: '', email: only.email!, username: 'only', is_active: 'on', is_staff: 'on' });
      expect(demote.status).toBe(200);
      expect(demote.text).toContain('At least one active superuser must remain.');
      const deactivate = await postForm(c, `/admin/users/${only.id}/`, { full_name: '', email: only.email!, username: 'only', is_staff: 'on', is_superuser: 'on' });
      expect(deactivate.text).toContain('You cannot do this to your own account.');
      expect(await app.ctx.accounts.byId(only.id)).toMatchObject({ is_active: 1, is_staff: 1, is_superuser: 1, username: 'only' });
    } finally {
      await app.close();
    }
  });
});
