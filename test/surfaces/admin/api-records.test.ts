// /admin/api/profiles/…, /admin/api/audit/ and /admin/api/stats/ (admin.md §3.2, §3.3, §4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { api, bearerLogin, knoxHeader, makeUser, startAdminApp } from './support.js';

let t: TestApp;
let staff: User;
let auth: string;

const PROFILE_KEYS = ['id', 'kind', 'bio', 'instagram', 'user_id', 'username', 'created', 'updated'];
const AUDIT_KEYS = ['id', 'at', 'event', 'surface', 'actor', 'user', 'ip', 'user_agent', 'details'];
const STATS_KEYS = ['users', 'active_users', 'staff', 'superusers', 'verified', 'locked', 'registrations_7d', 'logins_24h', 'login_failures_24h', 'lockouts_24h', 'artist_profiles', 'collector_profiles', 'knox_tokens', 'jwt_logins', 'mfa_users'];

beforeAll(async () => {
  t = await startAdminApp();
  staff = await makeUser(t.ctx, { staff: true, username: 'records_staff' });
  auth = await knoxHeader(t.ctx, staff);
});
afterAll(async () => {
  await t?.close();
});

describe('profiles', () => {
  it('lists one kind, newest first, searchable over username, bio and instagram', async () => {
    const a = await makeUser(t.ctx, { username: 'painter_pia' });
    const b = await makeUser(t.ctx, { username: 'sculptor_sam' });
    const pa = (await t.ctx.profiles.create('artist', a.number, { bio: 'Oil on canvas', instagram: 'https://instagram.com/pia' }))!;
    const pb = (await t.ctx.profiles.create('artist', b.number, { bio: 'Bronze', instagram: '' }))!;
    await t.ctx.profiles.create('collector', a.number, { bio: 'Collects bronze' });
    const r = await api(t, 'GET', '/admin/api/profiles/artist/', auth);
    expect(r.status).toBe(200);
    expect(r.json.count).toBe(2);
    expect(r.json.results.map((p: any) => p.id)).toEqual([pb.id, pa.id]);
    expect(Object.keys(r.json.results[0])).toEqual(PROFILE_KEYS);
    expect(r.json.results[1]).toMatchObject({ kind: 'artist', bio: 'Oil on canvas', instagram: 'https://instagram.com/pia', user_id: a.id, username: 'painter_pia' });
    for (const [q, ids] of [['PIA', [pa.id]], ['bronze', [pb.id]], ['instagram.com', [pa.id]], ['%', []]] as const) {
      const s = await api(t, 'GET', `/admin/api/profiles/artist/?q=${encodeURIComponent(q)}`, auth);
      expect(s.json.results.map((p: any) => p.id), q).toEqual(ids);
    }
    const c = await api(t, 'GET', '/admin/api/profiles/collector/?page_size=1', auth);
    expect(c.json).toMatchObject({ count: 1, next: null, previous: null });
  });

  it('GET, PATCH with the v1 §4 rules, DELETE; the other kind\u2019s path is 404', async () => {
    const u = await makeUser(t.ctx);
    const p = (await t.ctx.profiles.create('collector', u.number, { bio: 'old bio', instagram: '' }))!;
    const path = `/admin/api/profiles/collector/${p.id}/`;
    expect((await api(t, 'GET', path, auth)).json.bio).toBe('old bio');
    expect((await api(t, 'GET', `/admin/api/profiles/artist/${p.id}/`, auth)).status).toBe(404);
    expect((await api(t, 'GET', '/admin/api/profiles/collector/not-a-uuid/', auth)).status).toBe(404);

    const bad = await api(t, 'PATCH', path, auth, { json: { bio: null, instagram: `https://x.com/${'a'.repeat(250)}` } });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ bio: ['This field may not be null.'], instagram: ['Ensure this field has no more than 255 characters.'] });
    const badUrl = await api(t, 'PATCH', path, auth, { json: { instagram: 'javascript:alert(1)' } });
    expect(badUrl.json).toEqual({ instagram: ['Enter a valid URL.'] });

    const ok = await api(t, 'PATCH', path, auth, { json: { bio: '  new bio ', instagram: ' https://instagram.com/new ' } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ bio: '  new bio ', instagram: 'https://instagram.com/new' });
    const entry = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'admin.profile.update').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor_id: staff.id, user_id: u.id, user_email: u.email, surface: 'admin-api' });
    expect(JSON.parse(entry.details)).toEqual({ kind: 'collector', profile_id: p.id, changed: { bio: { old: 'old bio', new: '  new bio ' }, instagram: { old: '', new: 'https://instagram.com/new' } } });

    const del = await api(t, 'DELETE', path, auth);
    expect(del.status).toBe(204);
    expect((await api(t, 'GET', path, auth)).status).toBe(404);
    expect((await api(t, 'DELETE', path, auth)).status).toBe(404);
    const gone = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'admin.profile.delete').executeTakeFirstOrThrow();
    expect(gone).toMatchObject({ user_id: u.id, actor_id: staff.id });
    expect((await api(t, 'PUT', path, auth, { json: {} })).headers.get('allow')).toBe('GET, PATCH, DELETE, HEAD');
  });
});

describe('audit', () => {
  it('entries of every surface, newest first, with the documented shape', async () => {
    const u = await makeUser(t.ctx, { username: 'audited' });
    await t.ctx.audit.record({ event: 'user.register', meta: { surface: 'users', ip: '10.0.0.1', userAgent: 'ua-1' }, user: { id: u.id, email: u.email, username: u.username } });
    await t.ctx.audit.record({ event: 'password.change', meta: { surface: 'v1', ip: '10.0.0.2', userAgent: null }, user: { id: u.id, email: u.email, username: u.username } });
    const r = await api(t, 'GET', `/admin/api/audit/?user=${u.id}`, auth);
    expect(r.status).toBe(200);
    expect(r.json.count).toBe(2);
    const [first, second] = r.json.results;
    expect(Object.keys(first)).toEqual(AUDIT_KEYS);
    expect(first).toMatchObject({ event: 'password.change', surface: 'v1', actor: null, user: { id: u.id, email: u.email, username: 'audited' }, ip: '10.0.0.2', user_agent: null, details: {} });
    expect(second).toMatchObject({ event: 'user.register', surface: 'users', ip: '10.0.0.1', user_agent: 'ua-1' });
    expect(first.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(first.id).toBeGreaterThan(second.id);
  });

  it('filters by event, actor, since and until; bad values → 400', async () => {
    const target = await makeUser(t.ctx);
    await api(t, 'POST', `/admin/api/users/${target.id}/unlock/`, auth);
    const byActor = await api(t, 'GET', `/admin/api/audit/?actor=${staff.id}&event=admin.user.unlock`, auth);
    expect(byActor.json.results.length).toBeGreaterThanOrEqual(1);
    expect(byActor.json.results[0]).toMatchObject({ event: 'admin.user.unlock', actor: { id: staff.id, username: 'records_staff' }, user: { id: target.id }, surface: 'admin-api' });
    const future = await api(t, 'GET', '/admin/api/audit/?since=2999-01-01T00:00:00Z', auth);
    expect(future.json.count).toBe(0);
    const past = await api(t, 'GET', '/admin/api/audit/?until=2000-01-01', auth);
    expect(past.json.count).toBe(0);
    const all = await api(t, 'GET', '/admin/api/audit/?since=2000-01-01T00:00:00.000000Z&until=2999-01-01T00:00:00%2B02:00', auth);
    expect(all.json.count).toBeGreaterThan(0);
    const bad = await api(t, 'GET', '/admin/api/audit/?user=nobody&actor=x&since=yesterday', auth);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      user: ['Must be a valid UUID.'],
      actor: ['Must be a valid UUID.'],
      since: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'],
    });
  });

  it('pages 50 by default', async () => {
    for (let i = 0; i < 60; i++) await t.ctx.audit.record({ event: 'test.paging', meta: { surface: 'cli', ip: null, userAgent: null } });
    const r = await api(t, 'GET', '/admin/api/audit/?event=test.paging', auth);
    expect(r.json.count).toBe(60);
    expect(r.json.results).toHaveLength(50);
    expect(r.json.next).toBe(`${t.url}/admin/api/audit/?event=test.paging&page=2`);
  });
});

describe('stats', () => {
  it('counts users, the last day of logins and failures, profiles and live credentials', async () => {
    const app = await startAdminApp();
    try {
      const admin = await makeUser(app.ctx, { superuser: true });
      const h = await knoxHeader(app.ctx, admin);
      await bearerLogin(app.ctx, admin);
      const victim = await makeUser(app.ctx, { verified: true });
      const meta = { surface: 'v1' as const, ip: null, userAgent: null };
      for (let i = 0; i < 5; i++) await app.ctx.login.attempt({ user: (await app.ctx.accounts.byId(victim.id))!, password: 'wrong one', identifier: 'v', method: 'knox', meta });
      await app.ctx.login.attempt({ user: admin, password: 'correct horse battery', identifier: 'a', method: 'knox', meta });
      await makeUser(app.ctx, { active: false });
      await app.ctx.profiles.create('artist', victim.number, {});
      const r = await api(app, 'GET', '/admin/api/stats/', h);
      expect(r.status).toBe(200);
      expect(Object.keys(r.json)).toEqual(STATS_KEYS);
      expect(r.json).toEqual({
        users: 3, active_users: 2, staff: 1, superusers: 1, verified: 1, locked: 1, registrations_7d: 3,
        logins_24h: 1, login_failures_24h: 5, lockouts_24h: 1, artist_profiles: 1, collector_profiles: 0, knox_tokens: 1, jwt_logins: 1,
        mfa_users: 0,
      });
    } finally {
      await app.close();
    }
  });
});
