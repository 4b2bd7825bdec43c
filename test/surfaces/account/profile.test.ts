// account.md §2.4–§2.7: profile, delete, the picture catalogue (default and from
// ACCOUNT_PICTURES_FILE) and set_picture's conversion of `id`.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import * as img from '../../helpers/images.js';
import { AccountKeys } from '../../../src/core/account-keys.js';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { buildApp } from '../../../src/app.js';
import { DEFAULT_CATALOGUE, loadCatalogue } from '../../../src/surfaces/account/catalogue.js';
import { PASSWORD, freshUser, startAccount, token } from './support.js';

let t: TestApp;
beforeAll(async () => {
  // api-user too, to see a deletion here reach its tokens.
  t = await startAccount({ SURFACES: 'account,api-user' });
});
afterAll(async () => {
  await t?.close();
});

const DEFAULT_PICTURE = 'https://davidnelsoncollins.com/wp-content/uploads/2018/11/profiles-empty1.png';
const AP = 'https://www.anime-planet.com/images/characters/';

function profile(key: string) {
  return request(t.url, 'GET', '/account/profile', { headers: token(key) });
}

describe('profile (§2.4)', () => {
  it('shows the number as id, the UTC date as DD-MM-YYYY and the picture', async () => {
    const u = await freshUser(t);
    // 2021-01-09T23:59:59.5Z: still the 9th in UTC.
    await t.ctx.db.updateTable('users').set({ created: Date.UTC(2021, 0, 9, 23, 59, 59, 500) * 1000 }).where('number', '=', u.number).execute();
    const r = await profile(u.key);
    expect(r.status).toBe(200);
    expect(r.text).toBe(JSON.stringify({ success: true, data: { id: u.number, username: u.username, email: u.email, created: '09-01-2021', picture: DEFAULT_PICTURE } }));
  });

  it('shows null for what a user created elsewhere lacks', async () => {
    const created = await t.ctx.accounts.create({ email: 'only-email@example.com', password: 'x' });
    if (!created.ok) throw new Error('setup failed');
    const key = await new AccountKeys(t.ctx.db, t.ctx.secrets).getOrCreate(created.user.number);
    const r = await profile(key);
    expect(r.json.data).toMatchObject({ id: created.user.number, username: null, email: 'only-email@example.com', picture: null });
  });
});

describe('delete (§2.5)', () => {
  it('removes the user, the key, the avatar and the api-user tokens; audits user.delete', async () => {
    const u = await freshUser(t);
    const row = (await t.ctx.accounts.byNumber(u.number))!;
    const rel = await t.ctx.media.saveAvatar(u.number, 'a.png', await img.png(2, 2));
    await t.ctx.accounts.update(u.number, { avatar: rel });
    const jwtLogin = await request(t.url, 'POST', '/api/user/login', { json: { email: u.email, password: PASSWORD } });
    expect(jwtLogin.status).toBe(200);

    const r = await request(t.url, 'POST', '/account/delete', { headers: token(u.key) });
    expect(r.status).toBe(200);
    expect(r.text).toBe('{"success":true}');
    expect(await t.ctx.accounts.byNumber(u.number)).toBeUndefined();
    expect(await t.ctx.db.selectFrom('account_tokens').select('digest').where('user_number', '=', u.number).execute()).toEqual([]);
    expect(existsSync(path.join(t.dataDir, 'media', rel))).toBe(false);
    expect((await profile(u.key)).json).toEqual({ detail: 'Invalid token.' });

    const me = await request(t.url, 'GET', '/api/user/me', { headers: { authorization: `JWT ${jwtLogin.json.tokens.access}` } });
    expect(me.json).toEqual({ detail: 'User not found', code: 'user_not_found' });
    const refresh = await request(t.url, 'POST', '/api/user/refresh', { json: { refresh: jwtLogin.json.tokens.refresh } });
    expect(refresh.json).toEqual({ detail: 'Token is blacklisted', code: 'token_not_valid' });

    const audit = await t.ctx.db.selectFrom('audit_log').select(['event', 'surface', 'user_email']).where('user_id', '=', row.id).where('event', '=', 'user.delete').execute();
    expect(audit).toEqual([{ event: 'user.delete', surface: 'account', user_email: u.email }]);
  });
});

describe('get_pictures and set_picture (§2.6, §2.7)', () => {
  it('serves the default catalogue exactly', async () => {
    const u = await freshUser(t);
    const r = await request(t.url, 'GET', '/account/get_pictures', { headers: token(u.key) });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['male', 'female']);
    expect(r.json.male[0]).toEqual({ id: 1, name: 'Ryuzaki', picture: `${AP}l-death-note-1337.jpg` });
    expect(r.json.female.map((p: { id: number; name: string }) => [p.id, p.name])).toEqual([[6, 'Mikasa'], [7, 'Erza'], [8, 'Asuna'], [9, 'Hinata'], [10, 'Tenshi']]);
    expect(r.json.male.map((p: { picture: string }) => p.picture.slice(AP.length))).toEqual(['l-death-note-1337.jpg', 'kakashi-hatake-553.jpg', 'edward-elric-965.jpg', 'light-yagami-1339.jpg', 'naruto-uzumaki-87.jpg']);
    expect(Object.keys(r.json.male[0])).toEqual(['id', 'name', 'picture']);
    expect((await request(t.url, 'GET', '/account/get_pictures')).status).toBe(401);
  });

  it('converts id as the original did, and stores the chosen URL', async () => {
    const u = await freshUser(t);
    const ok: Array<[unknown, number]> = [[6, 6], ['7', 7], [' 8 ', 8], [6.9, 6], [true, 1], ['+3', 3], [9.0, 9], ['\t10\n', 10]];
    for (const [id, expected] of ok) {
      const r = await request(t.url, 'POST', '/account/set_picture', { headers: token(u.key), json: { id } });
      expect(r.text, JSON.stringify(id)).toBe('{"success":true}');
      const picture = Object.values(DEFAULT_CATALOGUE).flat().find((p) => p.id === expected)!.picture;
      expect((await profile(u.key)).json.data.picture).toBe(picture);
    }
    const form = await request(t.url, 'POST', '/acount/set_picture', { headers: token(u.key), body: new URLSearchParams({ id: '2' }) });
    expect(form.json).toEqual({ success: true });
    expect((await profile(u.key)).json.data.picture).toBe(`${AP}kakashi-hatake-553.jpg`);
  });

  it('answers success false for an invalid or unknown id and changes nothing', async () => {
    const u = await freshUser(t);
    const invalid = [false, 0, 11, -1, '6.9', '', ' ', 'six', '1_0', '٣', null, [6], { id: 6 }];
    for (const id of invalid) {
      const r = await request(t.url, 'POST', '/account/set_picture', { headers: token(u.key), json: { id } });
      expect(r.status).toBe(200);
      expect(r.text, JSON.stringify(id)).toBe('{"success":false,"error":"Invalid picture id."}');
    }
    for (const body of ['{}', '[6]', '6', 'null', '{"id": 1e400}', '{"id": -1e400}']) {
      const r = await request(t.url, 'POST', '/account/set_picture', { headers: { ...token(u.key), 'content-type': 'application/json' }, body });
      expect(r.json, body).toEqual({ success: false, error: 'Invalid picture id.' });
    }
    expect((await profile(u.key)).json.data.picture).toBe(DEFAULT_PICTURE);
  });
});

describe('ACCOUNT_PICTURES_FILE (§2.6)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pictures-'));
  function file(name: string, content: string): string {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  }

  it('serves and uses the configured catalogue', async () => {
    const catalogue = { cats: [{ id: 40, name: 'Tom', picture: 'https://img.example/tom.png' }], dogs: [{ id: 2, name: 'Rex', picture: 'https://img.example/rex.png' }] };
    const app = await startAccount({ ACCOUNT_PICTURES_FILE: file('good.json', JSON.stringify(catalogue)) });
    try {
      const u = await freshUser(app);
      const r = await request(app.url, 'GET', '/account/get_pictures', { headers: token(u.key) });
      expect(r.text).toBe(JSON.stringify(catalogue));
      expect((await request(app.url, 'POST', '/account/set_picture', { headers: token(u.key), json: { id: 40 } })).json).toEqual({ success: true });
      expect((await request(app.url, 'POST', '/account/set_picture', { headers: token(u.key), json: { id: 6 } })).json).toEqual({ success: false, error: 'Invalid picture id.' });
      const p = await request(app.url, 'GET', '/account/profile', { headers: token(u.key) });
      expect(p.json.data.picture).toBe('https://img.example/tom.png');
    } finally {
      await app.close();
    }
  });

  it('refuses a bad file with one ConfigError naming the setting', () => {
    const bad: Array<[string, RegExp]> = [
      ['{', /not valid JSON/],
      ['[]', /expected a JSON object of groups/],
      ['{"male": {}}', /group "male" must be an array/],
      ['{"male": [1]}', /group "male" entry 1 must be an object/],
      ['{"male": [{"id": 0, "name": "a", "picture": "https://x.example/a"}]}', /id must be a positive integer/],
      ['{"male": [{"id": 1.5, "name": "a", "picture": "https://x.example/a"}]}', /id must be a positive integer/],
      ['{"male": [{"id": "1", "name": "a", "picture": "https://x.example/a"}]}', /id must be a positive integer/],
      ['{"a": [{"id": 1, "name": "a", "picture": "https://x.example/a"}], "b": [{"id": 1, "name": "b", "picture": "https://x.example/b"}]}', /id 1 is used twice/],
      ['{"male": [{"id": 1, "name": "", "picture": "https://x.example/a"}]}', /name must be a non-empty string/],
      ['{"male": [{"id": 1, "name": "a", "picture": "javascript:alert(1)"}]}', /picture must be an http or https URL/],
      ['{"male": [{"id": 1, "name": "a", "picture": "https://x.example/a", "extra": 1}]}', /unknown keys: extra/],
    ];
    bad.forEach(([content, message], i) => {
      const p = file(`bad${i}.json`, content);
      let caught: unknown;
      try {
        loadCatalogue(p);
      } catch (err) {
        caught = err;
      }
      expect(caught, content).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).setting).toBe('ACCOUNT_PICTURES_FILE');
      expect((caught as Error).message).toMatch(/^ACCOUNT_PICTURES_FILE: /);
      expect((caught as Error).message).toMatch(message);
    });
    expect(() => loadCatalogue(path.join(dir, 'missing.json'))).toThrow(/^ACCOUNT_PICTURES_FILE: cannot read .*ENOENT/);
  });

  it('stops the start when the file is bad', async () => {
    // Built directly on SQLite and the in-process store: buildApp does not close what it
    // opened when a surface refuses to start, so no PostgreSQL database or Redis link is made.
    const env = { NODE_ENV: 'test', DATA_DIR: dir, SECRET_KEY: 'k'.repeat(40), SURFACES: 'account', ACCOUNT_PICTURES_FILE: file('broken.json', '{"male": 3}') };
    await expect(buildApp(loadConfig(env), { processMetrics: false })).rejects.toThrow(/^ACCOUNT_PICTURES_FILE: group "male" must be an array/);
    const badDefault = { ...env, ACCOUNT_PICTURES_FILE: '', ACCOUNT_DEFAULT_PICTURE: 'not a url' };
    await expect(buildApp(loadConfig(badDefault), { processMetrics: false })).rejects.toThrow(/^ACCOUNT_DEFAULT_PICTURE: expected an http or https URL/);
  });
});
