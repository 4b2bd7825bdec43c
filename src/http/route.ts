// The one route mechanism every surface registers through. A route is a declaration (paths,
// credential, throttle bucket, one operation per method with its body and response schemas,
// summary and operation id); a surface's `Style` says, as data, how its original backend
// behaved around its views: the order of the checks, the order of `Allow`, whether OPTIONS is
// answered, and its words for 405, 415 and malformed bodies. This file does the rest once:
// method dispatch (HEAD runs GET), 405 with `Allow`, OPTIONS, body reading, the surface's
// 413/400/500/503 answers, the one-segment rule of a wildcard path, and the OpenAPI description
// of each operation.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { AppContext } from '../context.js';
import type { SurfaceName } from '../config.js';
import { isServiceUnavailable, unacceptableValueIn } from '../errors.js';
import { type BodyKind, type ParsedBody, parseBody } from './body.js';
import { type GenericReply, sendGeneric } from './surface.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const METHODS: readonly Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** A handler that wrote the response itself (a file) says so with this instead of a reply. */
export const REPLIED = Symbol('gatehouse.replied');
export type Answer = GenericReply | typeof REPLIED;

/** What a stage answers to stop the request; nothing to let it go on. */
export type StageResult = GenericReply | typeof REPLIED | undefined | void;

/** A JSON schema (TypeBox or plain) for the OpenAPI document. */
export type Schema = Record<string, unknown>;

export interface ResponseDoc {
  description: string;
  schema?: Schema;
  /** Content type when not JSON (`text/html`, `image/*`). */
  contentType?: string;
  headers?: Record<string, { description: string; schema: Schema }>;
  /** The body of such an answer, for the docs (/docs shows it); ids and tokens as a real run makes them. */
  example?: unknown;
}

export interface BodySpec {
  /** Media types read; others are 415 in the surface's words. Default: JSON, form and multipart. */
  accept?: readonly BodyKind[];
  /** For the docs: the fields the operation reads. */
  schema: Schema;
  /** Which media types the docs list (default: those accepted). */
  mediaTypes?: readonly string[];
  /** Read by the handler itself in its own way (the docs still describe it). */
  readByHandler?: boolean;
  /** A body that cannot be read counts as no body instead of an error (the admin UI's forms). */
  lenient?: boolean;
  /** A body a client sends, for the docs (/docs shows it). */
  example?: unknown;
}

export interface Operation<A> {
  operationId: string;
  summary: string;
  description?: string;
  body?: BodySpec;
  query?: Schema;
  responses: Record<number, ResponseDoc>;
  handle(call: Call<A>): Promise<Answer>;
}

export type CredentialNeed = 'required' | 'optional' | 'none';

export interface RouteDecl<A> {
  /** Fastify paths; the first is the documented one, the others are served alike. */
  paths: readonly string[];
  /** The view's name (DRF's OPTIONS `name`). */
  name: string;
  credential: CredentialNeed;
  /** Which credential the route takes, in the style's terms (e.g. `v1`, `v1-knox`, `v1-bearer`). */
  scheme?: string;
  throttle?: 'anon' | 'user';
  methods: Partial<Record<Method, Operation<A>>>;
  /** Words or switches of this route that its surface's stages read (a WWW-Authenticate challenge, …). */
  extra?: Readonly<Record<string, unknown>>;
  /** Served but not documented (a spelling kept for old clients). */
  undocumented?: boolean;
  /**
   * The name of the trailing `*` of `paths`: a parameter of any length (a `:param` is capped by
   * the router's maxParamLength) that must be one non-empty segment. Anything else there (empty,
   * or more segments) is not this route: the app's 404, before any check. The docs show it as
   * `{name}`; `call.params[name]` holds it.
   */
  wildcard?: string;
  /** HEAD runs the GET operation (the default); false: HEAD is a method this route does not serve. */
  headRunsGet?: boolean;
}

export interface Call<A> {
  ctx: AppContext;
  request: FastifyRequest;
  reply: FastifyReply;
  route: RouteDecl<A>;
  /** The credential the style's credential stage found (its `anonymous` value otherwise). */
  auth: A;
  /** The parsed body: undefined when empty or not read; a JSON value; form or multipart fields. */
  body: unknown;
  params: Record<string, string>;
}

/** What a check sees: the call so far, the operation of the request's method (if any), and whether the body may be read yet. */
export interface StageCall<A> extends Call<A> {
  op: Operation<A> | undefined;
  /** The request's method, HEAD counted as GET where GET is served. */
  method: string;
  /** false while the checks run before Fastify buffered the body (`checkBeforeBody`). */
  bodyAvailable: boolean;
  bodyRead: boolean;
}

/**
 * A check the surface runs around its views. It may set `call.auth` for the checks and the view
 * after it. A check that decides without waiting for anything answers directly instead of with
 * a promise: the pipeline awaits only what is pending, since every await costs each request a
 * turn of the microtask queue.
 */
export type Stage<A> = (call: StageCall<A>) => StageResult | typeof DEFER | Promise<StageResult | typeof DEFER>;

/** A stage that needs the body returns this when it runs before the body was read. */
export const DEFER = Symbol('gatehouse.defer');

export type StageName = 'csrf' | 'credential' | 'permission' | 'throttle' | 'login' | 'method' | 'body' | 'refuse';

export interface Style<A> {
  surface: SurfaceName;
  /** Tag of the documented operations. */
  tag: string;
  /** The checks before the view, in order; `method` and `body` are this file's. */
  order: readonly StageName[];
  stages: Partial<Record<Exclude<StageName, 'method' | 'body'>, Stage<A>>>;
  /** The value of `auth` before (or without) the credential stage. */
  anonymous: A;
  /** `Allow`: the order of methods, and whether HEAD and OPTIONS are listed. */
  allow: { order: readonly string[]; head: boolean; options: boolean };
  /** `Allow` on every answer of the route (DRF did), or only on 405 and OPTIONS. */
  allowOnEveryAnswer: boolean;
  /** The OPTIONS answer (`request` for what a CORS preflight asks); absent: OPTIONS is a method like any other (405 unless served). */
  options?: (route: RouteDecl<A>, allow: string, request: FastifyRequest) => GenericReply;
  /** Run the checks before the body is buffered, up to the first that needs it (users). */
  checkBeforeBody?: boolean;
  /**
   * A path's slash-less spelling answers 301 to the slashed path (query kept, empty body) for
   * every method, before any check and before the body is read (users).
   */
  redirectSlashless?: boolean;
  /** Headers on every answer of the surface's routes. */
  headers?: (route: RouteDecl<A>) => Readonly<Record<string, string>>;
  /** Body spec for requests whose operation declares none (read before the method is known). */
  defaultBody?: BodySpec;
  words: {
    methodNotAllowed(method: string, allow: string): GenericReply;
    unsupportedMediaType(contentType: string): GenericReply;
    malformedJson(reason: string): GenericReply;
    malformedMultipart(reason: string): GenericReply;
  };
  /** The surface's answers to what goes wrong outside a view. */
  failures: Failures;
  /** After the view: cookies and headers that depend on the answer (user-account's re-issue). */
  after?: (call: Call<A>, answer: GenericReply) => Promise<GenericReply>;
  /** OpenAPI security requirements of a route. */
  security?: (route: RouteDecl<A>) => Array<Record<string, string[]>> | undefined;
}

export interface Failures {
  tooLarge: GenericReply;
  badRequest: GenericReply;
  internal: GenericReply;
  unavailable: GenericReply;
}

const ALL_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'QUERY'];

/** `Allow` for a route in the style's order. */
export function allowHeader<A>(style: Style<A>, route: RouteDecl<A>): string {
  const served = new Set<string>(Object.keys(route.methods));
  if (style.allow.head && served.has('GET') && route.headRunsGet !== false) served.add('HEAD');
  if (style.allow.options) served.add('OPTIONS');
  return style.allow.order.filter((m) => served.has(m)).join(', ');
}

/** The surface's answer to an error raised outside a view's own control. */
export function failureReply(failures: Failures, err: FastifyError | Error): GenericReply {
  const e = err as FastifyError;
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) return failures.tooLarge;
  if (isServiceUnavailable(err)) return failures.unavailable;
  // A value the database cannot take (a NUL in text, a number out of range) came from the client.
  if (unacceptableValueIn(err)) return failures.badRequest;
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) return failures.badRequest;
  return failures.internal;
}

/** `failureReply`, with the one log line each kind of failure gets (never a value, never a query). */
export function answerFailure(failures: Failures, err: FastifyError | Error, log: FastifyRequest['log']): GenericReply {
  const answer = failureReply(failures, err);
  if (answer === failures.internal) log.error({ err }, 'unhandled error');
  // The database or Redis is down or slow (v1.md §0.13): the client may retry; nothing to debug.
  else if (answer === failures.unavailable) log.warn({ reason: err.message }, 'dependency unavailable');
  else {
    const refused = unacceptableValueIn(err);
    if (refused) log.warn({ reason: refused.message }, 'bad request: a value the database cannot take');
  }
  return answer;
}

interface RequestState<A> {
  call: StageCall<A>;
  /** Index in `style.order` where the handler resumes (checks that waited for the body). */
  resumeAt: number;
  stopped: boolean;
}

/** Registers every route of a surface. */
/** Where a request keeps its route's state between the onRequest hook and the handler. */
const STATE = 'gatehouseRouteState';

export function mountRoutes<A>(app: FastifyInstance, ctx: AppContext, style: Style<A>, routes: readonly RouteDecl<A>[]): void {
  // A property on the request, declared once so every request has the same shape (a WeakMap
  // keyed by short-lived requests cost the garbage collector several percent of the hot path).
  if (!app.hasRequestDecorator(STATE)) app.decorateRequest(STATE, null);
  for (const route of routes) mountRoute(app, ctx, style, route);
}

type WithState<A> = FastifyRequest & { [STATE]: RequestState<A> | null };

function mountRoute<A>(app: FastifyInstance, ctx: AppContext, style: Style<A>, route: RouteDecl<A>): void {
  const allow = allowHeader(style, route);

  const begin = (request: FastifyRequest, reply: FastifyReply): RequestState<A> => {
    const method = request.method === 'HEAD' && route.methods.GET && route.headRunsGet !== false ? 'GET' : request.method;
    const state: RequestState<A> = {
      call: {
        ctx, request, reply, route, auth: style.anonymous, body: undefined, params: paramsOf(route, request),
        op: route.methods[method as Method], method, bodyAvailable: false, bodyRead: false,
      },
      resumeAt: 0,
      stopped: false,
    };
    (request as WithState<A>)[STATE] = state;
    if (style.allowOnEveryAnswer) reply.header('Allow', allow);
    for (const [k, v] of Object.entries(style.headers?.(route) ?? {})) reply.header(k, v);
    return state;
  };

  /** Runs the checks from `resumeAt`; stops at an answer, or (before the body) at a check that needs it. */
  const runChecks = async (state: RequestState<A>, bodyAvailable: boolean): Promise<GenericReply | typeof REPLIED | typeof DEFER | undefined> => {
    for (let i = state.resumeAt; i < style.order.length; i++) {
      const name = style.order[i];
      const pending = runStage(name, state, bodyAvailable);
      const result = pending instanceof Promise ? await pending : pending;
      if (result === DEFER) {
        state.resumeAt = i;
        return DEFER;
      }
      if (result !== undefined) return result;
    }
    state.resumeAt = style.order.length;
    return undefined;
  };

  const runStage = (name: StageName, state: RequestState<A>, bodyAvailable: boolean): ReturnType<Stage<A>> => {
    const { call } = state;
    call.bodyAvailable = bodyAvailable;
    if (name === 'method') return methodStage(call);
    if (name === 'body') return bodyAvailable ? bodyStage(call) : DEFER;
    const stage = style.stages[name];
    if (!stage) throw new Error(`${style.surface}: no "${name}" stage`);
    return stage(call);
  };

  const methodStage = (call: StageCall<A>): StageResult => {
    if (call.request.method === 'OPTIONS' && style.options) return withAllow(style.options(route, allow, call.request), allow);
    if (!call.op) return withAllow(style.words.methodNotAllowed(call.request.method, allow), allow);
    return undefined;
  };

  const bodyStage = (call: StageCall<A>): StageResult | Promise<StageResult> => {
    if (call.bodyRead) return undefined;
    const spec = call.op?.body ?? style.defaultBody;
    call.bodyRead = true;
    if (!spec || spec.readByHandler) return undefined;
    return parseBody(call.request, spec.accept).then((parsed) => {
      const refusal = refusalOf(parsed, call.request, style, spec);
      if (refusal) return refusal;
      call.body = valueOf(parsed);
      return undefined;
    });
  };

  // Checks that need no body run before Fastify buffers it (up to 16 MiB), when the style asks.
  // Written with `done` (see app.ts): most styles have nothing to wait for here.
  const onRequest = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if (outsideWildcard(route, request)) return done();
    const state = begin(request, reply);
    if (!style.checkBeforeBody) return done();
    runChecks(state, false)
      .then((early) => {
        if (early === DEFER || early === undefined) return done();
        // Answered here: the chain stops without `done`.
        state.stopped = true;
        if (early !== REPLIED) sendGeneric(reply, early);
      })
      .catch(done);
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (outsideWildcard(route, request)) {
      reply.callNotFound();
      return reply;
    }
    const state = (request as WithState<A>)[STATE] ?? begin(request, reply);
    if (state.stopped) return reply;
    const stop = await runChecks(state, true);
    if (stop === REPLIED) return reply;
    if (stop !== undefined && stop !== DEFER) return finish(state.call, stop);
    const answer = await state.call.op!.handle(state.call);
    if (answer === REPLIED) return reply;
    return finish(state.call, answer);
  };

  const finish = async (call: Call<A>, answer: GenericReply): Promise<FastifyReply> => {
    const final = style.after ? await style.after(call, answer) : answer;
    return sendGeneric(call.reply, final);
  };

  const errorHandler = (err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    return sendGeneric(reply, answerFailure(style.failures, err, request.log));
  };

  const served = Object.keys(route.methods) as Method[];
  const others = ALL_METHODS.filter((m) => !(served as string[]).includes(m));
  route.paths.forEach((url, i) => {
    const documented = i === 0 && !route.undocumented;
    for (const method of served) {
      const op = route.methods[method]!;
      app.route({
        method, url, onRequest, handler, errorHandler, exposeHeadRoute: false,
        schema: documented ? operationSchema(style, route, method, op) : { hide: true },
        // The docs name the wildcard like any path parameter.
        ...(documented && route.wildcard ? { config: { swaggerTransform: ({ schema }) => ({ schema, url: documentedPath(route) }) } } : {}),
      });
    }
    // HEAD, OPTIONS and the methods the route does not serve reach the same checks (405 after
    // authentication where the style says so); they are not documented.
    app.route({ method: [...others], url, onRequest, handler, errorHandler, exposeHeadRoute: false, schema: { hide: true } });
    if (style.redirectSlashless && url.length > 1 && url.endsWith('/')) {
      app.route({ method: [...ALL_METHODS], url: url.slice(0, -1), onRequest: redirectToSlashed, handler: redirectToSlashed, errorHandler, exposeHeadRoute: false, schema: { hide: true } });
    }
  });
}

/** Path parameters; a wildcard's `*` under the route's name for it. */
function paramsOf<A>(route: RouteDecl<A>, request: FastifyRequest): Record<string, string> {
  const params = { ...((request.params ?? {}) as Record<string, string>) };
  if (route.wildcard) {
    params[route.wildcard] = params['*'] ?? '';
    delete params['*'];
  }
  return params;
}

/** The wildcard holds no segment or several: the request is not for this route. */
function outsideWildcard<A>(route: RouteDecl<A>, request: FastifyRequest): boolean {
  if (!route.wildcard) return false;
  const value = (request.params as Record<string, string | undefined>)['*'] ?? '';
  return value === '' || value.includes('/');
}

/** The first path, its wildcard written as a named parameter. */
function documentedPath<A>(route: RouteDecl<A>): string {
  const path = route.paths[0];
  return route.wildcard ? path.replace(/\*$/, ':' + route.wildcard) : path;
}

/** 301 from a slash-less path to the route's own; it answers in onRequest, before the body is read. */
async function redirectToSlashed(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = request.url.indexOf('?');
  const [path, query] = q < 0 ? [request.url, ''] : [request.url.slice(0, q), request.url.slice(q)];
  return sendGeneric(reply, { status: 301, headers: { Location: path + '/' + query } });
}

function withAllow(reply: GenericReply, allow: string): GenericReply {
  return { ...reply, headers: { ...(reply.headers ?? {}), Allow: allow } };
}

function refusalOf<A>(parsed: ParsedBody, request: FastifyRequest, style: Style<A>, spec: BodySpec): GenericReply | undefined {
  switch (parsed.kind) {
    case 'unsupported':
      // DRF quoted the Content-Type header as sent, parameters included.
      return spec.lenient ? undefined : style.words.unsupportedMediaType(request.headers['content-type'] ?? '');
    case 'bad_json':
      return spec.lenient ? undefined : style.words.malformedJson(parsed.reason);
    case 'bad_multipart':
      return spec.lenient ? undefined : style.words.malformedMultipart(parsed.reason);
    default:
      return undefined;
  }
}

function valueOf(parsed: ParsedBody): unknown {
  switch (parsed.kind) {
    case 'json':
      return parsed.value;
    case 'form':
    case 'multipart':
      return parsed.fields;
    default:
      return undefined;
  }
}

// ---- the OpenAPI description of one operation (@fastify/swagger reads `schema`) ----

const KIND_MEDIA: Record<BodyKind, string> = {
  json: 'application/json',
  form: 'application/x-www-form-urlencoded',
  multipart: 'multipart/form-data',
};

function operationSchema<A>(style: Style<A>, route: RouteDecl<A>, method: Method, op: Operation<A>): Record<string, unknown> {
  const schema: Record<string, unknown> = {
    tags: [style.tag],
    summary: op.summary,
    operationId: op.operationId,
    response: responsesOf(op.responses),
  };
  if (op.description) schema.description = op.description;
  const params = pathParams(documentedPath(route));
  if (params.length) {
    schema.params = { type: 'object', properties: Object.fromEntries(params.map((p) => [p, { type: 'string' }])), required: params };
  }
  if (op.query) schema.querystring = op.query;
  if (op.body && method !== 'GET') {
    // @fastify/swagger moves a body schema's single `examples` entry to the media type's `example`.
    schema.body = op.body.example === undefined ? op.body.schema : { ...op.body.schema, examples: [op.body.example] };
    schema.consumes = [...(op.body.mediaTypes ?? (op.body.accept ?? ['json', 'form', 'multipart']).map((k) => KIND_MEDIA[k]))];
  }
  const security = style.security?.(route);
  if (security) schema.security = security;
  return schema;
}

function responsesOf(docs: Record<number, ResponseDoc>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(docs)) {
    const entry: Record<string, unknown> = { description: doc.description };
    // @fastify/swagger takes each response header as a JSON schema carrying its description.
    if (doc.headers) entry.headers = Object.fromEntries(Object.entries(doc.headers).map(([k, h]) => [k, { ...h.schema, description: h.description }]));
    if (doc.schema) entry.content = { [doc.contentType ?? 'application/json']: doc.example === undefined ? { schema: doc.schema } : { schema: doc.schema, example: doc.example } };
    else if (doc.contentType) entry.content = { [doc.contentType]: { schema: { type: 'string' } } };
    // An answer without a body: @fastify/swagger lists no content for a `null` schema.
    else entry.type = 'null';
    out[status] = entry;
  }
  return out;
}

function pathParams(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
}
