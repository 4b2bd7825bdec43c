// JwtCodec and the v1 keys (v1.md §2.2, §5.9).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { JwtCodec, hmacKey } from '../../src/core/jwt.js';
import { SecretKeys } from '../../src/core/secrets.js';
import { loadV1Keys } from '../../src/core/v1-keys.js';

const secrets = new SecretKeys('s'.repeat(40));
const now = () => Math.floor(Date.now() / 1000);
const LIFETIMES = { maxTokenLifetimeSec: 36 * 3600 };

describe('JwtCodec', () => {
  it('signs claims in their order with the header {"alg":"HS256","typ":"JWT"}', async () => {
    const codec = new JwtCodec(hmacKey(secrets.derive('gatehouse/test/jwt')));
    const token = await codec.sign({ token_type: 'access', exp: now() + 60, iat: now(), jti: 'a'.repeat(32), user_id: 'u' });
    const [h, p] = token.split('.').map((part) => Buffer.from(part, 'base64url').toString());
    expect(h).toBe('{"alg":"HS256","typ":"JWT"}');
    expect(Object.keys(JSON.parse(p))).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id']);
    expect((await codec.verify(token)).ok).toBe(true);
  });

  it('tells expired from forged, also for a cached token', async () => {
    const codec = new JwtCodec(hmacKey(secrets.derive('gatehouse/test/jwt')));
    const other = new JwtCodec(hmacKey(secrets.derive('gatehouse/other/jwt')));
    const short = await codec.sign({ exp: now() + 1, iat: now() });
    expect((await codec.verify(short)).ok).toBe(true); // now cached
    expect(await codec.verify(short, now() + 5)).toEqual({ ok: false, error: 'expired' });
    expect(await codec.verify(await other.sign({ exp: now() + 60 }))).toEqual({ ok: false, error: 'signature' });
    expect(await codec.verify('garbage')).toEqual({ ok: false, error: 'malformed' });
  });
});

describe('v1 keys', () => {
  it('HS256 publishes no keys', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-keys-'));
    expect((await loadV1Keys('HS256', dir, secrets, LIFETIMES)).jwks).toEqual([]);
  });

  it.each(['EdDSA', 'RS256'] as const)('%s: a key pair is generated once, kept in DATA_DIR/keys and published', async (alg) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-keys-'));
    const first = await loadV1Keys(alg, dir, secrets, LIFETIMES);
    const again = await loadV1Keys(alg, dir, secrets, LIFETIMES);
    expect(again.jwks).toEqual(first.jwks);
    expect(first.jwks[0]).toMatchObject({ alg, use: 'sig' });
    expect(first.jwks[0]).not.toHaveProperty('d');
    expect(fs.readdirSync(path.join(dir, 'keys')).filter((f) => f.startsWith(`v1-${alg}-`))).toHaveLength(1);
    const token = await first.codec.sign({ exp: now() + 60 });
    expect(JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString())).toMatchObject({ alg, typ: 'JWT', kid: first.jwks[0].kid });
    expect((await again.codec.verify(token)).ok).toBe(true);
  });

  it('tokens signed before a switch from HS256 to EdDSA keep verifying', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-keys-'));
    const hs = await loadV1Keys('HS256', dir, secrets, LIFETIMES);
    const old = await hs.codec.sign({ exp: now() + 60 });
    const ed = await loadV1Keys('EdDSA', dir, secrets, LIFETIMES);
    expect((await ed.codec.verify(old)).ok).toBe(true);
    const rs = await loadV1Keys('RS256', dir, secrets, LIFETIMES);
    expect((await rs.codec.verify(await ed.codec.sign({ exp: now() + 60 }))).ok).toBe(true);
    expect(rs.jwks.map((k) => k.alg)).toEqual(['RS256', 'EdDSA']);
  });
});
