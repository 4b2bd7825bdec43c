// Every setting of the operating contract, read once from the environment into one typed,
// frozen object. A bad value stops the start with one line naming the setting (ConfigError).
import os from 'node:os';
import path from 'node:path';
import { isIP } from 'node:net';

export const ALL_SURFACES = ['v1', 'api-user', 'account', 'users', 'user-account', 'admin'] as const;
export type SurfaceName = (typeof ALL_SURFACES)[number];

/** A DRF-style rate (`10/min`); null means the bucket is off. */
export interface Rate { limit: number; periodMs: number }

export interface Config {
  readonly env: 'production' | 'development' | 'test';
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string; // `sqlite:<file>` or `postgres://…`
  readonly redisUrl: string | null;
  /** Prefix of every Redis key, so deployments can share one Redis. */
  readonly redisPrefix: string;
  /** null until resolved by `resolveSecretKey` (generated and kept in DATA_DIR outside production). */
  readonly secretKey: string | null;
  readonly publicUrl: string | null; // without trailing slash
  readonly smtpUrl: string | null;
  readonly mailFrom: string;
  readonly trustProxy: readonly string[]; // addresses and CIDR ranges; empty = off
  readonly throttleAnon: Rate | null;
  readonly throttleUser: Rate | null;
  readonly lockoutFailures: number; // 0 = off
  readonly lockoutMinutes: number;
  readonly surfaces: readonly SurfaceName[];
  readonly logLevel: string;
  readonly argon2: { memoryCost: number; timeCost: number; parallelism: number };
  /** Images decoded at once (each 40-megapixel decode holds over 100 MiB). */
  readonly imageDecodeConcurrency: number;
  // v1.md §6
  readonly v1KnoxTokenLimit: number;
  readonly v1JwtAlgorithm: 'HS256' | 'EdDSA' | 'RS256';
  readonly v1AccessTtlSec: number;
  readonly v1RefreshTtlSec: number;
  readonly v1RefreshGraceSec: number;
  readonly v1PasswordResetUrl: string | null; // template with {token}; null = default under PUBLIC_URL/request origin
  // users.md §3
  readonly trustedOrigins: readonly string[];
  // account.md §2.6
  readonly accountPicturesFile: string | null;
  readonly accountDefaultPicture: string;
}

export class ConfigError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function integer(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `expected an integer from ${min} to ${max}, got ${n}`);
  return n;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `<number><s|m|h|d>` → seconds (v1.md §6). */
export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+)([smhd])$/.exec(raw);
  if (!m) throw new ConfigError(name, `expected a duration like 36h, 1d, 90s, got "${raw}"`);
  const secs = Number(m[1]) * DURATION_UNITS[m[2]];
  if (secs <= 0) throw new ConfigError(name, 'must be longer than zero');
  return secs;
}

const RATE_UNITS: Record<string, number> = {
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

/** DRF rates: `10/min`, `100/hour`, `5/s`, or `off`. DRF reads only the unit's first letter. */
export function parseRate(name: string, raw: string): Rate | null {
  if (raw.toLowerCase() === 'off') return null;
  const m = /^(\d+)\/([a-z]+)$/i.exec(raw);
  const unit = m ? RATE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ConfigError(name, `expected a rate like 10/min, 100/hour or off, got "${raw}"`);
  const limit = Number(m[1]);
  if (limit < 1) throw new ConfigError(name, 'the number of requests must be at least 1 (use off to disable)');
  return { limit, periodMs: unit };
}

function url(name: string, raw: string, schemes: string[]): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a valid URL: "${redactUrl(raw)}"`);
  }
  if (!schemes.includes(u.protocol)) {
    throw new ConfigError(name, `expected a ${schemes.map((s) => s.replace(':', '')).join(' or ')} URL`);
  }
  return u;
}

/** For messages and logs: never show a password embedded in a URL. */
export function redactUrl(raw: string): string {
  return raw.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}

function parseTrustProxy(raw: string | undefined): string[] {
  if (raw === undefined || ['off', 'false', '0', 'no'].includes(raw.toLowerCase())) return [];
  const entries = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const e of entries) {
    const [addr, bits, extra] = e.split('/');
    const family = isIP(addr);
    const maxBits = family === 6 ? 128 : 32;
    const badBits = bits !== undefined && (!/^\d+$/.test(bits) || Number(bits) > maxBits);
    if (family === 0 || badBits || extra !== undefined) {
      throw new ConfigError('TRUST_PROXY', `expected a comma list of IP addresses or CIDR ranges, got "${e}"`);
    }
  }
  return entries;
}

function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((o) => {
    const u = url('TRUSTED_ORIGINS', o, ['http:', 'https:']);
    if (u.pathname !== '/' || u.search || u.hash || o.endsWith('/')) {
      throw new ConfigError('TRUSTED_ORIGINS', `an origin has only a scheme, host and port, got "${o}"`);
    }
    return u.origin;
  });
}

function parseSurfaces(raw: string | undefined): SurfaceName[] {
  if (raw === undefined || raw.toLowerCase() === 'all') return [...ALL_SURFACES];
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(ALL_SURFACES as readonly string[]).includes(n)) {
      throw new ConfigError('SURFACES', `unknown surface "${n}" (known: ${ALL_SURFACES.join(', ')})`);
    }
  }
  return [...new Set(names)] as SurfaceName[];
}

function parseDatabaseUrl(raw: string | undefined, dataDir: string): string {
  if (raw === undefined) return `sqlite:${path.join(dataDir, 'gatehouse.sqlite3')}`;
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (file === '') throw new ConfigError('DATABASE_URL', 'sqlite: needs a file name, e.g. sqlite:./data/gatehouse.sqlite3');
    return `sqlite:${file === ':memory:' ? file : path.resolve(file)}`;
  }
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) {
    url('DATABASE_URL', raw, ['postgres:', 'postgresql:']);
    return raw;
  }
  throw new ConfigError('DATABASE_URL', 'expected sqlite:<file> or postgres://…');
}

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = read(env, 'NODE_ENV');
  const mode = nodeEnv === 'production' ? 'production' : nodeEnv === 'test' ? 'test' : 'development';
  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? './data');

  const secretKey = read(env, 'SECRET_KEY') ?? null;
  if (secretKey === null && mode === 'production') {
    throw new ConfigError('SECRET_KEY', 'must be set when NODE_ENV=production');
  }
  if (secretKey !== null && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY', 'must be at least 32 characters long');
  }

  const publicUrlRaw = read(env, 'PUBLIC_URL');
  let publicUrl: string | null = null;
  // v1.md §0.11: behind a proxy the listening address is not what users reach, and links in
  // mail must never come from the request, so production names its public address.
  if (publicUrlRaw === undefined && mode === 'production') {
    throw new ConfigError('PUBLIC_URL', 'must be set when NODE_ENV=production');
  }
  if (publicUrlRaw !== undefined) {
    const u = url('PUBLIC_URL', publicUrlRaw, ['http:', 'https:']);
    if (u.search || u.hash) throw new ConfigError('PUBLIC_URL', 'must not have a query or fragment');
    publicUrl = publicUrlRaw.replace(/\/+$/, '');
  }

  const smtpRaw = read(env, 'SMTP_URL');
  if (smtpRaw !== undefined) url('SMTP_URL', smtpRaw, ['smtp:', 'smtps:']);
  const redisRaw = read(env, 'REDIS_URL');
  if (redisRaw !== undefined) url('REDIS_URL', redisRaw, ['redis:', 'rediss:']);
  const redisPrefix = read(env, 'REDIS_PREFIX') ?? 'gatehouse:';
  if (redisPrefix.length > 100 || /[\s\p{Cc}]/u.test(redisPrefix)) {
    throw new ConfigError('REDIS_PREFIX', 'expected at most 100 characters without spaces or control characters');
  }

  const algorithm = read(env, 'V1_JWT_ALGORITHM') ?? 'HS256';
  if (!['HS256', 'EdDSA', 'RS256'].includes(algorithm)) {
    throw new ConfigError('V1_JWT_ALGORITHM', `expected HS256, EdDSA or RS256, got "${algorithm}"`);
  }
  const resetUrl = read(env, 'V1_PASSWORD_RESET_URL') ?? null;
  if (resetUrl !== null && !resetUrl.includes('{token}')) {
    throw new ConfigError('V1_PASSWORD_RESET_URL', 'must contain {token}');
  }

  const host = read(env, 'HOST') ?? '127.0.0.1';
  if (isIP(host) === 0 && !/^[a-z0-9.-]+$/i.test(host)) throw new ConfigError('HOST', `not an address or host name: "${host}"`);

  const config: Config = {
    env: mode,
    port: integer(env, 'PORT', 8000, 0, 65535),
    host,
    dataDir,
    databaseUrl: parseDatabaseUrl(read(env, 'DATABASE_URL'), dataDir),
    redisUrl: redisRaw ?? null,
    redisPrefix,
    secretKey,
    publicUrl,
    smtpUrl: smtpRaw ?? null,
    mailFrom: read(env, 'MAIL_FROM') ?? 'Gatehouse <no-reply@localhost>',
    trustProxy: parseTrustProxy(read(env, 'TRUST_PROXY')),
    throttleAnon: parseRate('THROTTLE_ANON_RATE', read(env, 'THROTTLE_ANON_RATE') ?? '10/min'),
    throttleUser: parseRate('THROTTLE_USER_RATE', read(env, 'THROTTLE_USER_RATE') ?? '20/min'),
    lockoutFailures: integer(env, 'LOCKOUT_FAILURES', 5, 0, 1000),
    lockoutMinutes: integer(env, 'LOCKOUT_MINUTES', 15, 1, 525_600),
    surfaces: parseSurfaces(read(env, 'SURFACES')),
    logLevel: read(env, 'LOG_LEVEL') ?? (mode === 'test' ? 'silent' : 'info'),
    argon2: {
      memoryCost: integer(env, 'ARGON2_MEMORY_KIB', 19456, 19456, 4_194_304),
      timeCost: integer(env, 'ARGON2_ITERATIONS', 2, 2, 100),
      parallelism: integer(env, 'ARGON2_PARALLELISM', 1, 1, 16),
    },
    imageDecodeConcurrency: integer(env, 'IMAGE_DECODE_CONCURRENCY', os.availableParallelism(), 1, 256),
    v1KnoxTokenLimit: integer(env, 'V1_KNOX_TOKEN_LIMIT', 3, 0, 100_000),
    v1JwtAlgorithm: algorithm as Config['v1JwtAlgorithm'],
    v1AccessTtlSec: parseDuration('V1_ACCESS_TTL', read(env, 'V1_ACCESS_TTL') ?? '36h'),
    v1RefreshTtlSec: parseDuration('V1_REFRESH_TTL', read(env, 'V1_REFRESH_TTL') ?? '1d'),
    v1RefreshGraceSec: integer(env, 'V1_REFRESH_GRACE_SECONDS', 10, 0, 3600),
    v1PasswordResetUrl: resetUrl,
    trustedOrigins: parseOrigins(read(env, 'TRUSTED_ORIGINS')),
    accountPicturesFile: read(env, 'ACCOUNT_PICTURES_FILE') ?? null,
    accountDefaultPicture:
      read(env, 'ACCOUNT_DEFAULT_PICTURE') ?? 'https://davidnelsoncollins.com/wp-content/uploads/2018/11/profiles-empty1.png',
  };
  const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  if (!logLevels.includes(config.logLevel)) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${logLevels.join(', ')}`);
  }
  return Object.freeze(config);
}

/** A copy with overrides, for tests and the command line. */
export function withConfig(base: Config, overrides: Partial<Config>): Config {
  return Object.freeze({ ...base, ...overrides });
}
