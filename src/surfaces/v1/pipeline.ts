// The v1 request pipeline (v1.md §1.2): each route is declared once with its methods, its
// credential rule, its throttle bucket and its view name, and every request to it goes through
// authentication → permission → throttle → method → body → view in that order. Every HTTP
// method is registered on every path, so 405 comes from here, after authentication and the
// throttle, exactly as in DRF.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { V1Auth } from '../../http/v1-credentials.js';
import { parseBody } from '../../http/body.js';
import { type GenericReply, sendGeneric } from '../../http/surface.js';
import type { Rate } from '../../config.js';
import { throttleMessage } from '../../core/throttle.js';
import type { V1Logins } from '../../core/v1-logins.js';
import { type Challenge, TEXT, json, throttled, unauthorized } from './messages.js';

export const PREFIX = '/v1/user/';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
const METHOD_ORDER: readonly Method[] = ['GET', 'POST', 'PUT', 'DELETE'];

/** What every view gets: the core, and the surface's own login families. */
export interface V1Deps {
  ctx: AppContext;
  logins: V1Logins;
}

export interface Call {
  request: FastifyRequest;
  reply: FastifyReply;
  deps: V1Deps;
  auth: V1Auth;
  /** The parsed body for views that read one: undefined when empty, else JSON value or form fields. */
  body: unknown;
  params: Record<string, string>;
  challenge: Challenge;
}

/** A view answers with a reply to send, or SENT when it wrote the response itself (media). */
export const SENT = Symbol('sent');
export type Answer = GenericReply | typeof SENT;
export type View = (call: Call) => Promise<Answer>;

export interface MethodSpec {
  view: View;
  /** Step 6: parse the body (400/415) before the view; views that never read one skip it. */
  parse?: boolean;
}

export interface RouteSpec {
  /** Under /v1/user/, Fastify syntax: 'profile/artist/:id/'. */
  path: string;
  /** The OPTIONS `name` (v1.md §3, §5). */
  name: string;
  /** required: 401 without one; optional: a broken one is still 401; none: the header is ignored. */
  credential: 'required' | 'optional' | 'none';
  schemes?: 'any' | 'knox' | 'bearer';
  throttle: 'anon' | 'user' | 'none';
  challenge?: Challenge;
  methods: Partial<Record<Method, MethodSpec>>;
}

const NO_AUTH: V1Auth = { kind: 'none' };

export type SignedIn = Exclude<V1Auth, { kind: 'none' }>;

/** The credential of a route declared `required`: the pipeline has answered 401 otherwise. */
export function signedIn(auth: V1Auth): SignedIn {
  if (auth.kind === 'none') throw new Error('v1 view reached without the credential its route requires');
  return auth;
}

/** The same, for routes whose only scheme is `knox` or `bearer`. */
export function signedInWith<K extends SignedIn['kind']>(auth: V1Auth, kind: K): Extract<SignedIn, { kind: K }> {
  if (auth.kind !== kind) throw new Error(`v1 view reached without a ${kind} credential`);
  return auth as Extract<SignedIn, { kind: K }>;
}

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/** `Allow` in the order GET, POST, PUT, DELETE, then HEAD if GET is served, then OPTIONS. */
export function allowHeader(route: RouteSpec): string {
  const methods: string[] = METHOD_ORDER.filter((m) => route.methods[m]);
  if (route.methods.GET) methods.push('HEAD');
  methods.push('OPTIONS');
  return methods.join(', ');
}

/** Registers `route` for every HTTP method; the pipeline answers the ones it does not serve. */
export function registerRoute(app: FastifyInstance, deps: V1Deps, route: RouteSpec): void {
  const handler = pipeline(route, deps);
  const url = PREFIX + route.path;
  const served = METHOD_ORDER.filter((m) => route.methods[m]);
  const others = app.supportedMethods.filter((m) => !(served as string[]).includes(m));
  app.route({ method: served, url, exposeHeadRoute: false, schema: { tags: ['v1'], summary: route.name }, handler });
  app.route({ method: others, url, exposeHeadRoute: false, schema: { hide: true }, handler });
}

function pipeline(route: RouteSpec, deps: V1Deps) {
  const { ctx } = deps;
  const allow = allowHeader(route);
  const challenge = route.challenge ?? 'Token';
  const schemes = { knox: route.schemes !== 'bearer', bearer: route.schemes !== 'knox' };
  const metadata = json(200, { name: route.name, description: '', renders: ['application/json'], parses: PARSES });
  const rate: Rate | null = route.throttle === 'anon' ? ctx.config.throttleAnon : route.throttle === 'user' ? ctx.config.throttleUser : null;

  return async function v1Route(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> {
    reply.header('Allow', allow);
    // 1–3: authentication and permission.
    let auth = NO_AUTH;
    if (route.credential !== 'none') {
      const r = await ctx.v1Auth.authenticate(request.headers.authorization, schemes);
      if (!r.ok) return sendGeneric(reply, unauthorized(r.error, challenge));
      auth = r.auth;
      if (route.credential === 'required' && auth.kind === 'none') return sendGeneric(reply, unauthorized(TEXT.noCredentials, challenge));
    }
    // 4: throttle. The anonymous bucket counts by client IP even when a credential was sent.
    if (rate !== null) {
      const key = route.throttle === 'anon' || auth.kind === 'none' ? `anon:${request.ip}` : `user:${auth.user.id}`;
      const verdict = await ctx.throttle.check('v1', key, rate);
      if (!verdict.allowed) return sendGeneric(reply, throttled(verdict.retryAfterSec, throttleMessage(verdict.retryAfterSec)));
    }
    // 5: method.
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    if (method === 'OPTIONS') return sendGeneric(reply, metadata);
    const spec = route.methods[method as Method];
    if (!spec) return sendGeneric(reply, json(405, { detail: `Method "${request.method}" not allowed.` }));
    // 6: body.
    let body: unknown;
    if (spec.parse) {
      const parsed = await readBody(request);
      if (parsed.reply) return sendGeneric(reply, parsed.reply);
      body = parsed.value;
    }
    // 7: validation and the view.
    const answer = await spec.view({ request, reply, deps, auth, body, params: request.params as Record<string, string>, challenge });
    if (answer !== SENT) return sendGeneric(reply, answer);
  };
}

/** v1.md §1.3: 415 and malformed-JSON answers keep DRF's object shape. */
async function readBody(request: FastifyRequest): Promise<{ value?: unknown; reply?: GenericReply }> {
  const parsed = await parseBody(request);
  switch (parsed.kind) {
    case 'empty':
      return {};
    case 'json':
      return { value: parsed.value };
    case 'form':
    case 'multipart':
      return { value: parsed.fields };
    case 'unsupported':
      // DRF names the Content-Type header as sent, parameters included.
      return { reply: json(415, { detail: `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.` }) };
    case 'bad_json':
      return { reply: json(400, { detail: `JSON parse error - ${parsed.reason}` }) };
    case 'bad_multipart':
      return { reply: json(400, { detail: `Multipart form parse error - ${parsed.reason}` }) };
  }
}
