// How a Django REST framework view behaved, for the two surfaces that came from one and keep
// its order of checks (api-user.md §1.2, account.md §1.1): authentication, permission, method,
// then the body. One view serves one method (plus HEAD for GET, and OPTIONS); every other
// method reaches the same handler so the 405 comes after authentication, as DRF's did.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseBody, pythonTypeName } from './body.js';
import { isPlainObject } from './fields.js';
import { type GenericReply, sendGeneric } from './surface.js';

export type ViewMethod = 'GET' | 'POST' | 'PUT';

export type AuthOutcome<U> = { kind: 'anonymous' } | { kind: 'user'; user: U } | { kind: 'failed'; reply: GenericReply };

/** A surface's credential scheme: how to read it, and its 401 for "none given" on a route that needs one. */
export interface Authenticator<U> {
  authenticate(request: FastifyRequest): Promise<AuthOutcome<U>>;
  notProvided: GenericReply;
}

export interface Call {
  request: FastifyRequest;
  reply: FastifyReply;
}

/** A view answers with a GenericReply, or sends itself (media) and returns the reply. */
export type ViewResult = GenericReply | FastifyReply;

export type View<U> = { name: string; method: ViewMethod; summary: string } & (
  | { auth: 'none'; handle(call: Call): Promise<ViewResult> }
  | { auth: 'optional'; handle(call: Call & { user: U | null }): Promise<ViewResult> }
  | { auth: 'required'; handle(call: Call & { user: U }): Promise<ViewResult> }
);

// DRF's http_method_names order, which is the order of its Allow header.
const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export const DRF_PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

export function allowedMethods(method: ViewMethod): string[] {
  const methods = method === 'GET' ? ['GET', 'HEAD', 'OPTIONS'] : [method, 'OPTIONS'];
  return methods.sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b));
}

export function methodNotAllowed(method: string): GenericReply {
  return { status: 405, body: { detail: `Method "${method}" not allowed.` } };
}

/** DRF's SimpleMetadata for OPTIONS, without the browsable HTML renderer. */
function metadata(name: string): GenericReply {
  return { status: 200, body: { name, description: '', renders: ['application/json'], parses: DRF_PARSES } };
}

/**
 * Registers one view at each of `urls`. Its own methods are documented in the OpenAPI
 * document; the other methods are routed too (hidden), only to be answered 405 in order.
 */
export function mountView<U>(app: FastifyInstance, urls: readonly string[], view: View<U>, auth: Authenticator<U>): void {
  const allow = allowedMethods(view.method);
  const handler = (request: FastifyRequest, reply: FastifyReply) => runView(request, reply, view, auth, allow);
  const others = app.supportedMethods.filter((m) => !allow.includes(m));
  for (const url of urls) {
    app.route({ method: allow, url, handler, exposeHeadRoute: false, schema: { summary: view.summary } });
    if (others.length) app.route({ method: others, url, handler, schema: { hide: true } });
  }
}

async function runView<U>(request: FastifyRequest, reply: FastifyReply, view: View<U>, auth: Authenticator<U>, allow: string[]): Promise<FastifyReply> {
  // DRF put Allow on every response of a view, errors included.
  reply.header('Allow', allow.join(', '));
  let user: U | null = null;
  if (view.auth !== 'none') {
    const outcome = await auth.authenticate(request);
    if (outcome.kind === 'failed') return sendGeneric(reply, outcome.reply);
    if (outcome.kind === 'user') user = outcome.user;
    else if (view.auth === 'required') return sendGeneric(reply, auth.notProvided);
  }
  if (request.method === 'OPTIONS') return sendGeneric(reply, metadata(view.name));
  if (!allow.includes(request.method)) return sendGeneric(reply, methodNotAllowed(request.method));
  // HEAD runs the GET view; Node leaves the body off and keeps its Content-Length.
  const result = await dispatch(view, { request, reply }, user);
  return (result as unknown) === reply ? reply : sendGeneric(reply, result as GenericReply);
}

function dispatch<U>(view: View<U>, call: Call, user: U | null): Promise<ViewResult> {
  switch (view.auth) {
    case 'none':
      return view.handle(call);
    case 'optional':
      return view.handle({ ...call, user });
    case 'required':
      return view.handle({ ...call, user: user as U });
  }
}

// ---- request data, as DRF's request.data and a serializer's first checks saw it ----

export type FieldMap = Record<string, unknown>;

export type RequestData =
  /** An object of fields (JSON object, form, or multipart with files as UploadedFile). */
  | { kind: 'data'; data: FieldMap }
  /** Parsed, but not an object: the serializer's own non-field error. */
  | { kind: 'not_object'; errors: { non_field_errors: string[] } }
  /** The body could not be read at all: 400 parse error or 415. */
  | { kind: 'refused'; reply: GenericReply };

/** The request body as DRF handed it to a serializer. An empty body is `{}`. */
export async function readData(request: FastifyRequest): Promise<RequestData> {
  const parsed = await parseBody(request);
  switch (parsed.kind) {
    case 'empty':
      return { kind: 'data', data: {} };
    case 'form':
    case 'multipart':
      return { kind: 'data', data: parsed.fields };
    case 'json':
      return fromJson(parsed.value);
    case 'bad_json':
      return refused(400, `JSON parse error - ${parsed.reason}`);
    case 'bad_multipart':
      return refused(400, `Multipart form parse error - ${parsed.reason}`);
    case 'unsupported':
      // DRF quoted the whole Content-Type header, parameters included.
      return refused(415, `Unsupported media type "${request.headers['content-type'] ?? ''}" in request.`);
  }
}

/**
 * The body as an object, or the reply a DRF view gave instead: 400/415 when it could not be
 * read, 400 `non_field_errors` when it was not a JSON object.
 */
export async function readObject(request: FastifyRequest): Promise<{ ok: true; data: FieldMap } | { ok: false; reply: GenericReply }> {
  const body = await readData(request);
  if (body.kind === 'refused') return { ok: false, reply: body.reply };
  if (body.kind === 'not_object') return { ok: false, reply: badRequest(body.errors) };
  return { ok: true, data: body.data };
}

function fromJson(value: unknown): RequestData {
  if (isPlainObject(value)) return { kind: 'data', data: value };
  // DRF's serializer turned a JSON null into "No data provided" (Serializer.errors).
  const message = value === null ? 'No data provided' : `Invalid data. Expected a dictionary, but got ${pythonTypeName(value)}.`;
  return { kind: 'not_object', errors: { non_field_errors: [message] } };
}

function refused(status: number, detail: string): RequestData {
  return { kind: 'refused', reply: { status, body: { detail } } };
}

/** Collects field errors in field order, as a serializer's `errors`. */
export class FieldErrors {
  readonly errors: Record<string, string[]> = {};

  add(field: string, messages: readonly string[]): void {
    if (messages.length) this.errors[field] = [...messages];
  }

  get any(): boolean {
    return Object.keys(this.errors).length > 0;
  }
}

/** Python's bytes.split(): runs of ASCII whitespace, no empty words. */
export function splitWords(header: string): string[] {
  return header.split(/[ \t\n\r\v\f]+/).filter(Boolean);
}

export function badRequest(body: unknown, headers?: Record<string, string>): GenericReply {
  return { status: 400, body, headers };
}
