// buildApp(config) -> a ready Fastify instance and its context. Tests and `serve` both use it.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { linkBaseOf } from './core/account-mail.js';
import { type Core, type CoreInputs, type ResolvedConfig, createCore } from './core/core.js';
import { configureImageDecoding } from './core/media.js';
import { SecretKeys } from './core/secrets.js';
import { loadV1Keys } from './core/v1-keys.js';
import { JSON_LIMIT, MULTIPART_LIMIT } from './http/body.js';
import { AccessLog, logDestination, loggerOptions } from './http/logging.js';
import { type Surface, failuresOf, sendGeneric } from './http/surface.js';
import { type Failures, answerFailure } from './http/route.js';
import { registerOps } from './http/ops.js';
import { isValidHost, routedPath } from './http/request.js';
import type { Kv } from './kv/kv.js';
import { MemoryKv } from './kv/memory.js';
import { RedisKv } from './kv/redis.js';
import { RedisSessions } from './core/redis-sessions.js';
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
  /** Seams of the events core for tests: DNS answers and the worker's and publisher's pacing. */
  events?: CoreInputs['events'];
}

export interface BuiltApp {
  app: FastifyInstance;
  /** What surfaces see. */
  ctx: AppContext;
  /** Every core service, stores included: for the command line and tests. */
  core: Core;
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
  const requestPath = { timeoutMs: DEPENDENCY_TIMEOUT_MS, onConnectionError: connectionLogger(log, 'database'), changeFeed: true };
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
  const store = openStore(config.databaseUrl, requestPath);
  await store.start();
  return store;
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
    // During a drain, a request that arrives on a connection already in use is served (Fastify
    // adds `Connection: close`, so the client's next request goes elsewhere) instead of getting
    // Fastify's own 503 body, which is no surface's shape and carries no Retry-After. The
    // database and Redis stay open until the last connection has ended.
    return503OnClosing: false,
    forceCloseConnections: options.forceCloseConnections ? true : 'idle',
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 1000 },
    // Errors Fastify raises before routing (a malformed URL): a plain JSON 400, never HTML.
    frameworkErrors: (_err, request, reply: any) => {
      reply.header('X-Content-Type-Options', 'nosniff');
      const s = surfaceFor(mounted, request.url);
      sendGeneric(reply, s ? failuresOf(s, request).badRequest : GENERIC_FAILURES.badRequest);
    },
  });

  const accessLog = new AccessLog(logStream, ['info', 'debug', 'trace'].includes(config.logLevel));
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
  const listening = () => {
    const a = app.server.address();
    return a && typeof a === 'object' ? { address: a.address, port: a.port } : null;
  };
  const core = createCore({
    config,
    store,
    kv,
    log: app.log,
    v1Keys,
    linkBase: linkBaseOf(config.publicUrl, config.host, listening, config.port),
    // Sessions follow the shared store: Redis when configured (v1.md §0.4), else the database.
    sessions: kv instanceof RedisKv ? new RedisSessions(kv.redis, kv.prefix) : undefined,
    processMetrics: options.processMetrics,
    events: options.events,
    deliveryThreadTimeoutMs: DEPENDENCY_TIMEOUT_MS,
  });
  const ctx: AppContext = core;
  if (kv.kind === 'memory') await core.revocation.loadDenylist();

  const closeResources = async () => {
    await core.events.stop();
    await core.mailer.close();
    await kv!.close();
    await store.close();
    try {
      accessLog.flush();
      logStream.flushSync();
    } catch {
      // stdout gone (closed pipe): nothing left to save the lines to
    }
  };
  app.addHook('onClose', closeResources);

  // Cookies are parsed by the requests that read them (http/request.ts cookiesOf).
  await app.register(cookie, { hook: false });
  configureBodies(app);
  await registerDocs(app);

  try {
    const surfaces = await loadSurfaces(config.surfaces);
    mounted.push(...surfaces);
    installDispatch(app, ctx, surfaces, accessLog);
    registerOps(app, ctx);
    for (const s of surfaces) await s.register(app, ctx);
    await app.ready();
    core.events.start();
  } catch (err) {
    // A surface refusing its settings (e.g. a bad ACCOUNT_PICTURES_FILE) must not leave the
    // database or Redis open behind the error.
    await closeResources().catch(() => {});
    throw err;
  }
  return { app, ctx, core };
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

/** One entry per surface (and the operations endpoints), in the order the docs list them. */
const DOC_TAGS = [
  { name: 'v1', description: 'Seed 000 and the self-service additions: `/v1/user/`. Errors are bare JSON strings.' },
  { name: 'api-user', description: 'Seed 001: `/api/user/`, JWT pair under the `JWT` scheme, DRF-shaped errors.' },
  { name: 'account', description: 'Seed 002: `/account/`, one persistent key per user under the `Token` scheme.' },
  { name: 'users', description: 'Seed 003: `/users/`, a Django session cookie with CSRF.' },
  { name: 'user-account', description: 'Seed 004: `/user_account/`, a JWT in a header or cookie with double-submit CSRF.' },
  { name: 'admin', description: 'The staff JSON API under `/admin/api/`: v1 credentials of an active staff user.' },
  { name: 'operations', description: 'Health, readiness and metrics.' },
];

/** Every credential a surface takes, named in each operation's `security`. */
const SECURITY_SCHEMES = {
  knoxToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'v1 knox token: `Authorization: Token <64 hex>` (from `POST /v1/user/login-knox/`)' },
  v1Bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'v1 access JWT: `Authorization: Bearer <jwt>` (from `POST /v1/user/login-jwt/`)' },
  apiUserJwt: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'api-user access JWT: `Authorization: JWT <jwt>` (from `POST /api/user/login`)' },
  accountToken: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'account key: `Authorization: Token <40 hex>` (from `POST /account/login`)' },
  sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sessionid', description: 'The shared browser session (users and the admin UI); unsafe methods also need the `X-CSRFToken` header' },
  userAccountBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'user-account access JWT in the header (from `POST /user_account/login`)' },
  userAccountCookie: { type: 'apiKey', in: 'cookie', name: 'access_token_cookie', description: 'user-account access JWT in its cookie; unsafe methods also need `X-CSRF-TOKEN`' },
} as const;

async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Gatehouse',
        version: '0.1.0',
        description: 'User accounts and authentication: five legacy APIs over one core. Each tag is one surface with its own conventions; see docs/api/ in the repository.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/' }],
      tags: DOC_TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

function surfaceFor(surfaces: Surface[], url: string): Surface | null {
  const pathOnly = routedPath(url);
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

/** Outside every surface: the answers of the operations endpoints and unknown paths. */
const GENERIC_FAILURES: Failures = {
  tooLarge: { status: 413, body: { detail: 'Request body too large.' } },
  badRequest: { status: 400, body: { detail: 'Bad request.' } },
  internal: { status: 500, body: { detail: 'Internal server error.' } },
  unavailable: { status: 503, body: { detail: 'Service temporarily unavailable.' }, headers: { 'Retry-After': '5' } },
};

/**
 * Prefix-based dispatch of the things that happen outside a route's handler. The hooks every
 * request runs are written with `done` rather than as async functions: an async hook costs each
 * request a promise and a turn of the microtask queue even when it waits for nothing.
 */
function installDispatch(app: FastifyInstance, ctx: AppContext, surfaces: Surface[], accessLog: AccessLog): void {
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    const s = surfaceFor(surfaces, request.url);
    // A malformed Host is a malformed request (v1.md §0.11): 400 before any check or view runs,
    // so nothing is spent and no URL is ever built from it. (Answered without calling `done`.)
    if (!isValidHost(request.host)) return void sendGeneric(reply, s ? failuresOf(s, request).badRequest : GENERIC_FAILURES.badRequest);
    if (!s?.beforeRouting) return done();
    s.beforeRouting(request, reply)
      .then((early) => (early ? void sendGeneric(reply, early) : done()))
      .catch(done);
  });

  // Every original backend (DRF, Django, Flask) sent JSON as plain `application/json`, as the
  // seed documents show; Fastify appends a charset, which is taken off again here.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (reply.getHeader('content-type') === 'application/json; charset=utf-8') reply.header('content-type', 'application/json');
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const ms = reply.elapsedTime;
    ctx.metrics.recordRequest(request.method, route, reply.statusCode, ms / 1000);
    accessLog.record(request.id, request.method, route, reply.statusCode, Math.round(ms * 10) / 10);
    done();
  });

  app.setNotFoundHandler(async (request, reply) => {
    const s = surfaceFor(surfaces, request.url);
    if (s) return sendGeneric(reply, await s.notFound(request, reply, app, ctx));
    return sendGeneric(reply, { status: 404, body: { detail: 'Not found.' } });
  });

  // Routes answer their own failures (http/route.ts); this catches the rest: unknown paths whose
  // 404 failed, and the operations endpoints.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const s = surfaceFor(surfaces, request.url);
    const failures = s ? failuresOf(s, request) : GENERIC_FAILURES;
    return sendGeneric(reply, answerFailure(failures, err, request.log));
  });
}
