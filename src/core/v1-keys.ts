// The v1 surface's JWT keys (v1.md §2.2, §5.9): HS256 from SECRET_KEY by default; with EdDSA or
// RS256 a key pair generated once and kept in DATA_DIR/keys/, published as a JWKS.
//
// Rotation. A key stops signing when the algorithm changes or a new key of the same algorithm
// is made (`rotateV1Key`). Its file then records when it was retired and until when it verifies:
// the retirement plus the longest lifetime a token it signed could have (the larger of
// V1_ACCESS_TTL and V1_REFRESH_TTL at that moment). Until then it verifies and stays published;
// afterwards it is ignored, so a leaked old key, or an old HS256 secret, is not trusted forever.
// HS256's retirement (a switch to EdDSA or RS256) is recorded in `v1-HS256.json`; the pair
// that signs is named in `v1-<alg>.current`.
import fs from 'node:fs/promises';
import path from 'node:path';
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { type JWK, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { JwtCodec, type JwtAlgorithm, type SigningKey, hmacKey } from './jwt.js';
import type { SecretKeys } from './secrets.js';

type PairAlgorithm = 'EdDSA' | 'RS256';

interface Retirement {
  /** When the key stopped signing (ISO 8601). */
  retired: string;
  /** Seconds since the epoch after which it no longer verifies. */
  verifyUntil: number;
}

interface StoredKey extends Partial<Retirement> {
  alg: PairAlgorithm;
  kid: string;
  created: string;
  privateJwk: JWK;
}

export interface V1Keys {
  codec: JwtCodec;
  /** Public JWKs, current first, then retired keys still within their window; [] for HS256. */
  readonly jwks: JWK[];
}

export interface V1KeyOptions {
  /** The longest lifetime of a token signed now: max(V1_ACCESS_TTL, V1_REFRESH_TTL), in seconds. */
  maxTokenLifetimeSec: number;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

const FILE_PATTERN = /^v1-(EdDSA|RS256)-[A-Za-z0-9_-]+\.json$/;
const HS256_FILE = 'v1-HS256.json';

export async function loadV1Keys(alg: JwtAlgorithm, dataDir: string, secrets: SecretKeys, options: V1KeyOptions): Promise<V1Keys> {
  const now = options.now ?? Date.now;
  const retirement = (): Retirement => ({
    retired: new Date(now()).toISOString(),
    verifyUntil: Math.floor(now() / 1000) + options.maxTokenLifetimeSec,
  });
  const hs = hmacKey(secrets.derive('gatehouse/v1/jwt'));
  const dir = path.join(dataDir, 'keys');

  let current: StoredKey | null = null;
  let hsRetired: Retirement | null = null;
  if (alg === 'HS256') {
    // Signing with HS256 again: its earlier retirement no longer applies.
    await fs.rm(path.join(dir, HS256_FILE), { force: true });
  } else {
    current = await currentPair(alg, dir, now);
    hsRetired = await hs256Retirement(dir, retirement);
  }

  // Every other pair is retired; the first start that sees it so records when.
  const others: StoredKey[] = [];
  for (const key of await readStoredKeys(dir)) {
    if (key.kid === current?.kid) continue;
    others.push(key.retired === undefined ? await recordRetirement(dir, key, retirement()) : key);
  }

  const verifying = (until: number | undefined) => until === undefined || until > Math.floor(now() / 1000);
  const retiredKeys: SigningKey[] = others.filter((k) => verifying(k.verifyUntil)).map(toSigningKey);
  if (hsRetired && verifying(hsRetired.verifyUntil)) retiredKeys.push({ ...hs, verifyUntil: hsRetired.verifyUntil });
  const codec = current ? new JwtCodec(toSigningKey(current), retiredKeys) : new JwtCodec(hs, retiredKeys);
  return {
    codec,
    get jwks() {
      if (!current) return [];
      return [current, ...others.filter((k) => verifying(k.verifyUntil))].map(publicJwk);
    },
  };
}

/**
 * Makes a new key pair of `alg` the one that signs, from the next start of each instance on,
 * and records the key it replaces as retired now. Returns the new key's id.
 */
export async function rotateV1Key(alg: PairAlgorithm, dataDir: string, options: V1KeyOptions): Promise<string> {
  const now = options.now ?? Date.now;
  const dir = path.join(dataDir, 'keys');
  const replaced = (await readStoredKeys(dir)).filter((k) => k.alg === alg && k.retired === undefined);
  const fresh = await generate(alg, now);
  await writeNewKey(dir, fresh);
  await writeAtomically(pointerFile(dir, alg), fresh.kid);
  for (const key of replaced) {
    await recordRetirement(dir, key, { retired: new Date(now()).toISOString(), verifyUntil: Math.floor(now() / 1000) + options.maxTokenLifetimeSec });
  }
  return fresh.kid;
}

/**
 * The signing pair of `alg`, named by the file `v1-<alg>.current`. Its first creation is
 * exclusive, so instances that start at once on a fresh folder, each with a key of its own
 * in hand, agree on the one whose name got there first; the others' keys are retired unused.
 */
async function currentPair(alg: PairAlgorithm, dir: string, now: () => number): Promise<StoredKey> {
  const pointer = pointerFile(dir, alg);
  for (let attempt = 0; ; attempt++) {
    const keys = await readStoredKeys(dir);
    const named = await fs.readFile(pointer, 'utf8').then((kid) => kid.trim(), () => null);
    if (named !== null) {
      const key = keys.find((k) => k.alg === alg && k.kid === named);
      if (key && key.retired === undefined) return key;
      if (key || attempt >= 20) {
        // Back to an algorithm whose key was retired (or whose file is lost): a new pair, as a
        // rotation makes it. A retired key never signs again.
        const fresh = await generate(alg, now);
        await writeNewKey(dir, fresh);
        await writeAtomically(pointer, fresh.kid);
        return fresh;
      }
      await new Promise((resolve) => setTimeout(resolve, 25)); // named, not yet readable
      continue;
    }
    // No name yet: a fresh folder, or keys kept by a version without names (newest first).
    const candidate = keys.find((k) => k.alg === alg && k.retired === undefined) ?? (await writeNewKey(dir, await generate(alg, now)));
    try {
      await fs.writeFile(pointer, candidate.kid, { mode: 0o600, flag: 'wx' });
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // Another instance named its key first: read it on the next round.
    }
  }
}

function pointerFile(dir: string, alg: PairAlgorithm): string {
  return path.join(dir, `v1-${alg}.current`);
}

/** When HS256 stopped signing: recorded at the first start under another algorithm. */
async function hs256Retirement(dir: string, retirement: () => Retirement): Promise<Retirement> {
  const file = path.join(dir, HS256_FILE);
  try {
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as Retirement;
    if (typeof stored.verifyUntil === 'number') return stored;
  } catch {
    // not recorded yet
  }
  const r = retirement();
  await writeAtomically(file, JSON.stringify({ alg: 'HS256', ...r }));
  return r;
}

async function recordRetirement(dir: string, key: StoredKey, r: Retirement): Promise<StoredKey> {
  const retired: StoredKey = { ...key, ...r };
  await writeAtomically(path.join(dir, fileName(key)), JSON.stringify(retired));
  return retired;
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
    keys.push(JSON.parse(await fs.readFile(path.join(dir, name), 'utf8')) as StoredKey);
  }
  // Newest first, so the current key of an algorithm is the latest generated.
  return keys.sort((a, b) => b.created.localeCompare(a.created) || a.kid.localeCompare(b.kid));
}

async function writeNewKey(dir: string, key: StoredKey): Promise<StoredKey> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // wx: never overwrite a key someone else wrote.
  await fs.writeFile(path.join(dir, fileName(key)), JSON.stringify(key), { mode: 0o600, flag: 'wx' });
  return key;
}

/** Replaced by rename, so a reader sees the old file or the new one, never half of one. */
async function writeAtomically(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(temp, content, { mode: 0o600, flag: 'wx' });
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

function fileName(key: StoredKey): string {
  return `v1-${key.alg}-${key.kid}.json`;
}

async function generate(alg: PairAlgorithm, now: () => number): Promise<StoredKey> {
  const { privateKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519', extractable: true } : { modulusLength: 2048, extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(publicPart(privateJwk));
  return { alg, kid, created: new Date(now()).toISOString(), privateJwk };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk;
  return pub;
}

function toSigningKey(k: StoredKey): SigningKey {
  const privateKey = createPrivateKey({ key: k.privateJwk as any, format: 'jwk' });
  return { alg: k.alg, kid: k.kid, privateKey, publicKey: createPublicKey(privateKey), verifyUntil: k.verifyUntil };
}

function publicJwk(k: StoredKey): JWK {
  return { ...publicPart(k.privateJwk), kid: k.kid, alg: k.alg, use: 'sig' };
}
