// v1.md §5.9 "Rotation" and §2.2: a retired v1 JWT key (an earlier algorithm, HS256 included, or
// a key replaced by a rotation) verifies, and stays published, only until the longest lifetime a
// token it signed could have has passed since its retirement; then it is no longer trusted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretKeys } from '../../src/core/secrets.js';
import { loadV1Keys, rotateV1Key } from '../../src/core/v1-keys.js';
import { startApp, startSibling, type TestApp } from '../helpers/app.js';
import { Client, request } from '../helpers/http.js';
import { V1, bearerHeader, jwtLogin, registerUser } from '../surfaces/v1/helpers.js';

const secrets = new SecretKeys('r'.repeat(40));
const HOUR = 3600;
const T0 = Date.UTC(2030, 0, 1) / 1000;

/** A clock set to `sec` seconds since the epoch. */
const at = (sec: number) => ({ maxTokenLifetimeSec: HOUR, now: () => sec * 1000 });
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'gh-rotation-'));
/** A token valid for ten days: what a leaked old key could sign. */
const longLived = (iat: number) => ({ token_type: 'access', exp: iat + 10 * 86400, iat, jti: 'a'.repeat(32), user_id: 'u' });

describe('retired keys (clock set by the test)', () => {
  it('EdDSA replaced by RS256: verifies and is published for the longest lifetime after its retirement, then not', async () => {
    const dir = tmpDir();
    const ed = await loadV1Keys('EdDSA', dir, secrets, at(T0));
    const edToken = await ed.codec.sign(longLived(T0));
    const edKid = ed.jwks[0].kid;

    const switchedAt = T0 + 100;
    const rs = await loadV1Keys('RS256', dir, secrets, at(switchedAt));
    expect(rs.jwks.map((k) => k.kid)).toEqual([rs.jwks[0].kid, edKid]);
    expect(await rs.codec.verify(edToken, switchedAt + HOUR - 1)).toMatchObject({ ok: true });
    // Cached now, and still refused once the window has passed.
    expect(await rs.codec.verify(edToken, switchedAt + HOUR)).toEqual({ ok: false, error: 'signature' });

    // A later start: the retirement recorded at the switch stands (it is not moved forward).
    const later = await loadV1Keys('RS256', dir, secrets, at(switchedAt + 2 * HOUR));
    expect(later.jwks.map((k) => k.alg)).toEqual(['RS256']);
    expect(await later.codec.verify(edToken, switchedAt + 2 * HOUR)).toMatchObject({ ok: false });
    const stored = JSON.parse(fs.readFileSync(path.join(dir, 'keys', `v1-EdDSA-${edKid}.json`), 'utf8'));
    expect(stored.retired).toBe(new Date(switchedAt * 1000).toISOString());
    expect(stored.verifyUntil).toBe(switchedAt + HOUR);
  });

  it('the published set follows the clock within one process', async () => {
    const dir = tmpDir();
    await loadV1Keys('EdDSA', dir, secrets, at(T0));
    let clock = T0 + 10;
    const rs = await loadV1Keys('RS256', dir, secrets, { maxTokenLifetimeSec: HOUR, now: () => clock * 1000 });
    expect(rs.jwks.map((k) => k.alg)).toEqual(['RS256', 'EdDSA']);
    clock = T0 + 10 + HOUR;
    expect(rs.jwks.map((k) => k.alg)).toEqual(['RS256']);
  });

  it('HS256 tokens stop verifying once the longest lifetime has passed after the switch away from HS256', async () => {
    const dir = tmpDir();
    const hs = await loadV1Keys('HS256', dir, secrets, at(T0));
    const hsToken = await hs.codec.sign(longLived(T0));
    const switchedAt = T0 + 50;
    const ed = await loadV1Keys('EdDSA', dir, secrets, at(switchedAt));
    expect(await ed.codec.verify(hsToken, switchedAt + HOUR - 1)).toMatchObject({ ok: true });
    expect(await ed.codec.verify(hsToken, switchedAt + HOUR)).toEqual({ ok: false, error: 'signature' });
    // Restarting much later under EdDSA does not revive it.
    const again = await loadV1Keys('EdDSA', dir, secrets, at(switchedAt + 5 * HOUR));
    expect(await again.codec.verify(hsToken, switchedAt + 5 * HOUR)).toMatchObject({ ok: false });
  });

  it('switching back to HS256 signs with it again and retires the pair', async () => {
    const dir = tmpDir();
    await loadV1Keys('HS256', dir, secrets, at(T0));
    const ed = await loadV1Keys('EdDSA', dir, secrets, at(T0 + 10));
    const edToken = await ed.codec.sign(longLived(T0 + 10));
    const hs = await loadV1Keys('HS256', dir, secrets, at(T0 + 20));
    const hsToken = await hs.codec.sign(longLived(T0 + 20));
    expect(await hs.codec.verify(hsToken, T0 + 20 + 5 * HOUR)).toMatchObject({ ok: true });
    expect(await hs.codec.verify(edToken, T0 + 20 + HOUR - 1)).toMatchObject({ ok: true });
    expect(await hs.codec.verify(edToken, T0 + 20 + HOUR)).toEqual({ ok: false, error: 'signature' });
    expect(hs.jwks).toEqual([]);
    // A later switch to EdDSA makes a new pair: a retired key never signs again.
    const ed2 = await loadV1Keys('EdDSA', dir, secrets, at(T0 + 30));
    expect(ed2.jwks[0].kid).not.toBe(ed.jwks[0].kid);
  });

  it('rotateV1Key: a new pair signs from the next start; the replaced one is retired at the rotation', async () => {
    const dir = tmpDir();
    const first = await loadV1Keys('EdDSA', dir, secrets, at(T0));
    const oldToken = await first.codec.sign(longLived(T0));
    const newKid = await rotateV1Key('EdDSA', dir, at(T0 + 100));
    const next = await loadV1Keys('EdDSA', dir, secrets, at(T0 + 200));
    expect(next.jwks.map((k) => k.kid)).toEqual([newKid, first.jwks[0].kid]);
    const header = JSON.parse(Buffer.from((await next.codec.sign(longLived(T0 + 200))).split('.')[0], 'base64url').toString());
    expect(header.kid).toBe(newKid);
    expect(await next.codec.verify(oldToken, T0 + 100 + HOUR - 1)).toMatchObject({ ok: true });
    expect(await next.codec.verify(oldToken, T0 + 100 + HOUR)).toEqual({ ok: false, error: 'signature' });
  });

  it('two instances starting at once agree on one signing pair', async () => {
    const dir = tmpDir();
    const [a, b] = await Promise.all([loadV1Keys('EdDSA', dir, secrets, at(T0)), loadV1Keys('EdDSA', dir, secrets, at(T0))]);
    expect(a.jwks[0].kid).toBe(b.jwks[0].kid);
    expect(await b.codec.verify(await a.codec.sign(longLived(T0)), T0 + 1)).toMatchObject({ ok: true });
  });
});

describe('over HTTP: after switching V1_JWT_ALGORITHM, old HS256 tokens are not accepted without end', () => {
  let hsApp: TestApp;
  let edApp: TestApp;
  afterAll(async () => {
    await edApp?.close();
    await hsApp?.close();
  });

  it('an HS256 access token keeps working through the switch, and is refused once its window has passed', async () => {
    hsApp = await startApp({ SURFACES: 'v1', V1_ACCESS_TTL: '1h' });
    const user = await registerUser(hsApp.url, 'rotation');
    const { access } = await jwtLogin(new Client(hsApp.url), user);
    // The same deployment restarted under EdDSA, with lifetimes now at most 2 s.
    edApp = await startSibling(hsApp, { V1_JWT_ALGORITHM: 'EdDSA', V1_ACCESS_TTL: '2s', V1_REFRESH_TTL: '2s' });
    expect((await request(edApp.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(access) })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2500));
    const r = await request(edApp.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(access) });
    expect(r.status).toBe(401);
    expect(r.json).toBe('Token is invalid or expired');
  });
});
