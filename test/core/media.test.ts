import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sniffImage } from '../../src/core/image-sniff.js';
import { type ImageFormat, MediaStore, processImage } from '../../src/core/media.js';
import { ifNoneMatchMatches, sendImage } from '../../src/http/media-reply.js';
import * as img from '../helpers/images.js';

const ALL: readonly ImageFormat[] = ['jpeg', 'png', 'webp'];
const LIMITS = { allowed: ALL, maxPixels: 40_000_000 };

async function processed(buf: Buffer, opts = LIMITS) {
  const result = await processImage(buf, opts);
  if (!result.ok) throw new Error(`expected success, got ${result.reason}`);
  return result;
}

describe('processImage', () => {
  it('drops every metadata block of a JPEG, GPS included, and applies its orientation', async () => {
    const input = await img.jpegWithGps();
    const before = await sharp(input).metadata();
    // The fixture really carries what must go.
    expect(img.gpsTagsIn(before.exif)).toEqual(expect.arrayContaining([1, 2, 3, 4]));
    expect(before).toMatchObject({ width: 20, height: 10, orientation: 6 });
    expect(before.icc).toBeDefined();
    expect(before.xmp).toBeDefined();

    const out = await processed(input);
    expect(out).toMatchObject({ format: 'jpeg', width: 10, height: 20 });
    const after = await sharp(out.data).metadata();
    expect(after).toMatchObject({ format: 'jpeg', width: 10, height: 20 });
    expect(after.exif).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.xmp).toBeUndefined();
    expect(after.iptc).toBeUndefined();
    expect(after.orientation).toBeUndefined();
    for (const marker of ['Exif', 'Acme', 'Jane Secret', 'ICC_PROFILE', 'http://ns.adobe.com/xap']) {
      expect(out.data.includes(marker)).toBe(false);
    }
  });

  it('keeps a PNG a PNG and drops its text chunks', async () => {
    const out = await processed(await img.pngWithText(30, 20));
    expect(out).toMatchObject({ format: 'png', width: 30, height: 20 });
    expect((await sharp(out.data).metadata()).format).toBe('png');
    for (const chunk of ['tEXt', 'iTXt', 'zTXt', 'eXIf', 'iCCP', '<script']) {
      expect(out.data.includes(chunk)).toBe(false);
    }
  });

  it('keeps a WebP a WebP and drops its EXIF, ICC and XMP chunks', async () => {
    const input = await sharp(await img.png(30, 20))
      .webp()
      .withExif({ IFD0: { Make: 'Acme' } })
      .withIccProfile('p3')
      .toBuffer();
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const out = await processed(input);
    expect(out).toMatchObject({ format: 'webp', width: 30, height: 20 });
    const after = await sharp(out.data).metadata();
    expect(after.format).toBe('webp');
    expect(after.exif).toBeUndefined();
    expect(after.icc).toBeUndefined();
    expect(after.xmp).toBeUndefined();
  });

  it('refuses formats outside the allowed set, even when sharp could decode them', async () => {
    for (const buf of [await img.gif(), await img.tiff(), img.bmp(), await img.ico()]) {
      expect(await processImage(buf, LIMITS)).toEqual({ ok: false, reason: 'not_image' });
    }
    // The `users` surface accepts only JPEG and PNG.
    const usersLimits = { allowed: ['jpeg', 'png'] as const, maxPixels: 40_000_000 };
    expect(await processImage(await img.webp(4, 4), usersLimits)).toEqual({ ok: false, reason: 'not_image' });
    expect((await processImage(await img.png(4, 4), usersLimits)).ok).toBe(true);
  });

  it('refuses SVG, HTML, empty input and garbage', async () => {
    const inputs = [img.svgWithScript(), Buffer.from('<html><body>hi</body></html>'), Buffer.alloc(0), Buffer.alloc(64, 7)];
    for (const buf of inputs) {
      expect(await processImage(buf, LIMITS)).toEqual({ ok: false, reason: 'not_image' });
    }
  });

  it('refuses a truncated JPEG and a truncated PNG: decoding must complete', async () => {
    const jpeg = await img.truncatedJpeg();
    expect(sniffImage(jpeg)).toMatchObject({ format: 'jpeg' });
    expect(await processImage(jpeg, LIMITS)).toEqual({ ok: false, reason: 'not_image' });
    const png = await img.png(64, 64);
    const cut = png.subarray(0, png.length / 2);
    expect(await processImage(cut, LIMITS)).toEqual({ ok: false, reason: 'not_image' });
  });

  it('accepts a JPEG/HTML polyglot only as a clean re-encoded JPEG', async () => {
    const input = await img.jpegHtmlPolyglot();
    expect(input.includes('<script')).toBe(true);
    const out = await processed(input);
    expect(out).toMatchObject({ format: 'jpeg', width: 16, height: 16 });
    expect(out.data.includes('<script')).toBe(false);
    expect(out.data.includes('<html')).toBe(false);
    expect(out.data.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });

  it('refuses a header claiming 50000x50000 as too many pixels, without decoding it', async () => {
    // The body is six bytes of garbage: had it been decoded, the answer would be not_image.
    expect(await processImage(img.pngClaiming(50_000, 50_000), LIMITS)).toEqual({ ok: false, reason: 'too_many_pixels' });
    expect(await processImage(img.pngClaiming(100, 100), LIMITS)).toEqual({ ok: false, reason: 'not_image' });
  });

  it('counts pixels inclusively against the limit', async () => {
    const buf = await img.png(20, 10);
    expect((await processImage(buf, { allowed: ALL, maxPixels: 200 })).ok).toBe(true);
    expect(await processImage(buf, { allowed: ALL, maxPixels: 199 })).toEqual({ ok: false, reason: 'too_many_pixels' });
  });

  it('keeps only the first frame of an animated image', async () => {
    const input = await img.animatedWebp();
    expect((await sharp(input, { animated: true }).metadata()).pages).toBe(2);
    const out = await processed(input);
    expect(out).toMatchObject({ format: 'webp', width: 8, height: 8 });
    const after = await sharp(out.data, { animated: true }).metadata();
    expect(after.pages ?? 1).toBe(1);
    // The first frame is the red one.
    const { data } = await sharp(out.data).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeGreaterThan(200);
  });
});

describe('sniffImage', () => {
  const cases: Array<[string, () => Promise<Buffer> | Buffer, ReturnType<typeof sniffImage>]> = [
    ['baseline JPEG', async () => sharp(await img.png(33, 17)).jpeg().toBuffer(), { format: 'jpeg', width: 33, height: 17 }],
    ['progressive JPEG', async () => sharp(await img.png(33, 17)).jpeg({ progressive: true }).toBuffer(), { format: 'jpeg', width: 33, height: 17 }],
    ['JPEG with EXIF first', () => img.jpegWithGps(), { format: 'jpeg', width: 20, height: 10 }],
    ['PNG', () => img.png(33, 17), { format: 'png', width: 33, height: 17 }],
    ['GIF', () => img.gif(8, 6), { format: 'gif', width: 8, height: 6 }],
    ['lossy WebP (VP8)', () => img.webp(33, 17), { format: 'webp', width: 33, height: 17 }],
    ['lossless WebP (VP8L)', async () => sharp(await img.png(33, 17)).webp({ lossless: true }).toBuffer(), { format: 'webp', width: 33, height: 17 }],
    ['extended WebP (VP8X)', () => img.animatedWebp(), { format: 'webp', width: 8, height: 8 }],
    ['BMP', () => img.bmp(3, 2), { format: 'bmp', width: 3, height: 2 }],
    ['top-down BMP', () => img.bmp(3, -2), { format: 'bmp', width: 3, height: 2 }],
    ['TIFF from sharp', () => img.tiff(9, 7), { format: 'tiff', width: 9, height: 7 }],
    ['little-endian TIFF', () => img.tiffHeader(300, 70_000, 'II'), { format: 'tiff', width: 300, height: 70_000 }],
    ['big-endian TIFF', () => img.tiffHeader(300, 70_000, 'MM'), { format: 'tiff', width: 300, height: 70_000 }],
    ['ICO', () => img.ico(16), { format: 'ico', width: 16, height: 16 }],
    ['ICO of 256 (stored as 0)', () => img.ico(256), { format: 'ico', width: 256, height: 256 }],
    ['PNG claiming 50000x50000', () => img.pngClaiming(50_000, 50_000), { format: 'png', width: 50_000, height: 50_000 }],
  ];

  it.each(cases)('reads the format and size of a %s', async (_name, build, expected) => {
    expect(sniffImage(await build())).toEqual(expected);
  });

  it.each(cases)('never misreads a truncated %s: a prefix gives null or the same answer', async (_name, build, expected) => {
    const full = await build();
    for (let n = 0; n <= Math.min(full.length, 600); n++) {
      const got = sniffImage(full.subarray(0, n));
      if (got !== null) expect(got).toEqual(expected);
    }
  });

  it('returns null for headers cut short', async () => {
    const prefixes: Array<[Buffer, number]> = [
      [await img.png(5, 5), 28],
      [await img.gif(), 12],
      [await img.webp(5, 5), 29],
      [img.bmp(), 25],
      [img.tiffHeader(5, 5, 'MM'), 33],
      [await img.ico(), 21],
    ];
    for (const [buf, length] of prefixes) expect(sniffImage(buf.subarray(0, length))).toBeNull();
    const jpeg = await img.png(5, 5).then((p) => sharp(p).jpeg().toBuffer());
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sniffImage(jpeg.subarray(0, sof + 8))).toBeNull();
    expect(sniffImage(jpeg.subarray(0, sof + 9))).toEqual({ format: 'jpeg', width: 5, height: 5 });
  });

  it('returns null for empty input, garbage, SVG and HTML', () => {
    const inputs = [
      Buffer.alloc(0),
      Buffer.from([0xff]),
      Buffer.alloc(100, 0),
      Buffer.from('not an image at all, just text'),
      img.svgWithScript(),
      Buffer.from('<!DOCTYPE html><html><body><img src=x></body></html>'),
      Buffer.from('RIFF\x10\x00\x00\x00WAVEfmt ', 'latin1'),
    ];
    for (const buf of inputs) expect(sniffImage(buf)).toBeNull();
  });

  it('returns null when a header declares a zero dimension', () => {
    expect(sniffImage(img.pngClaiming(0, 10))).toBeNull();
    expect(sniffImage(img.tiffHeader(0, 10, 'II'))).toBeNull();
    expect(sniffImage(img.bmp(0, 2))).toBeNull();
  });

  it('survives a JPEG whose segment lengths loop or run past the end', () => {
    // A zero length would not advance; a huge one points past the buffer.
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00, 0xff, 0xe0]))).toBeNull();
    expect(sniffImage(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0x00]))).toBeNull();
    expect(sniffImage(Buffer.from([0xff, 0xd8, ...Array<number>(1000).fill(0xff)]))).toBeNull();
  });

  it('never throws on random bytes, nor on random bytes after each signature', () => {
    const signatures = [
      [0xff, 0xd8, 0xff],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52],
      [...Buffer.from('GIF89a')],
      [...Buffer.from('RIFF\0\0\0\0WEBPVP8 ', 'latin1')],
      [...Buffer.from('RIFF\0\0\0\0WEBPVP8L', 'latin1')],
      [...Buffer.from('RIFF\0\0\0\0WEBPVP8X', 'latin1')],
      [0x42, 0x4d],
      [0x49, 0x49, 0x2a, 0x00],
      [0x4d, 0x4d, 0x00, 0x2a],
      [0x00, 0x00, 0x01, 0x00],
    ];
    const buffers = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.constantFrom(...signatures), fc.uint8Array({ maxLength: 300 })).map(([sig, tail]) => [...sig, ...tail]),
    );
    fc.assert(
      fc.property(buffers, (bytes) => {
        const got = sniffImage(Buffer.from(bytes));
        if (got !== null) expect(got.width * got.height).toBeGreaterThan(0);
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on valid headers with random bytes overwritten', async () => {
    const seeds = [await img.jpegWithGps(), await img.png(4, 4), await img.webp(4, 4), img.bmp(), await img.tiff(), await img.ico()];
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        (seed, edits) => {
          const buf = Buffer.from(seed.subarray(0, 400));
          for (const [at, value] of edits) if (at < buf.length) buf[at] = value;
          sniffImage(buf);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('MediaStore', () => {
  let base: string;
  let store: MediaStore;
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'gatehouse-media-'));
    store = new MediaStore(path.join(base, 'media'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('saves under avatars/<number>/<filename> and opens it for serving', async () => {
    const rel = await store.saveAvatar(7, 'face.png', Buffer.from('one'));
    expect(rel).toBe('avatars/7/face.png');
    expect(await readFile(path.join(base, 'media', 'avatars', '7', 'face.png'), 'utf8')).toBe('one');
    expect(await store.exists(rel)).toBe(true);
    const file = await store.open(rel);
    expect(file).toMatchObject({ absPath: path.join(base, 'media', rel), size: 3 });
    expect(file?.etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(file?.mtimeMs).toBeGreaterThan(0);
  });

  it('replaces a file atomically, changes the ETag and leaves no temporary file', async () => {
    const rel = await store.saveAvatar(7, 'face.png', Buffer.from('one'));
    const first = await store.open(rel);
    await store.saveAvatar(7, 'face.png', Buffer.from('two!'));
    const second = await store.open(rel);
    expect(await readFile(second!.absPath, 'utf8')).toBe('two!');
    expect(second!.etag).not.toBe(first!.etag);
    expect(await readdir(path.join(base, 'media', 'avatars', '7'))).toEqual(['face.png']);
  });

  it('removes a file, and ignores a missing one or no path at all', async () => {
    const oldRel = await store.saveAvatar(7, 'old.jpg', Buffer.from('old'));
    const newRel = await store.saveAvatar(7, 'new.jpg', Buffer.from('new'));
    await store.remove(oldRel);
    expect(await store.exists(oldRel)).toBe(false);
    expect(await store.open(oldRel)).toBeNull();
    expect(await store.exists(newRel)).toBe(true);
    await expect(store.remove(oldRel)).resolves.toBeUndefined();
    await expect(store.remove('avatars/99/nothing.png')).resolves.toBeUndefined();
    await expect(store.remove(null)).resolves.toBeUndefined();
    await expect(store.remove(undefined)).resolves.toBeUndefined();
  });

  it("removes one user's directory and nobody else's", async () => {
    await store.saveAvatar(7, 'a.png', Buffer.from('a'));
    await store.saveAvatar(7, 'b.png', Buffer.from('b'));
    const other = await store.saveAvatar(8, 'a.png', Buffer.from('c'));
    await store.removeUserDir(7);
    expect(await store.exists('avatars/7/a.png')).toBe(false);
    expect(await store.exists(other)).toBe(true);
    await expect(store.removeUserDir(7)).resolves.toBeUndefined();
  });

  it('never reads or deletes outside the media directory', async () => {
    const outside = path.join(base, 'secret.txt');
    await writeFile(outside, 'keep me');
    await store.saveAvatar(1, 'a.png', Buffer.from('a'));
    const escapes = ['../secret.txt', 'avatars/../../secret.txt', '../../etc/passwd', '/etc/passwd', outside, 'avatars/1/a.png\0.txt'];
    for (const rel of escapes) {
      expect(await store.open(rel)).toBeNull();
      expect(await store.exists(rel)).toBe(false);
      await store.remove(rel);
    }
    expect(await readFile(outside, 'utf8')).toBe('keep me');
    // The media directory itself and directories inside it are not files to serve.
    for (const rel of ['', '.', 'avatars', 'avatars/1']) expect(await store.open(rel)).toBeNull();
    // Nor is a link planted inside it that points out.
    await symlink(outside, path.join(base, 'media', 'avatars', '1', 'link.png'));
    expect(await store.open('avatars/1/link.png')).toBeNull();
  });

  it('refuses to write anywhere but one plain filename under a valid user number', async () => {
    const data = Buffer.from('x');
    for (const name of ['../../evil.png', 'a/b.png', 'a\\b.png', '..', '.', '', 'a\0.png']) {
      await expect(store.saveAvatar(1, name, data)).rejects.toThrow(TypeError);
    }
    for (const n of [-1, 1.5, Number.NaN]) {
      await expect(store.saveAvatar(n, 'a.png', data)).rejects.toThrow(TypeError);
    }
    await expect(readdir(base)).resolves.toEqual([]);
  });
});

describe('sendImage', () => {
  let base: string;
  let store: MediaStore;
  let app: FastifyInstance;
  let bytes: Buffer;
  let etag: string;

  beforeAll(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'gatehouse-media-reply-'));
    store = new MediaStore(path.join(base, 'media'));
    bytes = (await processed(await img.png(12, 9))).data;
    await store.saveAvatar(3, 'pic.png', bytes);
    etag = (await store.open('avatars/3/pic.png'))!.etag;

    app = Fastify();
    const serve = async (request: import('fastify').FastifyRequest<{ Params: { name: string } }>, reply: import('fastify').FastifyReply) => {
      const file = await store.open(`avatars/3/${request.params.name}`);
      if (!file) return reply.code(404).send({ error: 'Page not found.' });
      return sendImage(request, reply, file, 'png');
    };
    // Fastify's automatic HEAD route, and an explicit GET+HEAD route: both must work.
    app.get('/auto/:name', serve);
    app.route({ method: ['GET', 'HEAD'], url: '/explicit/:name', exposeHeadRoute: false, handler: serve });
    // A file that was looked up, then deleted before it could be opened.
    app.get('/vanished', (request, reply) =>
      sendImage(request, reply, { absPath: path.join(base, 'gone.png'), size: 10, etag: '"a-b"' }, 'png'),
    );
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'Page not found.' }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await rm(base, { recursive: true, force: true });
  });

  for (const prefix of ['/auto', '/explicit']) {
    describe(prefix, () => {
      it('answers GET with the file and the media headers', async () => {
        const res = await app.inject({ method: 'GET', url: `${prefix}/pic.png` });
        expect(res.statusCode).toBe(200);
        expect(res.headers).toMatchObject({
          'content-type': 'image/png',
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
          etag,
          'content-length': String(bytes.length),
        });
        expect(res.rawPayload.equals(bytes)).toBe(true);
      });

      it('answers HEAD with the headers, the real Content-Length and no body', async () => {
        const res = await app.inject({ method: 'HEAD', url: `${prefix}/pic.png` });
        expect(res.statusCode).toBe(200);
        expect(res.headers).toMatchObject({ 'content-type': 'image/png', etag, 'content-length': String(bytes.length) });
        expect(res.rawPayload.length).toBe(0);
      });

      it('answers 304 with no body to a matching If-None-Match', async () => {
        for (const header of [etag, `"other", ${etag}`, `W/${etag}`, '*']) {
          for (const method of ['GET', 'HEAD'] as const) {
            const res = await app.inject({ method, url: `${prefix}/pic.png`, headers: { 'if-none-match': header } });
            expect(res.statusCode).toBe(304);
            expect(res.headers.etag).toBe(etag);
            expect(res.headers['cache-control']).toBe('no-cache');
            expect(res.headers['content-length']).toBeUndefined();
            expect(res.rawPayload.length).toBe(0);
          }
        }
      });

      it('answers 200 when If-None-Match does not match', async () => {
        const res = await app.inject({ method: 'GET', url: `${prefix}/pic.png`, headers: { 'if-none-match': '"stale"' } });
        expect(res.statusCode).toBe(200);
        expect(res.rawPayload.equals(bytes)).toBe(true);
      });
    });
  }

  it("falls back to the app's not-found answer when the file vanished before opening", async () => {
    const res = await app.inject({ method: 'GET', url: '/vanished' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: 'Page not found.' });
    // None of the image headers leak onto the JSON answer.
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBeUndefined();
  });

  it('keeps the real Content-Length on HEAD and none on 304 over a real socket', async () => {
    // A streamed body with Content-Length can reach the client before the server marks the
    // socket idle, and close() would then wait out the keep-alive timeout: close them all.
    const server = Fastify({ forceCloseConnections: true });
    server.get('/pic', async (request, reply) => sendImage(request, reply, (await store.open('avatars/3/pic.png'))!, 'png'));
    const origin = await server.listen({ port: 0, host: '127.0.0.1' });
    try {
      const head = await fetch(`${origin}/pic`, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(bytes.length));
      expect(head.headers.get('transfer-encoding')).toBeNull();
      const notModified = await fetch(`${origin}/pic`, { headers: { 'if-none-match': etag } });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get('content-length')).toBeNull();
      expect(notModified.headers.get('etag')).toBe(etag);
      const full = await fetch(`${origin}/pic`);
      expect(Buffer.from(await full.arrayBuffer()).equals(bytes)).toBe(true);
    } finally {
      await server.close();
    }
  });
});

describe('ifNoneMatchMatches', () => {
  it('compares entity tags weakly, per RFC 9110', () => {
    expect(ifNoneMatchMatches(undefined, '"a"')).toBe(false);
    expect(ifNoneMatchMatches('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"a"', 'W/"a"')).toBe(true);
    expect(ifNoneMatchMatches(' "x" ,\t"a"', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('*', '"a"')).toBe(true);
    expect(ifNoneMatchMatches('"A"', '"a"')).toBe(false);
    expect(ifNoneMatchMatches('a', '"a"')).toBe(false);
    expect(ifNoneMatchMatches('"', '"a"')).toBe(false);
    expect(ifNoneMatchMatches('', '"a"')).toBe(false);
  });

  it('keeps commas inside a quoted tag', () => {
    expect(ifNoneMatchMatches('"a,b"', '"a,b"')).toBe(true);
    expect(ifNoneMatchMatches('"a,b"', '"a"')).toBe(false);
    expect(ifNoneMatchMatches('"b", "a,b"', '"b"')).toBe(true);
  });
});

describe('MediaStore.openImage: the real format of a stored image', () => {
  it('reads the format from the signature, not the name, and refuses what it did not write', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gh-openimage-'));
    try {
      const store = new MediaStore(dir);
      const jpeg = await processImage(await img.jpegWithGps(), { allowed: ['jpeg'], maxPixels: 1_000_000 });
      if (!jpeg.ok) throw new Error('fixture');
      const asPng = await store.saveAvatar(1, 'photo.png', jpeg.data);
      expect((await store.openImage(asPng))?.format).toBe('jpeg');
      const png = await processImage(await img.png(4, 4), { allowed: ['png'], maxPixels: 1_000_000 });
      if (!png.ok) throw new Error('fixture');
      expect((await store.openImage(await store.saveAvatar(1, 'a.png', png.data)))?.format).toBe('png');
      const gif = await store.saveAvatar(1, 'a.gif', await img.gif());
      expect(await store.openImage(gif)).toBeNull();
      expect(await store.openImage('avatars/1/missing.png')).toBeNull();
      expect(await store.openImage(null)).toBeNull();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
