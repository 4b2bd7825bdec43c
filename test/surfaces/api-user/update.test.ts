// api-user.md §3.3, §3.4 and §3.6: me, partial update (picture replacement and deletion),
// and the media route.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import * as img from '../../helpers/images.js';
import { PASSWORD, forge, freshUser, jwt, login, multipart, nowSec, startApiUser, surfaceKey, withHeaders } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApiUser();
});
afterAll(async () => {
  await t?.close();
});

function update(access: string, json: unknown) {
  return request(t.url, 'PUT', '/api/user/update', { headers: jwt(access), json });
}

async function avatarPath(id: string): Promise<string | null> {
  return (await t.ctx.accounts.byId(id))!.avatar;
}

function onDisk(rel: string): boolean {
  return existsSync(path.join(t.dataDir, 'media', rel));
}

describe('GET me (§3.3)', () => {
  it('shows a user created elsewhere with "" for full_name and null for email', async () => {
    const created = await t.ctx.accounts.create({ username: `elsewhere${randomBytes(3).toString('hex')}`, password: 'x' });
    if (!created.ok) throw new Error('setup failed');
    const token = await forge({ token_type: 'access', exp: nowSec() + 60, iat: nowSec(), jti: randomBytes(16).toString('hex'), user_id: created.user.id }, surfaceKey(t));
    const r = await request(t.url, 'GET', '/api/user/me/', { headers: jwt(token) });
    expect(r.status).toBe(200);
    expect(r.text).toBe(JSON.stringify({ id: created.user.id, full_name: '', email: null, profile_pic: null }));
  });
});

describe('PUT update (§3.4)', () => {
  it('changes only the fields sent; an empty body returns the user unchanged', async () => {
    const u = await freshUser(t);
    const same = await request(t.url, 'PUT', '/api/user/update', { headers: jwt(u.access) });
    expect(same.status).toBe(200);
    expect(same.json).toEqual(u.user);
    const r = await update(u.access, { full_name: '  Renamed ' });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ ...u.user, full_name: 'Renamed' });
  });

  it('a new email is unverified and audited; an email taken by another user is refused', async () => {
    const other = await freshUser(t);
    const u = await freshUser(t);
    const row = (await t.ctx.accounts.byId(u.id))!;
    await t.ctx.accounts.update(row.number, { emailVerified: true });

    const taken = await update(u.access, { email: other.email.toUpperCase() });
    expect(taken.status).toBe(400);
    expect(taken.text).toBe('{"email":["user with this email already exists."]}');

    const own = await update(u.access, { email: u.email });
    expect(own.status).toBe(200);
    expect((await t.ctx.accounts.byId(u.id))!.email_verified).toBe(1);

    const moved = await update(u.access, { email: ' Moved.Here@Example.com ' });
    expect(moved.status).toBe(200);
    expect(moved.json.email).toBe('Moved.Here@Example.com');
    expect((await t.ctx.accounts.byId(u.id))!.email_verified).toBe(0);
    const audit = await t.ctx.db.selectFrom('audit_log').select(['details']).where('user_id', '=', u.id).where('event', '=', 'user.email_change').execute();
    expect(audit.map((a) => JSON.parse(a.details))).toEqual([{ old: u.email, new: 'Moved.Here@Example.com' }]);
  });

  it('reports field errors in order and changes nothing then', async () => {
    const u = await freshUser(t);
    const r = await update(u.access, { email: null, full_name: '', profile_pic: 'x', password: 'p'.repeat(129) });
    expect(r.status).toBe(400);
    expect(r.text).toBe(JSON.stringify({
      email: ['This field may not be null.'],
      full_name: ['This field may not be blank.'],
      profile_pic: ['The submitted data was not a file. Check the encoding type on the form.'],
      password: ['Ensure this field has no more than 128 characters.'],
    }));
    const bad = await update(u.access, { email: 'not-an-email', full_name: 'x'.repeat(251) });
    expect(bad.json).toEqual({ email: ['Enter a valid email address.'], full_name: ['Ensure this field has no more than 250 characters.'] });
    expect((await request(t.url, 'GET', '/api/user/me', { headers: jwt(u.access) })).json).toEqual(u.user);
  });

  it('a new password is hashed and audited, and does not end other logins', async () => {
    const u = await freshUser(t);
    const r = await update(u.access, { password: ' new secret ' });
    expect(r.status).toBe(200);
    expect((await request(t.url, 'POST', '/api/user/login', { json: { email: u.email, password: PASSWORD } })).status).toBe(400);
    await login(t, u.email, 'new secret');
    expect((await request(t.url, 'GET', '/api/user/me', { headers: jwt(u.access) })).status).toBe(200);
    expect((await request(t.url, 'POST', '/api/user/refresh', { json: { refresh: u.refresh } })).status).toBe(200);
    const audit = await t.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', u.id).where('event', '=', 'password.change').execute();
    expect(audit).toHaveLength(1);
  });

  it('a new picture replaces the old file; null and "" delete it', async () => {
    const u = await freshUser(t);
    const first = await request(t.url, 'PUT', '/api/user/update/', withHeaders(multipart([{ name: 'profile_pic', filename: 'a.png', data: await img.png(5, 5) }]), jwt(u.access)));
    expect(first.status).toBe(200);
    expect(first.json.profile_pic).toBe(`${t.url}/api/user/media/${u.id}.png`);
    const firstPath = (await avatarPath(u.id))!;
    expect(onDisk(firstPath)).toBe(true);

    const second = await request(t.url, 'PUT', '/api/user/update', withHeaders(multipart([{ name: 'profile_pic', filename: 'b.webp', data: await img.webp(6, 6) }, { name: 'full_name', value: 'With Pic' }]), jwt(u.access)));
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({ full_name: 'With Pic', profile_pic: `${t.url}/api/user/media/${u.id}.webp` });
    const secondPath = (await avatarPath(u.id))!;
    expect(onDisk(firstPath)).toBe(false);
    expect(onDisk(secondPath)).toBe(true);
    expect((await request(t.url, 'GET', `/api/user/media/${u.id}.png`)).status).toBe(404);

    const cleared = await update(u.access, { profile_pic: null });
    expect(cleared.json.profile_pic).toBeNull();
    expect(onDisk(secondPath)).toBe(false);
    expect(await avatarPath(u.id)).toBeNull();

    await request(t.url, 'PUT', '/api/user/update', withHeaders(multipart([{ name: 'profile_pic', filename: 'c.jpg', data: await img.jpegWithGps() }]), jwt(u.access)));
    const third = (await avatarPath(u.id))!;
    const emptied = await request(t.url, 'PUT', '/api/user/update', withHeaders(multipart([{ name: 'profile_pic', value: '' }]), jwt(u.access)));
    expect(emptied.json.profile_pic).toBeNull();
    expect(onDisk(third)).toBe(false);
  });

  it('a refused update leaves the old picture and writes no new file', async () => {
    const other = await freshUser(t);
    const u = await freshUser(t);
    await request(t.url, 'PUT', '/api/user/update', withHeaders(multipart([{ name: 'profile_pic', filename: 'a.png', data: await img.png(5, 5) }]), jwt(u.access)));
    const kept = (await avatarPath(u.id))!;
    const refused = await request(t.url, 'PUT', '/api/user/update', withHeaders(multipart([{ name: 'email', value: other.email }, { name: 'profile_pic', filename: 'b.png', data: await img.png(7, 7) }]), jwt(u.access)));
    expect(refused.status).toBe(400);
    expect(await avatarPath(u.id)).toBe(kept);
    expect(onDisk(kept)).toBe(true);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(path.dirname(path.join(t.dataDir, 'media', kept)))).toEqual([path.basename(kept)]);
  });
});

describe('media (§3.6, v1.md §0.10)', () => {
  it('serves the avatar with its type, nosniff, no-cache and an ETag; 304 and HEAD work', async () => {
    const u = await freshUser(t);
    const up = await request(t.url, 'PUT', '/api/user/update', withHeaders(multipart([{ name: 'profile_pic', filename: 'a.jpg', data: await img.jpegWithGps() }]), jwt(u.access)));
    const url = `/api/user/media/${u.id}.jpg`;
    expect(up.json.profile_pic).toBe(t.url + url);
    const r = await request(t.url, 'GET', url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/jpeg');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await request(t.url, 'GET', url, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const head = await request(t.url, 'HEAD', url);
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(r.headers.get('content-length'));
    expect(head.text).toBe('');
  });

  it('answers 404 for an unknown user, no avatar, a wrong extension or a malformed name; 405 for other methods', async () => {
    const u = await freshUser(t);
    for (const name of [`${u.id}.png`, `${randomBytes(16).toString('hex')}.png`, 'x.png', `${u.id}`, `${u.id}.gif`, `${u.id.toUpperCase()}.png`]) {
      const r = await request(t.url, 'GET', `/api/user/media/${name}`);
      expect(r.status, name).toBe(404);
      expect(r.text).toBe('{"detail":"Not found."}');
    }
    const post = await request(t.url, 'POST', `/api/user/media/${u.id}.png`);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('uses the stored format, not the file name another surface chose', async () => {
    const u = await freshUser(t);
    const row = (await t.ctx.accounts.byId(u.id))!;
    // As the users surface may store it: a PNG named after the upload, photo.jpg.
    const rel = await t.ctx.media.saveAvatar(row.number, 'photo.jpg', await img.png(3, 3));
    await t.ctx.accounts.update(row.number, { avatar: rel });
    const me = await request(t.url, 'GET', '/api/user/me', { headers: jwt(u.access) });
    expect(me.json.profile_pic).toBe(`${t.url}/api/user/media/${u.id}.png`);
    expect((await request(t.url, 'GET', `/api/user/media/${u.id}.png`)).headers.get('content-type')).toBe('image/png');
    expect((await request(t.url, 'GET', `/api/user/media/${u.id}.jpg`)).status).toBe(404);
  });

  it('builds absolute URLs on PUBLIC_URL when it is set', async () => {
    const p = await startApiUser({ PUBLIC_URL: 'https://id.example.org/' });
    try {
      const r = await request(p.url, 'POST', '/api/user/register', multipart([{ name: 'email', value: 'pub@example.com' }, { name: 'full_name', value: 'P' }, { name: 'password', value: 'pw' }, { name: 'profile_pic', filename: 'p.webp', data: await img.webp(4, 4) }]));
      expect(r.json.profile_pic).toBe(`https://id.example.org/api/user/media/${r.json.id}.webp`);
    } finally {
      await p.close();
    }
  });
});
