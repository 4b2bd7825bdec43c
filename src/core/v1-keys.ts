// The v1 surface's JWT keys (v1.md §2.2, §5.9): HS256 from SECRET_KEY by default; with EdDSA or
// RS256 a key pair generated once and kept in DATA_DIR/keys/, published as a JWKS. Keys of an
// earlier algorithm or rotation stay in the folder, keep verifying, and stay published until
// an operator removes their file after the last token they signed has expired.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { type JWK, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { JwtCodec, type JwtAlgorithm, type SigningKey, hmacKey } from './jwt.js';
import type { SecretKeys } from './secrets.js';

interface StoredKey { alg: 'EdDSA' | 'RS256'; kid: string; created: string; privateJwk: JWK }

export interface V1Keys {
  codec: JwtCodec;
  /** Public JWKs, current first; [] for HS256. */
  jwks: JWK[];
}

const FILE_PATTERN = /^v1-(EdDSA|RS256)-[A-Za-z0-9_-]+\.json$/;

export async function loadV1Keys(alg: JwtAlgorithm, dataDir: string, secrets: SecretKeys): Promise<V1Keys> {
  const hs = hmacKey(secrets.derive('gatehouse/v1/jwt'));
  const dir = path.join(dataDir, 'keys');
  const stored = await readStoredKeys(dir);
  if (alg === 'HS256') {
    return { codec: new JwtCodec(hs, stored.map(toSigningKey)), jwks: [] };
  }
  let current = stored.find((k) => k.alg === alg);
  if (!current) {
    current = await generate(alg);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // wx: a second instance starting at the same moment keeps the first one's key.
    await fs.writeFile(path.join(dir, `v1-${alg}-${current.kid}.json`), JSON.stringify(current), { mode: 0o600, flag: 'wx' });
  }
  const retired = stored.filter((k) => k !== current).map(toSigningKey);
  const all = [current, ...stored.filter((k) => k !== current)];
  return {
    codec: new JwtCodec(toSigningKey(current), [...retired, hs]),
    jwks: all.map(publicJwk),
  };
}

async function readStoredKeys(dir: string): Promise<StoredKey[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch {
    return [];
  }
  const keys: StoredKey[] = [];
  for (const name of names.filter((n) => FILE_PATTERN.test(n))) {
    const parsed = JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as StoredKey;
    keys.push(parsed);
  }
  // Newest first, so the current key of an algorithm is the latest generated.
  return keys.sort((a, b) => b.created.localeCompare(a.created));
}

async function generate(alg: 'EdDSA' | 'RS256'): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { modulusLength: 2048, extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart(privateJwk));
  return { alg, kid, created: new Date().toISOString(), privateJwk };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

function toSigningKey(k: StoredKey): SigningKey {
  const privateKey = createPrivateKey({ key: k.privateJwk as any, format: 'jwk' });
  return { alg: k.alg, kid: k.kid, privateKey, publicKey: createPublicKey(privateKey) };
}

function publicJwk(k: StoredKey): JWK {
  return { ...publicPart(k.privateJwk), kid: k.kid, alg: k.alg, use: 'sig' };
}
