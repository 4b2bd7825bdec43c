// The order every route of this surface follows (users.md §1.1–§1.3): routing, then CSRF on
// unsafe methods, then the session (the login slot slides on every request that carries it),
// then 401 where a login is needed, then 405, and only then the route's own work.
//
// Most of it runs as an onRequest hook, before Fastify reads the body, so a request that is
// refused never gets up to 16 MiB buffered. The one exception is a form or multipart request
// without the X-CSRFToken header: its token may be the `csrfmiddlewaretoken` field, so its
// CSRF check waits for the body.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { AppContext } from '../../context.js';
import { type ParsedBody, mediaType, parseForm, parseMultipart, rawBody } from '../../http/body.js';
import { CSRF_FORM_FIELD, csrfFailure, isUnsafeMethod } from '../../http/csrf.js';
import type { GenericReply } from '../../http/surface.js';
import { type LoggedIn, currentLogin } from '../../http/session-login.js';
import { REPLY, csrfFailed, methodNotAllowed, send } from './replies.js';
import { serviceUnavailableIn } from '../../core/errors.js';
import { unavailableReply } from '../../http/unavailable.js';

/** What a route handler gets: the request, its login (if any) and a body parsed at most once. */
export interface Call {
  ctx: AppContext;
  request: FastifyRequest;
  reply: FastifyReply;
  login: LoggedIn | null;
  /** The body as multipart, or null when it is not multipart (parsed once, shared with CSRF). */
  multipart(): Promise<ParsedBody | null>;
}

export interface RouteSpec {
  url: string;
  /** The methods the route serves; every other method gets 405 with these in `Allow`. */
  methods: readonly HTTPMethods[];
  /** 401 before 405 (logout, avatar). */
  needsLogin?: boolean;
  /**
   * Public and cacheable (media): the session is neither read nor re-sent, because a shared
   * cache must never store an answer that carries someone's session cookie.
   */
  cacheable?: boolean;
  summary: string;
  handle(call: Call): Promise<GenericReply | FastifyReply>;
}

const MUST_CHECK_LATER = 'CSRF token missing.';
const SUPPORTED: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY'];

interface State {
  csrfDeferred: boolean;
  login: LoggedIn | null;
  multipart?: Promise<ParsedBody | null>;
}

/** Registers `route` for every method: its own through `handle`, the rest as 405. */
export function addRoute(app: FastifyInstance, ctx: AppContext, route: RouteSpec): void {
  const states = new WeakMap<FastifyRequest, State>();
  const served = new Set<string>(route.methods);
  const allow = route.methods.join(', ');

  // Runs before the body is read; an early answer means the body never is.
  const onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const state: State = { csrfDeferred: false, login: null };
    states.set(request, state);
    // Answers here may carry the session and CSRF cookies (v1.md §0.13).
    if (!route.cacheable) reply.header('Cache-Control', 'no-store');
    if (isUnsafeMethod(request.method)) {
      const reason = csrfFailure(request, ctx.config);
      if (reason === MUST_CHECK_LATER && mayCarryFormToken(request)) {
        state.csrfDeferred = true;
        return undefined;
      }
      if (reason) return send(reply, csrfFailed(reason));
    }
    return afterCsrf(request, reply, state);
  };

  // 401 (where a login is needed) comes before 405, as the spec orders them.
  const afterCsrf = async (request: FastifyRequest, reply: FastifyReply, state: State): Promise<FastifyReply | undefined> => {
    if (!route.cacheable) state.login = await currentLogin(ctx, request, reply);
    if (route.needsLogin && !state.login) return send(reply, REPLY.notAuthenticated);
    if (!served.has(request.method)) return send(reply, methodNotAllowed(allow));
    return undefined;
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const state = states.get(request)!;
    const multipart = (): Promise<ParsedBody | null> => (state.multipart ??= parseAsMultipart(request));
    if (state.csrfDeferred) {
      const reason = csrfFailure(request, ctx.config, await formToken(request, multipart));
      if (reason) return send(reply, csrfFailed(reason));
      const early = await afterCsrf(request, reply, state);
      if (early) return early;
    }
    const out = await route.handle({ ctx, request, reply, login: state.login, multipart });
    return isReply(out) ? out : send(reply, out);
  };

  const common = { url: route.url, exposeHeadRoute: false, onRequest, handler, errorHandler: answerError };
  app.route({ ...common, method: [...route.methods], schema: { tags: ['users'], summary: route.summary } });
  const others = SUPPORTED.filter((m) => !served.has(m));
  app.route({ ...common, method: others, schema: { hide: true } });
}

/**
 * Slash-less known paths: 301 to the slashed path, query kept, empty body, every method. It
 * answers before the body is read (a big POST is redirected, not refused as too large), as
 * Django's CommonMiddleware did before any view or CSRF check.
 */
export function addSlashRedirect(app: FastifyInstance, url: string): void {
  const redirect = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const query = request.url.indexOf('?');
    const location = url + (query >= 0 ? request.url.slice(query) : '');
    return send(reply, { status: 301, headers: { Location: location } });
  };
  // The onRequest hook always answers; Fastify still wants a handler.
  app.route({ method: [...SUPPORTED], url: url.slice(0, -1), exposeHeadRoute: false, schema: { hide: true }, onRequest: redirect, handler: redirect, errorHandler: answerError });
}

// This surface's words for what goes wrong outside a handler's control (body too large, a
// malformed request Fastify refuses, a bug), on its routes outside the /users/ and /media/
// prefixes too.
function answerError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return send(reply, REPLY.tooLarge);
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return send(reply, REPLY.badRequest);
  const outage = serviceUnavailableIn(err);
  if (outage) {
    request.log.warn({ service: outage.service, reason: outage.message }, 'dependency unavailable');
    return send(reply, unavailableReply(REPLY.internal));
  }
  request.log.error({ err }, 'unhandled error');
  return send(reply, REPLY.internal);
}

function mayCarryFormToken(request: FastifyRequest): boolean {
  const type = mediaType(request);
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
}

async function formToken(request: FastifyRequest, multipart: () => Promise<ParsedBody | null>): Promise<string | undefined> {
  if (mediaType(request) === 'application/x-www-form-urlencoded') return parseForm(rawBody(request))[CSRF_FORM_FIELD];
  const body = await multipart();
  const value = body?.kind === 'multipart' ? body.fields[CSRF_FORM_FIELD] : undefined;
  return typeof value === 'string' ? value : undefined;
}

async function parseAsMultipart(request: FastifyRequest): Promise<ParsedBody | null> {
  if (mediaType(request) !== 'multipart/form-data') return null;
  return parseMultipart(request.headers['content-type'] ?? '', rawBody(request));
}

function isReply(x: GenericReply | FastifyReply): x is FastifyReply {
  return typeof (x as FastifyReply).send === 'function';
}
