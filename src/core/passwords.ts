// Password hashing and verification (v1.md §0.5). New hashes are argon2id; the other formats
// exist only so users imported from the original backends (Django, Werkzeug, bcrypt) can still
// log in, after which `needsRehash` tells the caller to store an argon2id hash instead.
//
// Two rules shape everything here:
// - Nothing runs on the event loop for long: argon2 runs in @node-rs/argon2's thread pool,
//   PBKDF2 and scrypt in libuv's, bcrypt in bcryptjs's chunked async mode.
// - An imported hash is untrusted input. Its cost parameters are bounded so it cannot be used
//   to burn CPU or memory, and every failure (unknown format, malformed, out of bounds, library
//   error) answers "no match" after the same work as a wrong password, never an exception.
import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import * as argon2 from '@node-rs/argon2';
import { compare as bcryptCompare } from 'bcryptjs';

export interface Argon2Params {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id (m=19 MiB, t=2, p=1). */
export const DEFAULT_ARGON2: Argon2Params = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

export interface VerifyResult {
  ok: boolean;
  /** true only when ok: the caller should store a fresh `hash()` of the same password. */
  needsRehash: boolean;
}

/** Longer passwords are refused outright; the surfaces cap at 128 characters anyway. */
export const MAX_PASSWORD_BYTES = 4096;

// Upper bounds on what an imported hash may ask of us (about a second of CPU or 1 GiB at worst).
const MAX_PBKDF2_ITERATIONS = 5_000_000;
const MAX_BCRYPT_COST = 16;
const MAX_SCRYPT_N = 2 ** 20;
const MAX_SCRYPT_R = 32;
const MAX_SCRYPT_P = 16;
const MAX_SCRYPT_BYTES = 512 * 1024 * 1024;
const MAX_ARGON2_MEMORY_KIB = 1024 * 1024;
const MAX_ARGON2_TIME = 32;
const MAX_ARGON2_LANES = 16;

// Far above any real encoded hash; longer values are not even parsed.
const MAX_STORED_LENGTH = 1024;

// Werkzeug 2.0–2.2 wrote this many iterations when a `pbkdf2:<hash>` method named none.
const WERKZEUG_DEFAULT_PBKDF2_ITERATIONS = 260_000;
// Python's hashlib.scrypt with maxmem=0 (Django) falls back to OpenSSL's 32 MiB limit.
const OPENSSL_DEFAULT_SCRYPT_MAXMEM = 32 * 1024 * 1024;

// Values of @node-rs/argon2's const enums (which isolatedModules cannot read at run time).
const ARGON2ID = 2;
const ARGON2_VERSION_0X13 = 1;
// What `hash()` produces; anything shorter is upgraded.
const ARGON2_OUTPUT_BYTES = 32;
const ARGON2_SALT_BYTES = 16;

// Digests an imported PBKDF2 hash may name, with their output size (hashlib's default key length).
const PBKDF2_DIGEST_BYTES: ReadonlyMap<string, number> = new Map([
  ['sha1', 20],
  ['sha224', 28],
  ['sha256', 32],
  ['sha384', 48],
  ['sha512', 64],
]);

/** A stored hash we understand and accept: how to check a password against it. */
interface ParsedHash {
  check(password: Buffer): Promise<boolean>;
  /** argon2id at (or above) the configured strength: no rehash needed. */
  current: boolean;
}

export class PasswordHasher {
  private readonly params: Argon2Params;
  private dummy: Promise<string> | undefined;

  constructor(params: Argon2Params) {
    assertArgon2Params(params);
    this.params = Object.freeze({ ...params });
  }

  /** argon2id PHC string. Throws RangeError for passwords over MAX_PASSWORD_BYTES. */
  async hash(password: string): Promise<string> {
    const bytes = Buffer.from(password, 'utf8');
    if (bytes.length > MAX_PASSWORD_BYTES) {
      throw new RangeError(`Password is longer than ${MAX_PASSWORD_BYTES} bytes.`);
    }
    return argon2.hash(bytes, this.params);
  }

  /** Never throws: any stored value we cannot use is a non-match that cost a real verify. */
  async verify(password: string, stored: string | null | undefined): Promise<VerifyResult> {
    try {
      const parsed = typeof stored === 'string' ? parseStored(stored, this.params) : null;
      const bytes = Buffer.from(password, 'utf8');
      if (parsed && bytes.length <= MAX_PASSWORD_BYTES) {
        const ok = await parsed.check(bytes);
        return { ok, needsRehash: ok && !parsed.current };
      }
    } catch {
      // A library refused the hash (or the input): treated like a malformed hash below.
    }
    await this.verifyDummy(password);
    return { ok: false, needsRehash: false };
  }

  /**
   * Spends what a real verify at the current parameters spends, so "no such account" and
   * "unusable hash" cannot be told apart from "wrong password" by timing.
   */
  async verifyDummy(password: string): Promise<false> {
    try {
      const candidate = password.length > MAX_PASSWORD_BYTES ? password.slice(0, MAX_PASSWORD_BYTES) : password;
      await argon2.verify(await this.dummyHash(), Buffer.from(candidate, 'utf8'));
    } catch {
      // Nothing to report: the answer is "no" either way.
    }
    return false;
  }

  /** false for null, '', Django's unusable passwords ('!…'), unknown, malformed or out-of-bounds hashes. */
  isUsable(stored: string | null | undefined): boolean {
    return typeof stored === 'string' && parseStored(stored, this.params) !== null;
  }

  // Created on first need, once per hasher, so startup stays fast and concurrent first
  // callers share one computation. A failure is not cached, so the next call retries.
  private dummyHash(): Promise<string> {
    this.dummy ??= argon2.hash(randomBytes(32), this.params).catch((err: unknown) => {
      this.dummy = undefined;
      throw err;
    });
    return this.dummy;
  }
}

// Refuse settings that would make hashes we would later reject as out of bounds.
function assertArgon2Params(p: Argon2Params): void {
  const ok =
    isIntIn(p.parallelism, 1, MAX_ARGON2_LANES) &&
    isIntIn(p.timeCost, 1, MAX_ARGON2_TIME) &&
    isIntIn(p.memoryCost, 8 * p.parallelism, MAX_ARGON2_MEMORY_KIB);
  if (!ok) throw new RangeError('Invalid argon2 parameters.');
}

function isIntIn(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}

// One parser per family; each returns null for anything it does not fully accept.
function parseStored(stored: string, params: Argon2Params): ParsedHash | null {
  if (stored.length > MAX_STORED_LENGTH) return null;
  if (stored.startsWith('$argon2') || stored.startsWith('argon2$')) return parseArgon2(stored, params);
  if (stored.startsWith('$2')) return parseBcrypt(stored, false);
  if (stored.startsWith('bcrypt$')) return parseBcrypt(stored.slice('bcrypt$'.length), false);
  if (stored.startsWith('bcrypt_sha256$')) return parseBcrypt(stored.slice('bcrypt_sha256$'.length), true);
  if (stored.startsWith('pbkdf2_')) return parseDjangoPbkdf2(stored);
  if (stored.startsWith('scrypt$')) return parseDjangoScrypt(stored) ?? parseWerkzeug(stored);
  if (stored.startsWith('pbkdf2') || stored.startsWith('scrypt')) return parseWerkzeug(stored);
  return null;
}

// PHC argon2id/argon2i/argon2d, bare or wrapped the Django way (`argon2$argon2id$…`).
function parseArgon2(stored: string, params: Argon2Params): ParsedHash | null {
  const wrapped = stored.startsWith('argon2$');
  const phc = wrapped ? stored.slice('argon2'.length) : stored;
  if (!/^\$argon2(id|i|d)\$/.test(phc)) return null;
  let opts: argon2.ParsedHashOptions;
  try {
    opts = argon2.parseOptions(phc);
  } catch {
    return null;
  }
  const inBounds =
    isIntIn(opts.parallelism, 1, MAX_ARGON2_LANES) &&
    isIntIn(opts.timeCost, 1, MAX_ARGON2_TIME) &&
    isIntIn(opts.memoryCost, 8 * opts.parallelism, MAX_ARGON2_MEMORY_KIB);
  if (!inBounds) return null;
  // The Django wrapping is rewritten on next login so the table converges on one format.
  return { check: (pw) => argon2.verify(phc, pw), current: !wrapped && isCurrentArgon2(opts, params) };
}

// "Lower than configured" on any axis, including what our own hash() fixes (length, version).
function isCurrentArgon2(opts: argon2.ParsedHashOptions, params: Argon2Params): boolean {
  return (
    (opts.algorithm as number) === ARGON2ID &&
    (opts.version as number) === ARGON2_VERSION_0X13 &&
    opts.memoryCost >= params.memoryCost &&
    opts.timeCost >= params.timeCost &&
    opts.parallelism >= params.parallelism &&
    opts.outputLen >= ARGON2_OUTPUT_BYTES &&
    opts.saltLen >= ARGON2_SALT_BYTES
  );
}

// `$2a$`/`$2b$`/`$2y$` bcrypt; Django's `bcrypt_sha256` feeds bcrypt the hex SHA-256 of the
// password so long passwords are not truncated at 72 bytes.
function parseBcrypt(bcryptHash: string, sha256First: boolean): ParsedHash | null {
  const match = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(bcryptHash);
  if (!match || !isIntIn(Number(match[1]), 4, MAX_BCRYPT_COST)) return null;
  return {
    check: (pw) => bcryptCompare(sha256First ? createHash('sha256').update(pw).digest('hex') : pw.toString('utf8'), bcryptHash),
    current: false,
  };
}

// Django `pbkdf2_sha256$<iterations>$<salt>$<base64>` (and `pbkdf2_sha1`). Django compares the
// whole re-encoded string, so only canonical numbers and exact base64 can ever match.
function parseDjangoPbkdf2(stored: string): ParsedHash | null {
  const match = /^pbkdf2_(sha256|sha1)\$([1-9]\d*)\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/.exec(stored);
  if (!match) return null;
  const [, digest, iterationsText, salt, expected] = match;
  const iterations = Number(iterationsText);
  if (iterations > MAX_PBKDF2_ITERATIONS) return null;
  return {
    check: async (pw) => safeEqual((await pbkdf2Async(pw, salt, iterations, digest)).toString('base64'), expected),
    current: false,
  };
}

// Django `scrypt$<N>$<salt>$<r>$<p>$<base64 of 64 bytes>`, hashed with OpenSSL's default maxmem.
function parseDjangoScrypt(stored: string): ParsedHash | null {
  const match = /^scrypt\$([1-9]\d*)\$([^$]+)\$([1-9]\d*)\$([1-9]\d*)\$([A-Za-z0-9+/]+={0,2})$/.exec(stored);
  if (!match) return null;
  const [, nText, salt, rText, pText, expected] = match;
  const cost = scryptCost(Number(nText), Number(rText), Number(pText), OPENSSL_DEFAULT_SCRYPT_MAXMEM);
  if (!cost) return null;
  return {
    check: async (pw) => safeEqual((await scryptAsync(pw, salt, cost)).toString('base64'), expected),
    current: false,
  };
}

// Werkzeug `<method>$<salt>$<hex>`: `pbkdf2[:<hash>[:<iterations>]]` or `scrypt[:<N>:<r>:<p>]`.
function parseWerkzeug(stored: string): ParsedHash | null {
  const first = stored.indexOf('$');
  const second = stored.indexOf('$', first + 1);
  if (first < 0 || second < 0) return null;
  const [name, ...args] = stored.slice(0, first).split(':');
  const salt = stored.slice(first + 1, second);
  const expected = stored.slice(second + 1);
  if (!/^[0-9a-f]+$/.test(expected)) return null;
  if (name === 'pbkdf2') return werkzeugPbkdf2(args, salt, expected);
  if (name === 'scrypt') return werkzeugScrypt(args, salt, expected);
  return null;
}

function werkzeugPbkdf2(args: string[], salt: string, expected: string): ParsedHash | null {
  if (args.length > 2) return null;
  const digest = args[0] ?? 'sha256';
  const iterations = args.length === 2 ? parseDecimal(args[1]) : WERKZEUG_DEFAULT_PBKDF2_ITERATIONS;
  if (!PBKDF2_DIGEST_BYTES.has(digest) || !isIntIn(iterations, 1, MAX_PBKDF2_ITERATIONS)) return null;
  return {
    check: async (pw) => safeEqual((await pbkdf2Async(pw, salt, iterations, digest)).toString('hex'), expected),
    current: false,
  };
}

// Werkzeug passes maxmem = 132·N·r·p, so a hash it could not have made is refused here too.
function werkzeugScrypt(args: string[], salt: string, expected: string): ParsedHash | null {
  if (args.length !== 0 && args.length !== 3) return null;
  const [n, r, p] = args.length === 3 ? args.map(parseDecimal) : [2 ** 15, 8, 1];
  const cost = scryptCost(n, r, p, 132 * n * r * p);
  if (!cost) return null;
  return {
    check: async (pw) => safeEqual((await scryptAsync(pw, salt, cost)).toString('hex'), expected),
    current: false,
  };
}

interface ScryptCost {
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

// Python's int() reads these; NaN (rejected by every bound check) stands for "not a number".
function parseDecimal(text: string): number {
  return /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
}

// Our bounds on top of scrypt's own rule that N is a power of two above 1.
function scryptCost(N: number, r: number, p: number, maxmem: number): ScryptCost | null {
  const ok =
    isIntIn(N, 2, MAX_SCRYPT_N) &&
    (N & (N - 1)) === 0 &&
    isIntIn(r, 1, MAX_SCRYPT_R) &&
    isIntIn(p, 1, MAX_SCRYPT_P) &&
    128 * N * r * p <= MAX_SCRYPT_BYTES;
  return ok ? { N, r, p, maxmem } : null;
}

// Key length is the digest size, as in hashlib.pbkdf2_hmac; the salt is its UTF-8 text, as in both originals.
function pbkdf2Async(password: Buffer, salt: string, iterations: number, digest: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, Buffer.from(salt, 'utf8'), iterations, PBKDF2_DIGEST_BYTES.get(digest) ?? 0, digest, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

// Both Django and Werkzeug derive 64 bytes.
function scryptAsync(password: Buffer, salt: string, cost: ScryptCost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, Buffer.from(salt, 'utf8'), 64, cost, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

// Constant time in the contents; only the (public) encoded length can differ.
function safeEqual(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
