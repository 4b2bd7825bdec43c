// POST /users/avatar/ and GET /media/avatars/<number>/<filename> (users.md §2.5, §2.6).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import * as img from '../../helpers/images.js';
import { NOT_FOUND, UsersClient, loggedIn } from './helpers.js';

let t: TestApp;
let c: UsersClient;
let number: number;
let small: Buffer;
beforeAll(async () => {
  t = await startApp();
  c = await loggedIn(t.url, 'painter');
  number = (await t.ctx.accounts.byUsername('painter'))!.number;
  small = await img.png(12, 8);
});
afterAll(async () => {
  await t?.close();
});

const NOT_AN_IMAGE = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.';
const TOO_BIG = 'File size exceeds the limit 3.0 MB.';
const extMessage = (ext: string) => `File extension \u201c${ext}\u201d is not allowed. Allowed extensions are: jpg, jpeg, png.`;

async function avatarErrors(data: Buffer, filename: string): Promise<string[]> {
  const r = await c.uploadAvatar(data, filename);
  expect(r.status).toBe(400);
  return r.json.errors.avatar;
}

function filesOf(userNumber: number): Promise<string[]> {
  return readdir(path.join(t.dataDir, 'media', 'avatars', String(userNumber))).catch(() => []);
}

/** A PNG whose header parses, padded past the 3 MiB limit. */
function hugePng(): Buffer {
  return Buffer.concat([img.pngClaiming(10, 10), Buffer.alloc(3 * 1024 * 1024)]);
}

describe('who may upload (§2.5 step 1)', () => {
  it('answers 401 to anyone not logged in, then 405 to other methods', async () => {
    const anon = new UsersClient(t.url);
    const r = await anon.uploadAvatar(small, 'a.png');
    expect([r.status, r.text]).toEqual([401, '{"errors":"User is not authenticated."}']);
    const get = await c.get('/users/avatar/');
    expect([get.status, get.text, get.headers.get('allow')]).toEqual([405, '', 'POST']);
  });
});

describe('no file (§2.5 step 2)', () => {
  it('answers 400 {"errors": "No file uploaded."} without an `avatar` file part', async () => {
    const noFile = '{"errors":"No file uploaded."}';
    expect((await c.unsafe('POST', '/users/avatar/', { json: { avatar: 'x' } })).text).toBe(noFile);
    expect((await c.unsafe('POST', '/users/avatar/')).text).toBe(noFile);
    const textField = new FormData();
    textField.append('avatar', 'not a file');
    expect((await c.unsafe('POST', '/users/avatar/', { body: textField })).text).toBe(noFile);
    const otherName = new FormData();
    otherName.append('picture', new Blob([new Uint8Array(small)]), 'a.png');
    expect((await c.unsafe('POST', '/users/avatar/', { body: otherName })).text).toBe(noFile);
    expect((await c.uploadAvatar(small, '')).text).toBe(noFile);
    const broken = await c.unsafe('POST', '/users/avatar/', { body: '--x\r\nnonsense', headers: { 'content-type': 'multipart/form-data; boundary=x' } });
    expect(broken.text).toBe(noFile);
  });
});

describe('the checks, in order (§2.5 steps 3–5)', () => {
  it('reports an empty file first, then a long name, then content that is no image, each alone', async () => {
    expect(await avatarErrors(Buffer.alloc(0), `${'n'.repeat(200)}.gif`)).toEqual(['The submitted file is empty.']);
    expect(await avatarErrors(Buffer.from('hello'), `${'n'.repeat(97)}.gif`)).toEqual(['Ensure this filename has at most 100 characters (it has 101).']);
    expect(await avatarErrors(Buffer.from('hello'), `${'\u{1F600}'.repeat(96)}.png`)).toEqual([NOT_AN_IMAGE]);
    expect(await avatarErrors(hugePng().subarray(0, 20), 'x.gif')).toEqual([NOT_AN_IMAGE]);
    expect(await avatarErrors(img.svgWithScript(), 'x.svg')).toEqual([NOT_AN_IMAGE]);
  });

  it('refuses the extension of a real GIF with the curly-quoted message', async () => {
    const r = await c.uploadAvatar(await img.gif(), 'anim.gif');
    expect(r.status).toBe(400);
    expect(r.text).toBe('{"errors":{"avatar":["File extension \u201cgif\u201d is not allowed. Allowed extensions are: jpg, jpeg, png."]}}');
    expect(await avatarErrors(await img.gif(), 'ANIM.GIF')).toEqual([extMessage('gif')]);
    expect(await avatarErrors(small, 'noextension')).toEqual([extMessage('')]);
    expect(await avatarErrors(small, 'trailing.')).toEqual([extMessage('')]);
    expect(await avatarErrors(small, 'photo.png.exe')).toEqual([extMessage('exe')]);
  });

  it('limits the size to 3 MiB, reporting the extension too', async () => {
    expect(await avatarErrors(hugePng(), 'big.png')).toEqual([TOO_BIG]);
    expect(await avatarErrors(hugePng(), 'big.webp')).toEqual([extMessage('webp'), TOO_BIG]);
  });

  it('decodes in full: only JPEG or PNG, at most 40 megapixels, not truncated', async () => {
    expect(await avatarErrors(await img.gif(), 'renamed.png')).toEqual([NOT_AN_IMAGE]);
    expect(await avatarErrors(await img.webp(8, 8), 'renamed.jpg')).toEqual([NOT_AN_IMAGE]);
    expect(await avatarErrors(img.bmp(), 'bitmap.jpeg')).toEqual([NOT_AN_IMAGE]);
    expect(await avatarErrors(img.pngClaiming(8000, 5001), 'bomb.png')).toEqual([NOT_AN_IMAGE]);
    expect(await avatarErrors(await img.truncatedJpeg(), 'cut.jpg')).toEqual([NOT_AN_IMAGE]);
  });

  it('answers 413 past the 16 MiB multipart limit', async () => {
    const r = await c.uploadAvatar(Buffer.alloc(17 * 1024 * 1024), 'huge.png');
    expect([r.status, r.text]).toEqual([413, '{"errors":"Request body too large."}']);
  });

  it('leaves no file behind when refused', async () => {
    const fresh = await loggedIn(t.url, 'refusednothing');
    const n = (await t.ctx.accounts.byUsername('refusednothing'))!.number;
    expect((await fresh.uploadAvatar(await img.gif(), 'x.gif')).status).toBe(400);
    expect(await filesOf(n)).toEqual([]);
  });
});

describe('success', () => {
  it('stores a re-encoded image and answers with its relative URL', async () => {
    const r = await c.uploadAvatar(await img.pngWithText(12, 8), 'me.png');
    expect(r.status).toBe(200);
    expect(r.text).toBe(`{"id":${number},"username":"painter","message":"Avatar updated.","avatar_url":"/media/avatars/${number}/me.png"}`);
    const served = await request(t.url, 'GET', `/media/avatars/${number}/me.png`);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await (await fetch(`${t.url}/media/avatars/${number}/me.png`)).arrayBuffer());
    expect(bytes.includes(Buffer.from('<script>'))).toBe(false);
    expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 12, height: 8 });
    expect((await t.ctx.accounts.byNumber(number))!.avatar).toBe(`avatars/${number}/me.png`);
  });

  it('drops EXIF location data from a JPEG', async () => {
    const r = await c.uploadAvatar(await img.jpegWithGps(), 'trip.JPG');
    expect(r.json.avatar_url).toBe(`/media/avatars/${number}/trip.JPG`);
    const bytes = Buffer.from(await (await fetch(t.url + r.json.avatar_url)).arrayBuffer());
    expect((await sharp(bytes).metadata()).exif).toBeUndefined();
  });

  it('accepts a JPEG named .png (the rules allow both) and serves it as what it is', async () => {
    const jpeg = await sharp(await img.png(9, 9)).jpeg().toBuffer();
    const r = await c.uploadAvatar(jpeg, 'actually-jpeg.png');
    expect(r.status).toBe(200);
    const served = await request(t.url, 'GET', r.json.avatar_url);
    expect([served.status, served.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
  });

  it('makes the file name safe', async () => {
    const cases: Array<[string, string]> = [
      ['  my photo (1).png', 'my_photo_1.png'],
      ['../../etc/passwd.png', 'passwd.png'],
      ['C:\\Users\\me\\face.jpeg', 'face.jpeg'],
      ['<script>x.png', 'scriptx.png'],
      ['\u0444\u043e\u0442\u043e.png', '\u0444\u043e\u0442\u043e.png'],
      ['\u{1F600}.png', '.png'],
    ];
    for (const [upload, stored] of cases) {
      const r = await c.uploadAvatar(small, upload);
      expect([upload, r.status]).toEqual([upload, 200]);
      expect(r.json.avatar_url).toBe(`/media/avatars/${number}/${encodeURIComponent(stored)}`);
      expect((await t.ctx.accounts.byNumber(number))!.avatar).toBe(`avatars/${number}/${stored}`);
      expect((await request(t.url, 'GET', r.json.avatar_url)).status).toBe(200);
    }
  });

  it('adds _ and 7 random letters or digits to a name that is taken, and deletes the previous file', async () => {
    const first = await c.uploadAvatar(small, 'same.png');
    const second = await c.uploadAvatar(small, 'same.png');
    expect(first.json.avatar_url).toBe(`/media/avatars/${number}/same.png`);
    expect(second.json.avatar_url).toMatch(new RegExp(`^/media/avatars/${number}/same_[A-Za-z0-9]{7}\\.png$`));
    expect(await filesOf(number)).toEqual([path.basename(second.json.avatar_url)]);
    expect((await request(t.url, 'GET', first.json.avatar_url)).text).toBe(NOT_FOUND);
  });

  it('keeps a name with many-byte letters within what a file system holds', async () => {
    const name = `${'\u{20000}'.repeat(96)}.png`;
    const r = await c.uploadAvatar(small, name);
    expect(r.status).toBe(200);
    const stored = decodeURIComponent(r.json.avatar_url.split('/').pop());
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(200);
    expect(stored).toMatch(/^(\u{20000})+_[A-Za-z0-9]{7}\.png$/u);
    expect((await request(t.url, 'GET', r.json.avatar_url)).status).toBe(200);
  });

  it('keeps exactly one file when two uploads race', async () => {
    const answers = await Promise.all(['one.png', 'two.png', 'three.png'].map((name) => c.uploadAvatar(small, name)));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const current = (await t.ctx.accounts.byNumber(number))!.avatar!;
    expect(await filesOf(number)).toEqual([path.basename(current)]);
  });
});

describe('GET /media/avatars/<number>/<filename> (§2.6)', () => {
  let url: string;
  beforeAll(async () => {
    url = (await c.uploadAvatar(small, 'served.png')).json.avatar_url;
  });

  it('serves the current avatar to anyone, with ETag, 304 and HEAD', async () => {
    const r = await request(t.url, 'GET', url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.setCookies).toEqual([]);
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await request(t.url, 'GET', url, { headers: { 'if-none-match': etag } });
    expect([again.status, again.text]).toEqual([304, '']);
    const head = await request(t.url, 'HEAD', url);
    expect([head.status, head.text, head.headers.get('content-length'), head.headers.get('etag')]).toEqual([200, '', r.headers.get('content-length'), etag]);
  });

  it('does not touch the session of a logged-in browser', async () => {
    const r = await c.get(url);
    expect(r.status).toBe(200);
    expect(r.setCookies).toEqual([]);
  });

  it('answers 404 {"error": "Page not found."} to anything but a current avatar', async () => {
    const other = await loggedIn(t.url, 'otheruser');
    const otherNumber = (await t.ctx.accounts.byUsername('otheruser'))!.number;
    const name = url.split('/').pop()!;
    const paths = [
      `/media/avatars/${otherNumber}/${name}`,
      `/media/avatars/0${number}/${name}`,
      `/media/avatars/abc/${name}`,
      `/media/avatars/${number}/nothere.png`,
      `/media/avatars/${number}/%2e%2e`,
      `/media/avatars/${number}/..%2F..%2Fsecret_key`,
      `/media/avatars/${number}/${name}/x`,
      `/media/avatars/999999/${name}`,
      `/media/avatars/99999999999999999999/${name}`,
      `/media/${number}/${name}`,
    ];
    for (const p of paths) {
      const r = await request(t.url, 'GET', p);
      expect([p, r.status, r.text]).toEqual([p, 404, NOT_FOUND]);
    }
    expect((await other.get('/')).status).toBe(200);
  });

  it('checks CSRF, then answers 405 listing GET and HEAD', async () => {
    expect((await request(t.url, 'POST', url)).json.reason).toBe('CSRF cookie not set.');
    const r = await c.unsafe('DELETE', url);
    expect([r.status, r.text, r.headers.get('allow')]).toEqual([405, '', 'GET, HEAD']);
    expect((await request(t.url, 'GET', url)).status).toBe(200);
  });
});
