// Text with a NUL character (U+0000): PostgreSQL's text cannot hold one, so before this was
// checked the same request was a 201 on SQLite and a 500 on PostgreSQL. Now every surface refuses
// it the same way on both databases: in its own field words where the original had them (DRF's
// and Django's "Null characters are not allowed."), and otherwise through the store's floor
// (UnacceptableValue), which every surface answers with its plain 400. Nothing is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../src/core/accounts.js';
import type { TestApp } from '../helpers/app.js';
import { api, knoxHeader, makeUser, postForm, startAdminApp, uiLogin } from '../surfaces/admin/support.js';

const NUL = 'Null characters are not allowed.';
let t: TestApp;
let root: User;
let rootAuth: string;
let member: User;
let memberAuth: string;

beforeAll(async () => {
  t = await startAdminApp({ SURFACES: 'v1,admin', WEBHOOK_ALLOW_HTTP: 'true' });
  root = await makeUser(t.ctx, { superuser: true, username: 'nul-root' });
  rootAuth = await knoxHeader(t.ctx, root);
  member = await makeUser(t.ctx, { username: 'nul-member' });
  memberAuth = await knoxHeader(t.ctx, member);
});
afterAll(async () => {
  await t?.close();
});

describe('v1 fields (DRF CharField words)', () => {
  it('a profile bio or instagram link with a NUL: 400, no profile', async () => {
    const bio = await api(t, 'POST', '/v1/user/profile/artist/', memberAuth, { json: { bio: 'a\u0000b', instagram: '' } });
    expect([bio.status, bio.json]).toEqual([400, NUL]);
    const link = await api(t, 'POST', '/v1/user/profile/collector/', memberAuth, { json: { bio: 'ok', instagram: 'https://instagram.com/a\u0000b' } });
    expect([link.status, link.json]).toEqual([400, NUL]);
    const kept = await t.ctx.db.selectFrom('profiles').select('id').execute();
    expect(kept).toEqual([]);
  });

  it('an edit of an existing profile with a NUL: 400, the bio as it was', async () => {
    const made = await api(t, 'POST', '/v1/user/profile/artist/', memberAuth, { json: { bio: 'before', instagram: '' } });
    expect(made.status).toBe(201);
    const id = (made.json as { id: string }).id;
    const edit = await api(t, 'PUT', `/v1/user/profile/artist/${id}/`, memberAuth, { json: { bio: '\u0000' } });
    expect([edit.status, edit.json]).toEqual([400, NUL]);
    const read = await api(t, 'GET', `/v1/user/profile/artist/${id}/`, memberAuth);
    expect((read.json as { bio: string }).bio).toBe('before');
  });

  it('a lone surrogate (JSON "\\ud800") is DRF\u2019s other CharField rule: 400, not stored as U+FFFD', async () => {
    const r = await api(t, 'POST', '/v1/user/profile/collector/', memberAuth, { json: { bio: 'a\ud800b', instagram: '' } });
    expect([r.status, r.json]).toEqual([400, 'Surrogate characters are not allowed: U+D800.']);
    const pair = await api(t, 'POST', '/v1/user/profile/collector/', memberAuth, { json: { bio: 'a\ud83d\ude00b', instagram: '' } });
    expect([pair.status, (pair.json as { bio: string }).bio]).toEqual([201, 'a\u{1F600}b']);
  });

  it('a form-encoded body spells NUL as %00: the same answer', async () => {
    const r = await api(t, 'POST', '/v1/user/profile/collector/', memberAuth, {
      body: 'bio=a%00b&instagram=',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([r.status, r.json]).toEqual([400, NUL]);
  });
});

describe('admin API fields (Django form words)', () => {
  it('each text field of a user edit: its own error, nothing changed', async () => {
    const target = await makeUser(t.ctx, { username: 'nul-target', fullName: 'Kept Name' });
    for (const key of ['full_name', 'username', 'phone', 'contacts']) {
      const r = await api(t, 'PATCH', `/admin/api/users/${target.id}/`, rootAuth, { json: { [key]: 'x\u0000' } });
      expect([key, r.status, r.json]).toEqual([key, 400, { [key]: [NUL] }]);
    }
    const row = await t.ctx.db.selectFrom('users').select(['full_name', 'username', 'phone', 'contacts']).where('id', '=', target.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ full_name: 'Kept Name', username: 'nul-target', phone: null, contacts: null });
  });

  it('a webhook description or URL with a NUL: 400 on the field, no endpoint', async () => {
    const desc = await api(t, 'POST', '/admin/api/webhooks/', rootAuth, { json: { url: 'https://example.com/hook', events: ['*'], description: 'a\u0000b' } });
    expect([desc.status, desc.json]).toEqual([400, { description: [NUL] }]);
    const url = await api(t, 'POST', '/admin/api/webhooks/', rootAuth, { json: { url: 'https://example.com/a\u0000b', events: ['*'] } });
    expect([url.status, url.json]).toEqual([400, { url: [NUL] }]);
    expect(await t.ctx.db.selectFrom('webhook_endpoints').select('id').execute()).toEqual([]);
  });

  it('a profile bio edited by the admin with a NUL: 400 on the field', async () => {
    const owner = await makeUser(t.ctx, { username: 'nul-owner' });
    const made = await api(t, 'POST', '/v1/user/profile/artist/', await knoxHeader(t.ctx, owner), { json: { bio: 'kept', instagram: '' } });
    const id = (made.json as { id: string }).id;
    const r = await api(t, 'PATCH', `/admin/api/profiles/artist/${id}/`, rootAuth, { json: { bio: 'a\u0000b' } });
    expect([r.status, r.json]).toEqual([400, { bio: [NUL] }]);
  });
});

describe('the admin UI (the same core rules, through a form)', () => {
  it('a user edit form with a NUL in a field: the page again with the message, nothing changed', async () => {
    const target = await makeUser(t.ctx, { username: 'nul-ui-target', fullName: 'Kept In UI' });
    const c = await uiLogin(t, 'nul-root');
    const r = await postForm(c, `/admin/users/${target.id}/`, { full_name: 'x\u0000y', email: '', username: 'nul-ui-target', phone: '', contacts: '', is_active: 'on' });
    expect(r.status).toBe(200);
    expect(r.text).toContain(NUL);
    const row = await t.ctx.db.selectFrom('users').select('full_name').where('id', '=', target.id).executeTakeFirstOrThrow();
    expect(row.full_name).toBe('Kept In UI');
  });

  it('a search with a NUL: the UI\u2019s own 400 page, never a 500', async () => {
    const c = await uiLogin(t, 'nul-root');
    const r = await c.get('/admin/users/?q=a%00b');
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
  });
});

describe('the floor under every other path', () => {
  it('a search or filter with a NUL in the query string: the surface’s plain 400, never a 500', async () => {
    for (const path of ['/admin/api/users/?q=a%00b', '/admin/api/audit/?event=a%00b']) {
      const r = await api(t, 'GET', path, rootAuth);
      expect([path, r.status, r.json]).toEqual([path, 400, { detail: 'Bad request.' }]);
    }
  });

  it('the store refuses NUL text itself, on either database, before the database sees it', async () => {
    const { UnacceptableValue } = await import('../../src/errors.js');
    await expect(t.ctx.db.selectFrom('users').select('id').where('username', '=', 'a\u0000b').execute()).rejects.toBeInstanceOf(UnacceptableValue);
    await expect(t.ctx.db.updateTable('users').set({ full_name: 'x\u0000' }).where('id', '=', member.id).execute()).rejects.toBeInstanceOf(UnacceptableValue);
    const row = await t.ctx.db.selectFrom('users').select('full_name').where('id', '=', member.id).executeTakeFirstOrThrow();
    expect(row.full_name).not.toContain('\u0000');
  });

  it('the answer never carries the value', async () => {
    const secret = 'sekrit-value-\u0000-9f3a';
    const r = await api(t, 'GET', `/admin/api/users/?q=${encodeURIComponent(secret)}`, rootAuth);
    expect(r.status).toBe(400);
    expect(r.text).not.toContain('sekrit');
  });
});
