// me/avatar/ and /v1/user/media/<uuid>.<ext> (v1.md §5.2, §0.10) with real, hostile files.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gif, gpsTagsIn, jpegHtmlPolyglot, jpegWithGps, png, pngClaiming, svgWithScript, truncatedJpeg, webp } from '../../helpers/images.js';
import { V1, type TestApp, type TestUser, expectJson, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

let t: TestApp;
let user: TestUser;
let token: string;
let number: number;

beforeAll(async () => {
  t = await startV1();
  user = await registerUser(t.url, 'pic');
  token = await knoxLogin(t.url, user);
  number = (await t.ctx.accounts.byId(user.id))!.number;
});
afterAll(async () => {
  await t?.close();
});

function upload(data: Buffer | string, opts: { field?: string; asText?: boolean; filename?: string } = {}) {
  const fd = new FormData();
  if (opts.asText) fd.append(opts.field ?? 'avatar', String(data));
  else fd.append(opts.field ?? 'avatar', new Blob([new Uint8Array(Buffer.from(data))]), opts.filename ?? 'upload.bin');
  return request(t.url, 'PUT', V1 + 'me/avatar/', { headers: tokenHeader(token), body: fd });
}

const media = (ext: string, headers: Record<string, string> = {}, method = 'GET') => request(t.url, method, `${V1}media/${user.id}.${ext}`, { headers });

async function download(ext: string): Promise<Buffer> {
  const res = await fetch(`${t.url}${V1}media/${user.id}.${ext}`);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

function storedFiles(): string[] {
  const dir = path.join(t.dataDir, 'media', 'avatars', String(number));
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

const INVALID = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.';

describe('uploads', () => {
  it('a JPEG with EXIF GPS: accepted, re-encoded without metadata, orientation applied, served with its headers', async () => {
    const r = await upload(await jpegWithGps(), { filename: 'holiday.jpg' });
    expectJson(r, 202, { avatar: `${t.url}/v1/user/media/${user.id}.jpg` });
    expect((await request(t.url, 'GET', V1 + 'me/', { headers: tokenHeader(token) })).json.avatar).toBe(`${t.url}/v1/user/media/${user.id}.jpg`);

    const served = await media('jpg');
    expect(served.headers.get('content-type')).toBe('image/jpeg');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('cache-control')).toBe('no-cache');
    const etag = served.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);

    const meta = await sharp(await download('jpg')).metadata();
    expect(meta.format).toBe('jpeg');
    expect(gpsTagsIn(meta.exif)).toEqual([]);
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([10, 20]);

    const cached = await media('jpg', { 'if-none-match': etag });
    expect(cached.status).toBe(304);
    expect(cached.text).toBe('');
    const head = await media('jpg', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it('a PNG replaces it: the old file is deleted and the old extension is a 404', async () => {
    const before = storedFiles();
    expect(before).toHaveLength(1);
    expectJson(await upload(await png(12, 8), { filename: 'x.png' }), 202, { avatar: `${t.url}/v1/user/media/${user.id}.png` });
    const after = storedFiles();
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before[0]);
    expectJson(await media('jpg'), 404, 'Not found.');
    expect((await media('png')).headers.get('content-type')).toBe('image/png');
    expect((await sharp(await download('png')).metadata()).format).toBe('png');
  });

  it('a WebP is accepted and served as image/webp', async () => {
    expectJson(await upload(await webp(9, 9)), 202, { avatar: `${t.url}/v1/user/media/${user.id}.webp` });
    expect((await media('webp')).headers.get('content-type')).toBe('image/webp');
  });

  it('a JPEG/HTML polyglot is accepted only as pixels: the markup is gone from the served file', async () => {
    const polyglot = await jpegHtmlPolyglot();
    expect(polyglot.includes('<script>')).toBe(true);
    expect((await upload(polyglot)).status).toBe(202);
    const served = await download('jpg');
    expect(served.includes('<script>')).toBe(false);
    expect(served.includes('<html>')).toBe(false);
  });

  it.each([
    ['a truncated JPEG', truncatedJpeg, INVALID],
    ['a GIF', () => gif(), INVALID],
    ['an SVG with a script', async () => svgWithScript(), INVALID],
    ['plain text', async () => Buffer.from('hello, not an image'), INVALID],
    ['a PNG claiming 50000 x 50000', async () => pngClaiming(50000, 50000), 'Image dimensions exceed the limit of 40 megapixels.'],
  ])('%s is refused and the stored avatar is kept', async (_name, make, message) => {
    const kept = storedFiles();
    expectJson(await upload(await make()), 400, message);
    expect(storedFiles()).toEqual(kept);
  });
});

describe('upload errors, in order (§5.2)', () => {
  it('no avatar part, a JSON body, or a file input left empty: "Avatar field is required."', async () => {
    expectJson(await upload(await png(2, 2), { field: 'picture' }), 400, 'Avatar field is required.');
    expectJson(await request(t.url, 'PUT', V1 + 'me/avatar/', { headers: tokenHeader(token), json: {} }), 400, 'Avatar field is required.');
    expectJson(await request(t.url, 'PUT', V1 + 'me/avatar/', { headers: tokenHeader(token) }), 400, 'Avatar field is required.');
    expectJson(await upload('', { filename: '' }), 400, 'Avatar field is required.');
  });

  it('a text value, an empty file, a file over 5 MiB', async () => {
    expectJson(await upload('not a file', { asText: true }), 400, 'Avatar error. The submitted data was not a file. Check the encoding type on the form.');
    expectJson(await request(t.url, 'PUT', V1 + 'me/avatar/', { headers: tokenHeader(token), json: { avatar: 'x' } }), 400, 'Avatar error. The submitted data was not a file. Check the encoding type on the form.');
    expectJson(await upload(Buffer.alloc(0), { filename: 'empty.png' }), 400, 'The submitted file is empty.');
    const big = Buffer.concat([await png(2, 2), Buffer.alloc(5 * 1024 * 1024)]);
    expectJson(await upload(big, { filename: 'big.png' }), 400, 'File size exceeds the limit 5 MB.');
    expect((await upload(Buffer.alloc(5 * 1024 * 1024, 1))).json).toBe(INVALID);
  });

  it('a body of another type is 415', async () => {
    const r = await request(t.url, 'PUT', V1 + 'me/avatar/', { headers: { ...tokenHeader(token), 'content-type': 'image/png' }, body: await png(2, 2) });
    expectJson(r, 415, { detail: 'Unsupported media type "image/png" in request.' });
  });
});

describe('removal and the media route', () => {
  it('DELETE removes the file and answers 204, also when there is none', async () => {
    expect(storedFiles()).toHaveLength(1);
    const r = await request(t.url, 'DELETE', V1 + 'me/avatar/', { headers: tokenHeader(token) });
    expect(r.status).toBe(204);
    expect(r.headers.get('content-type')).toBeNull();
    expect(storedFiles()).toEqual([]);
    expect((await request(t.url, 'GET', V1 + 'me/', { headers: tokenHeader(token) })).json.avatar).toBeNull();
    expect((await request(t.url, 'DELETE', V1 + 'me/avatar/', { headers: tokenHeader(token) })).status).toBe(204);
  });

  it.each([`${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.png`, 'nothing.png', '../../etc/passwd', 'x.gif'])('unknown media name %s is 404 "Not found."', async (name) => {
    expectJson(await request(t.url, 'GET', V1 + 'media/' + encodeURIComponent(name)), 404, 'Not found.');
  });

  it('the owner without an avatar has no media', async () => {
    expectJson(await media('png'), 404, 'Not found.');
  });
});
