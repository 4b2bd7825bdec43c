// api-user.md §3.2: registration fields, the profile_pic image rules, races (v1.md §0.6) and
// what a registration leaves behind.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import * as img from '../../helpers/images.js';
import { type Part, multipart, startApiUser, warmSockets } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApiUser();
});
afterAll(async () => {
  await t?.close();
});

const PIC_INVALID = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.';
let n = 0;
const nextEmail = () => `reg${++n}@example.com`;

function registerJson(json: unknown) {
  return request(t.url, 'POST', '/api/user/register', { json });
}

function fields(email: string, extra: Part[] = []): Part[] {
  return [{ name: 'email', value: email }, { name: 'full_name', value: 'Pic Person' }, { name: 'password', value: 'secret pass' }, ...extra];
}

async function registerWithPic(pic: Part, email = nextEmail()) {
  return request(t.url, 'POST', '/api/user/register/', multipart(fields(email, [pic])));
}

async function userCount(): Promise<number> {
  const r = await t.ctx.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('fields', () => {
  it('creates the user: 201 with the user object, email trimmed with its case kept, no username', async () => {
    const r = await registerJson({ email: '  New.Person@Example.com ', full_name: ' New Person ', password: 'pw', profile_pic: null });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json)).toEqual(['id', 'full_name', 'email', 'profile_pic']);
    expect(r.json).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), full_name: 'New Person', email: 'New.Person@Example.com', profile_pic: null });
    const row = (await t.ctx.accounts.byId(r.json.id))!;
    expect(row.username).toBeNull();
    expect(row.email_verified).toBe(0);
    expect(row.password).toMatch(/^\$argon2id\$/);
    const audit = await t.ctx.db.selectFrom('audit_log').select(['event', 'surface']).where('user_id', '=', r.json.id).execute();
    expect(audit).toEqual([{ event: 'user.register', surface: 'api-user' }]);
    // No tokens are issued by registering.
    const tokens = await t.ctx.db.selectFrom('jwt_tokens').select('jti').where('user_id', '=', r.json.id).execute();
    expect(tokens).toEqual([]);
  });

  it('reports every failing field in order', async () => {
    await registerJson({ email: 'taken@example.com', full_name: 'A', password: 'pw' });
    const cases: Array<[unknown, unknown]> = [
      [{}, { email: ['This field is required.'], full_name: ['This field is required.'], password: ['This field is required.'] }],
      [{ email: 'TAKEN@example.com', full_name: 'x', password: 'p' }, { email: ['Email address already exists.'] }],
      [{ email: 'x', full_name: null, profile_pic: 'abc', password: '' }, { email: ['Enter a valid email address.'], full_name: ['This field may not be null.'], profile_pic: ['The submitted data was not a file. Check the encoding type on the form.'], password: ['This field may not be blank.'] }],
      [{ email: `${'a'.repeat(243)}@example.com`, full_name: 'f'.repeat(251), password: 'p'.repeat(129) }, { email: ['Ensure this field has no more than 254 characters.'], full_name: ['Ensure this field has no more than 250 characters.'], password: ['Ensure this field has no more than 128 characters.'] }],
      [{ email: ['a'], full_name: false, profile_pic: 5, password: { p: 1 } }, { email: ['Not a valid string.'], full_name: ['Not a valid string.'], profile_pic: ['The submitted data was not a file. Check the encoding type on the form.'], password: ['Not a valid string.'] }],
      [{ email: 'taken@example.com ', full_name: 'f\ud800', password: 'p' }, { email: ['Email address already exists.'], full_name: ['Surrogate characters are not allowed: U+D800.'] }],
    ];
    for (const [body, expected] of cases) {
      const r = await registerJson(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.text).toBe(JSON.stringify(expected));
    }
  });

  it('turns numbers into their text and accepts "" as no picture', async () => {
    const r = await registerJson({ email: nextEmail(), full_name: 12345, password: 87654321, profile_pic: '' });
    expect(r.status).toBe(201);
    expect(r.json.full_name).toBe('12345');
    expect(r.json.profile_pic).toBeNull();
  });

  it('of 20 parallel registrations of one email, exactly one succeeds and the rest get the ordinary error', async () => {
    const email = 'race@example.com';
    await warmSockets(t.url, '/api/user/register');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => registerJson({ email: i % 2 ? email.toUpperCase() : email, full_name: `R${i}`, password: 'pw' })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ email: ['Email address already exists.'] });
    }
    const rows = await t.ctx.db.selectFrom('users').select('id').where('email_ci', '=', email).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('profile_pic (image rules, first failure only)', () => {
  it('stores a valid image re-encoded and links it absolutely under /api/user/media/', async () => {
    const r = await registerWithPic({ name: 'profile_pic', filename: 'me.png', data: await img.png(12, 8), type: 'image/png' });
    expect(r.status).toBe(201);
    expect(r.json.profile_pic).toBe(`${t.url}/api/user/media/${r.json.id}.png`);
    const file = await request(t.url, 'GET', new URL(r.json.profile_pic).pathname);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('image/png');
  });

  it('drops metadata (GPS) from an uploaded JPEG', async () => {
    const r = await registerWithPic({ name: 'profile_pic', filename: 'gps.jpg', data: await img.jpegWithGps(), type: 'image/jpeg' });
    expect(r.status).toBe(201);
    expect(r.json.profile_pic).toMatch(/\.jpg$/);
    const res = await fetch(r.json.profile_pic);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect(meta.exif).toBeUndefined();
    expect(img.gpsTagsIn(meta.exif)).toEqual([]);
  });

  it('refuses each bad upload with its message and creates nothing', async () => {
    const before = await userCount();
    const png = await img.png(4, 4);
    const cases: Array<[Part, string]> = [
      [{ name: 'profile_pic', value: 'not a file' }, 'The submitted data was not a file. Check the encoding type on the form.'],
      [{ name: 'profile_pic', filename: '', data: png }, 'No filename could be determined.'],
      [{ name: 'profile_pic', filename: `${'n'.repeat(97)}.png`, data: png }, 'Ensure this filename has at most 100 characters (it has 101).'],
      [{ name: 'profile_pic', filename: 'empty.png', data: Buffer.alloc(0) }, 'The submitted file is empty.'],
      [{ name: 'profile_pic', filename: 'big.png', data: Buffer.alloc(5 * 1024 * 1024 + 1, 1) }, 'File size exceeds the limit 5 MB.'],
      [{ name: 'profile_pic', filename: 'a.gif', data: await img.gif() }, PIC_INVALID],
      [{ name: 'profile_pic', filename: 'a.svg', data: img.svgWithScript() }, PIC_INVALID],
      [{ name: 'profile_pic', filename: 'a.jpg', data: await img.truncatedJpeg() }, PIC_INVALID],
      [{ name: 'profile_pic', filename: 'a.bmp', data: img.bmp() }, PIC_INVALID],
      [{ name: 'profile_pic', filename: 'a.txt', data: Buffer.from('hello') }, PIC_INVALID],
      [{ name: 'profile_pic', filename: 'bomb.png', data: img.pngClaiming(10_000, 5_000) }, 'Image dimensions exceed the limit of 40 megapixels.'],
    ];
    for (const [part, message] of cases) {
      const r = await registerWithPic(part);
      expect(r.status, message).toBe(400);
      expect(r.json).toEqual({ profile_pic: [message] });
    }
    expect(await userCount()).toBe(before);
    const avatars = await readdir(path.join(t.dataDir, 'media', 'avatars')).catch(() => []);
    for (const dir of avatars) {
      const user = await t.ctx.accounts.byNumber(Number(dir));
      expect(user, `avatar directory ${dir} belongs to nobody`).toBeDefined();
    }
  });

  it('a multipart text field "" means no picture', async () => {
    const r = await registerWithPic({ name: 'profile_pic', value: '' });
    expect(r.status).toBe(201);
    expect(r.json.profile_pic).toBeNull();
  });
});
