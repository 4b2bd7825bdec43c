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
  // mfa.md §6
  readonly mfaIssuer: string;
  readonly adminRequireMfa: boolean;
  // passkeys.md §5: null / empty mean "derive from PUBLIC_URL, else from the request"
  readonly webauthnRpId: string | null;
  readonly webauthnOrigins: readonly string[];
  readonly webauthnRpName: string;
  // social.md §5
  readonly oidcProviders: readonly OidcProviderConfig[];
  /** Where OAuth callbacks may send the browser; null = the origin of PUBLIC_URL (or of the listening address). */
  readonly oauthRedirectOrigins: readonly string[] | null;
  readonly oidcAllowHttp: boolean;
  // events.md §6
  readonly webhookAllowHttp: boolean;
  readonly webhookAllowPrivate: boolean;
  readonly eventRetentionDays: number;
  readonly amqpUrl: string | null;
  readonly amqpExchange: string;
  readonly amqpLegacyQueue: string | null;
}

/** One OpenID Connect provider (social.md §1), in OIDC_PROVIDERS order. */
export interface OidcProviderConfig {
  readonly id: string;
  readonly issuer: string;
  readonly clientId: string;
  /** null: a public client, PKCE alone. */
  readonly clientSecret: string | null;
  readonly name: string;
  readonly scopes: string;
}


export class ConfigError extends Error {
  constructor(readonly setting: string, problem: string) {
    super(`${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * Every setting loadConfig reads, by its public name. `read` accepts only these names, so a new
 * setting cannot be read without being listed here, and test/cli/settings-docs.test.ts then fails
 * until it is documented in the README's settings table and in .env.example. Nothing else in
 * src/ reads process.env.
 */
export const SETTINGS = [
  'PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'REDIS_URL', 'SECRET_KEY', 'NODE_ENV', 'PUBLIC_URL',
  'SMTP_URL', 'MAIL_FROM', 'TRUST_PROXY', 'THROTTLE_ANON_RATE', 'THROTTLE_USER_RATE',
  'LOCKOUT_FAILURES', 'LOCKOUT_MINUTES', 'SURFACES', 'LOG_LEVEL',
  'ARGON2_MEMORY_KIB', 'ARGON2_ITERATIONS', 'ARGON2_PARALLELISM',
  'V1_KNOX_TOKEN_LIMIT', 'V1_JWT_ALGORITHM', 'V1_ACCESS_TTL', 'V1_REFRESH_TTL', 'V1_REFRESH_GRACE_SECONDS',
  'V1_PASSWORD_RESET_URL', 'TRUSTED_ORIGINS', 'ACCOUNT_PICTURES_FILE', 'ACCOUNT_DEFAULT_PICTURE',
  'MFA_ISSUER', 'ADMIN_REQUIRE_MFA', 'WEBAUTHN_RP_ID', 'WEBAUTHN_ORIGINS', 'WEBAUTHN_RP_NAME',
  'OIDC_PROVIDERS', 'OAUTH_REDIRECT_ORIGINS', 'OIDC_ALLOW_HTTP',
  'REDIS_PREFIX', 'IMAGE_DECODE_CONCURRENCY',
  'WEBHOOK_ALLOW_HTTP', 'WEBHOOK_ALLOW_PRIVATE', 'EVENT_RETENTION_DAYS', 'AMQP_URL', 'AMQP_EXCHANGE', 'AMQP_LEGACY_QUEUE',
] as const;

/** The settings of one OpenID Connect provider, named after its id (social.md §1). */
export const OIDC_PROVIDER_SETTINGS = ['ISSUER', 'CLIENT_ID', 'CLIENT_SECRET', 'NAME', 'SCOPES'] as const;
export type OidcProviderSettingName = `OIDC_${string}_${(typeof OIDC_PROVIDER_SETTINGS)[number]}`;
export type SettingName = (typeof SETTINGS)[number];

type Env = Record<string, string | undefined>;

function read(env: Env, name: SettingName | OidcProviderSettingName): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function integer(env: Env, name: SettingName, dflt: number, min: number, max: number): number {
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

function boolean(env: Env, name: SettingName, dflt: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return dflt;
  const v = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

/**
 * The issuer authenticator apps show (mfa.md §6). Apps split `issuer:label` on the first colon,
 * so the issuer may not hold one; control characters would corrupt the otpauth URL and the QR.
 */
function parseMfaIssuer(raw: string | undefined): string {
  if (raw === undefined) return 'Gatehouse';
  if (raw.includes(':')) throw new ConfigError('MFA_ISSUER', 'must not contain a colon');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new ConfigError('MFA_ISSUER', 'must not contain control characters');
  if ([...raw].length > 100) throw new ConfigError('MFA_ISSUER', 'must be at most 100 characters long');
  return raw;
}

/** An AMQP exchange or queue name as RabbitMQ accepts it (letters, digits, - _ . :). */
function amqpName(name: SettingName, raw: string): string {
  if (!/^[A-Za-z0-9_.:-]{1,255}$/.test(raw) || raw.startsWith('amq.')) {
    throw new ConfigError(name, `expected up to 255 letters, digits, '-', '_', '.' or ':' (not starting with amq.), got "${raw}"`);
  }
  return raw;
}

function parseOrigins(raw: string | undefined, name: SettingName = 'TRUSTED_ORIGINS'): string[] {
  if (raw === undefined) return [];
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((o) => {
    const u = url(name, o, ['http:', 'https:']);
    if (u.pathname !== '/' || u.search || u.hash || o.endsWith('/') || u.username || u.password) {
      throw new ConfigError(name, `an origin has only a scheme, host and port, got "${o}"`);
    }
    return u.origin;
  });
}

// A WebAuthn RP ID is a domain (browsers refuse IP addresses), given without scheme or port.
const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function parseRpId(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const id = raw.toLowerCase();
  if (!DOMAIN.test(id) || isIP(id) !== 0) {
    throw new ConfigError('WEBAUTHN_RP_ID', `expected a domain name such as example.com (no scheme, port or IP address), got "${raw}"`);
  }
  return id;
}

const OIDC_PROVIDER_ID = /^[a-z0-9-]{1,32}$/;

/** OIDC_PROVIDERS and each provider's OIDC_<ID>_* settings (social.md §1, §5). */
function parseOidcProviders(env: Env, allowHttp: boolean): OidcProviderConfig[] {
  const list = read(env, 'OIDC_PROVIDERS');
  if (list === undefined) return [];
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  const seen = new Set<string>();
  return ids.map((id) => {
    if (!OIDC_PROVIDER_ID.test(id)) throw new ConfigError('OIDC_PROVIDERS', `a provider id is 1 to 32 of a-z, 0-9 and -, got "${id}"`);
    if (seen.has(id)) throw new ConfigError('OIDC_PROVIDERS', `provider "${id}" is listed twice`);
    seen.add(id);
    const upper = id.toUpperCase().replaceAll('-', '_');
    const setting = (key: (typeof OIDC_PROVIDER_SETTINGS)[number]): OidcProviderSettingName => `OIDC_${upper}_${key}`;
    const required = (key: (typeof OIDC_PROVIDER_SETTINGS)[number]): string => {
      const v = read(env, setting(key));
      if (v === undefined) throw new ConfigError(setting(key), `required for the provider "${id}" listed in OIDC_PROVIDERS`);
      return v;
    };
    const issuerName = setting('ISSUER');
    const issuerRaw = required('ISSUER');
    const issuer = url(issuerName, issuerRaw, ['https:', 'http:']);
    if (issuer.protocol === 'http:' && !allowHttp) {
      throw new ConfigError(issuerName, 'expected an https URL (http only with OIDC_ALLOW_HTTP=true, never in production)');
    }
    if (issuer.search || issuer.hash || issuer.username || issuer.password) {
      throw new ConfigError(issuerName, 'an issuer has no query, fragment or credentials');
    }
    const clientId = required('CLIENT_ID');
    const scopes = (read(env, setting('SCOPES')) ?? 'openid email profile').split(/\s+/).filter(Boolean);
    if (!scopes.includes('openid')) throw new ConfigError(setting('SCOPES'), 'must include openid');
    return {
      id,
      // Kept as written; discovery checks it against the issuer the provider announces.
      issuer: issuerRaw,
      clientId,
      clientSecret: read(env, setting('CLIENT_SECRET')) ?? null,
      name: read(env, setting('NAME')) ?? id,
      scopes: [...new Set(scopes)].join(' '),
    };
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

  const oidcAllowHttp = boolean(env, 'OIDC_ALLOW_HTTP', false);
  if (oidcAllowHttp && mode === 'production') {
    throw new ConfigError('OIDC_ALLOW_HTTP', 'http issuers are refused when NODE_ENV=production');
  }
  const redirectOriginsRaw = read(env, 'OAUTH_REDIRECT_ORIGINS');
  const oauthRedirectOrigins = redirectOriginsRaw !== undefined
    ? parseOrigins(redirectOriginsRaw, 'OAUTH_REDIRECT_ORIGINS')
    : publicUrl !== null ? [new URL(publicUrl).origin] : null;

  const amqpRaw = read(env, 'AMQP_URL');
  if (amqpRaw !== undefined) url('AMQP_URL', amqpRaw, ['amqp:', 'amqps:']);
  const legacyQueueRaw = read(env, 'AMQP_LEGACY_QUEUE');
  if (legacyQueueRaw !== undefined && amqpRaw === undefined) throw new ConfigError('AMQP_LEGACY_QUEUE', 'needs AMQP_URL');

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
    mfaIssuer: parseMfaIssuer(read(env, 'MFA_ISSUER')),
    adminRequireMfa: boolean(env, 'ADMIN_REQUIRE_MFA', false),
    webauthnRpId: parseRpId(read(env, 'WEBAUTHN_RP_ID')),
    webauthnOrigins: parseOrigins(read(env, 'WEBAUTHN_ORIGINS'), 'WEBAUTHN_ORIGINS'),
    webauthnRpName: read(env, 'WEBAUTHN_RP_NAME') ?? 'Gatehouse',
    oidcProviders: parseOidcProviders(env, oidcAllowHttp),
    oauthRedirectOrigins,
    oidcAllowHttp,
    webhookAllowHttp: boolean(env, 'WEBHOOK_ALLOW_HTTP', false),
    webhookAllowPrivate: boolean(env, 'WEBHOOK_ALLOW_PRIVATE', false),
    eventRetentionDays: integer(env, 'EVENT_RETENTION_DAYS', 7, 1, 3650),
    amqpUrl: amqpRaw ?? null,
    amqpExchange: amqpName('AMQP_EXCHANGE', read(env, 'AMQP_EXCHANGE') ?? 'gatehouse.events'),
    amqpLegacyQueue: legacyQueueRaw === undefined ? null : amqpName('AMQP_LEGACY_QUEUE', legacyQueueRaw),
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
