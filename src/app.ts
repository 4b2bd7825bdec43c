// buildApp(config) -> a ready Fastify instance and its context. Tests and `serve` both use it.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.js';
import { serviceUnavailableIn } from './core/errors.js';
import type { AppContext, ResolvedConfig } from './context.js';
import { Accounts } from './core/accounts.js';
import { Audit } from './core/audit.js';
import { BrowserSessions } from './core/browser-sessions.js';
import { EmailTokens } from './core/email-tokens.js';
import { AccountMail } from './core/account-mail.js';
import { KnoxTokens } from './core/knox.js';
import { Profiles } from './core/profiles.js';
import { loadV1Keys, type V1Keys } from './core/v1-keys.js';
import { V1Credentials } from './http/v1-credentials.js';
import { Lockout } from './core/lockout.js';
import { Login } from './core/login.js';
import { Mailer } from './core/mail.js';
import { MediaStore, configureImageDecoding } from './core/media.js';
import { Metrics } from './core/metrics.js';
import { PasswordHasher } from './core/passwords.js';
import { Revocation } from './core/revocation.js';
import { SecretKeys } from './core/secrets.js';
import { Throttle } from './core/throttle.js';
import { JSON_LIMIT, MULTIPART_LIMIT } from './http/body.js';
import { logDestination, loggerOptions } from './http/logging.js';
import { type GenericReply, type Surface, sendGeneric } from './http/surface.js';
import { registerOps } from './http/ops.js';
import { unavailableReply } from './http/unavailable.js';
import type { Kv } from './kv/kv.js';
import { MemoryKv } from './kv/memory.js';
import { RedisKv } from './kv/redis.js';
import { RedisSessions } from './kv/redis-sessions.js';
import { migrateToLatest } from './store/migrations.js';
import { type Store, openStore } from './store/db.js';
import { loadSurfaces } from './surfaces/index.js';

export interface BuildOptions {
  /** Key prefix in Redis, so test apps sharing one Redis never see each other's counters. */
  kvPrefix?: string;
  /** Process metrics (event loop, memory) are registered once per process in tests. */
  processMetrics?: boolean;
  /**
   * Close every connection at once on close (tests). In production idle keep-alive sockets are
   * closed and in-flight requests drain.
   */
  forceCloseConnections?: boolean;
}

export interface BuiltApp {
  app: FastifyInstance;
  ctx: AppContext;
}

/** SECRET_KEY, or one generated once and kept in DATA_DIR (never in production: config.ts refuses). */
export function resolveSecretKey(config: Config): ResolvedConfig {
  if (config.secretKey) return config as ResolvedConfig;
  fs.mkdirSync(config.dataDir, { recursive: true });
  const file = path.join(config.dataDir, 'secret_key');
  let key: string;
  try {
    key = fs.readFileSync(file, 'utf8').trim();
  } catch {
    key = randomBytes(48).toString('base64url');
    // wx: two instances starting at once must not write two different keys.
    try {
      fs.writeFileSync(file, key + '\n', { mode: 0o600, flag: 'wx' });
    } catch {
      key = fs.readFileSync(file, 'utf8').trim();
    }
  }
  return Object.freeze({ ...config, secretKey: key }) as ResolvedConfig;
}

/** How long the database or Redis may take to answer a request's query (v1.md §0.13). */
const DEPENDENCY_TIMEOUT_MS = 2000;

/** Connection failures: logged (by message), and answered 503 by the request that meets them. */
function connectionLogger(log: FastifyBaseLogger, service: 'database' | 'redis') {
  return (err: Error) => log.warn({ service, reason: err.message }, 'connection failed; reconnecting');
}

/**
 * Migrations may run long (a column added to a million rows), so they run on a connection of
 * their own without the request deadline; requests then get a store that has one.
 */
async function openMigratedStore(config: Config, log: FastifyBaseLogger): Promise<Store> {
  const requestPath = { timeoutMs: DEPENDENCY_TIMEOUT_MS, onConnectionError: connectionLogger(log, 'database') };
  if (config.databaseUrl === 'sqlite::memory:') {
    // Another connection would be another database.
    const store = openStore(config.databaseUrl, requestPath);
    await migrateToLatest(store.db, store.dialect).catch(async (err) => {
      await store.close();
      throw err;
    });
    return store;
  }
  const migrating = openStore(config.databaseUrl, { applicationName: 'gatehouse-migrate' });
  try {
    await migrateToLatest(migrating.db, migrating.dialect);
  } finally {
    await migrating.close();
  }
  return openStore(config.databaseUrl, requestPath);
}

async function openKv(config: Config, prefix: string, log: FastifyBaseLogger): Promise<Kv> {
  if (!config.redisUrl) return new MemoryKv();
  return RedisKv.connect(config.redisUrl, prefix, { timeoutMs: DEPENDENCY_TIMEOUT_MS, onConnectionError: connectionLogger(log, 'redis') });
}

export async function buildApp(configIn: Config, options: BuildOptions = {}): Promise<BuiltApp> {
  const config = resolveSecretKey(configIn);
  fs.mkdirSync(config.dataDir, { recursive: true });

  // Filled once the surfaces are loaded; errors raised before routing need them for their words.
  const mounted: Surface[] = [];
  const logStream = logDestination();
  const app = Fastify({
    logger: loggerOptions(config.logLevel, logStream),
    // One line per request is logged by the onResponse hook below, by route template only.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustProxy.length ? [...config.trustProxy] : false,
    bodyLimit: MULTIPART_LIMIT,
    return503OnClosing: true,
    forceCloseConnections: options.forceCloseConnections ? true : 'idle',
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 1000 },
    // Errors Fastify raises before routing (a malformed URL): a plain JSON 400, never HTML.
    frameworkErrors: (_err, request, reply: any) => {
      reply.header('X-Content-Type-Options', 'nosniff');
      sendGeneric(reply, badRequest(surfaceFor(mounted, request.url), request));
    },
  });

  const store = await openMigratedStore(config, app.log);
  let kv: Kv | null = null;
  try {
    kv = await openKv(config, options.kvPrefix ?? config.redisPrefix, app.log);
  } catch (err) {
    await store.close();
    throw err;
  }
  configureImageDecoding(config.imageDecodeConcurrency);
  const v1Keys = await loadV1Keys(config.v1JwtAlgorithm, config.dataDir, new SecretKeys(config.secretKey), {
    maxTokenLifetimeSec: Math.max(config.v1AccessTtlSec, config.v1RefreshTtlSec),
  });
  const ctx = createContext(app, config, store, kv, v1Keys, options);
  if (kv.kind === 'memory') await ctx.revocation.loadDenylist();

  const closeResources = async () => {
    await ctx.mailer.close();
    await kv!.close();
    await store.close();
    try {
      logStream.flushSync();
    } catch {
      // stdout gone (closed pipe): nothing left to save the lines to
    }
  };
  app.addHook('onClose', closeResources);

  await app.register(cookie);
  configureBodies(app);
  await registerDocs(app);

  try {
    const surfaces = await loadSurfaces(config.surfaces);
    mounted.push(...surfaces);
    installDispatch(app, ctx, surfaces);
    registerOps(app, ctx);
    for (const s of surfaces) await s.register(app, ctx);
    await app.ready();
  } catch (err) {
    // A surface refusing its settings (e.g. a bad ACCOUNT_PICTURES_FILE) must not leave the
    // database or Redis open behind the error.
    await closeResources().catch(() => {});
    throw err;
  }
  return { app, ctx };
}

function createContext(app: FastifyInstance, config: ResolvedConfig, store: ReturnType<typeof openStore>, kv: Kv, v1Keys: V1Keys, options: BuildOptions): AppContext {
  const db = store.db;
  const log = app.log;
  const metrics = new Metrics(options.processMetrics ?? true);
  const passwords = new PasswordHasher(config.argon2);
  const accounts = new Accounts(db, passwords, store.changeEpoch);
  const lockout = new Lockout(db, { failures: config.lockoutFailures, minutes: config.lockoutMinutes });
  const audit = new Audit(db);
  // Sessions follow the shared store: Redis when configured (v1.md §0.4), else the database.
  const sessions = kv instanceof RedisKv ? new RedisSessions(kv.redis, kv.prefix) : new BrowserSessions(db);
  const media = new MediaStore(path.join(config.dataDir, 'media'));
  const revocation = new Revocation({ db, kv, sessions, metrics, removeMedia: (n) => media.removeUserDir(n) });
  const login = new Login({ db, accounts, passwords, lockout, audit, metrics, onBackgroundError: (err) => log.error({ err }, 'background task failed') });
  const mailer = new Mailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: path.join(config.dataDir, 'outbox') }, log);
  const secrets = new SecretKeys(config.secretKey);
  const emailTokens = new EmailTokens(db, secrets);
  const knox = new KnoxTokens(db, metrics, () => config.v1KnoxTokenLimit, store.changeEpoch);
  return {
    config, store, db, dialect: store.dialect, kv, log, metrics, secrets, passwords, accounts, lockout, login,
    throttle: new Throttle(kv), audit, sessions, revocation, mailer, media, emailTokens,
    accountMail: new AccountMail({ config, kv, emailTokens, mailer, metrics }),
    profiles: new Profiles(db),
    knox,
    v1Keys,
    v1Auth: new V1Credentials(db, kv, accounts, knox, v1Keys),
  };
}

/**
 * Fastify only buffers bodies (1 MiB, multipart 16 MiB); surfaces parse them themselves after
 * authentication and the method check, as their specs order it (http/body.ts).
 */
function configureBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: MULTIPART_LIMIT }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: JSON_LIMIT }, (_req, body, done) => done(null, body));
  // Route schemas document the API (OpenAPI); surfaces validate by their own rules and words.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Gatehouse', version: '0.1.0', description: 'User accounts and authentication: five legacy APIs over one core.' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

function surfaceFor(surfaces: Surface[], url: string): Surface | null {
  const pathOnly = url.split('?')[0];
  let best: Surface | null = null;
  let bestLen = -1;
  for (const s of surfaces) {
    for (const p of s.prefixes) {
      if ((pathOnly.startsWith(p) || pathOnly === p.slice(0, -1)) && p.length > bestLen) {
        best = s;
        bestLen = p.length;
      }
    }
  }
  return best;
}

/**
 * Fastify's own client errors (bad URL encoding, bad Content-Length): a 400 "Bad request." in
 * the shape of the surface's 500 answer (its error key, or a bare string for v1).
 */
function badRequest(s: Surface | null, request: FastifyRequest): GenericReply {
  if (s?.badRequest) return s.badRequest(request);
  const shape = s?.internalError(request).body;
  if (typeof shape === 'string') return { status: 400, body: 'Bad request.' };
  const key = shape && typeof shape === 'object' ? (Object.keys(shape)[0] ?? 'detail') : 'detail';
  return { status: 400, body: { [key]: 'Bad request.' } };
}

/** Prefix-based dispatch of the things that happen outside a route's handler. */
function installDispatch(app: FastifyInstance, ctx: AppContext, surfaces: Surface[]): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    const s = surfaceFor(surfaces, request.url);
    if (s?.beforeRouting) {
      const early = await s.beforeRouting(request, reply);
      if (early) return sendGeneric(reply, early);
    }
  });

  // Every original backend (DRF, Django, Flask) sent JSON as plain `application/json`, as the
  // seed documents show; Fastify appends a charset, which is taken off again here.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.header('content-type', 'application/json');
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    ctx.metrics.recordRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    request.log.info({ method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
  });

  app.setNotFoundHandler((request, reply) => {
    const s = surfaceFor(surfaces, request.url);
    if (s) return sendGeneric(reply, s.notFound(request, reply, app));
    return sendGeneric(reply, { status: 404, body: { detail: 'Not found.' } });
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const s = surfaceFor(surfaces, request.url);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
      return sendGeneric(reply, s ? s.tooLarge(request) : { status: 413, body: { detail: 'Request body too large.' } });
    }
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return sendGeneric(reply, badRequest(s, request));
    // The database or Redis is down or slow (v1.md §0.13): the client may retry, nothing to debug here.
    const outage = serviceUnavailableIn(err);
    if (outage) {
      request.log.warn({ service: outage.service, reason: outage.message }, 'dependency unavailable');
      return sendGeneric(reply, unavailableReply(s ? s.internalError(request) : null));
    }
    request.log.error({ err }, 'unhandled error');
    return sendGeneric(reply, s ? s.internalError(request) : { status: 500, body: { detail: 'Internal server error.' } });
  });
}
