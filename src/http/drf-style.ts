// The style of the surfaces that came from Django REST framework views (api-user.md §1,
// account.md §1), for the one route mechanism (route.ts): authentication (401), permission
// (401), method (405), then the body (400 or 415); `Allow` in DRF's method order on every
// answer; DRF's OPTIONS metadata; DRF's words for what goes wrong outside a view. A surface
// gives only how its credential header is read and the security scheme that names it.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { SurfaceName } from '../config.js';
import type { Failures, ResponseDoc, RouteDecl, Stage, Style } from './route.js';
import { Detail, type TSchema, Type } from './schemas.js';
import type { GenericReply } from './surface.js';

/**
 * What reading the credential header found: the caller, `null` when no credential of the
 * surface's scheme was sent, or the 401 a broken one answers (on every route that reads it).
 */
export type DrfCredential<U> = { ok: true; caller: U | null } | { ok: false; reply: GenericReply };

export interface DrfStyleOptions<U> {
  surface: SurfaceName;
  /** The surface's authentication class: reads `Authorization` (routes declared `credential: 'none'` never do). */
  authenticate(ctx: AppContext, request: FastifyRequest): Promise<DrfCredential<U>>;
  /** The 401 of a route that needs a credential when none was sent. */
  notProvided: GenericReply;
  /** The OpenAPI security scheme of the credential (app.ts). */
  securityScheme: string;
}

/** DRF's `http_method_names` order, which is the order of its `Allow` header. */
const ALLOW_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

function detail(status: number, text: string, headers?: Record<string, string>): GenericReply {
  return headers ? { status, body: { detail: text }, headers } : { status, body: { detail: text } };
}

/** The DRF surfaces' answers to what fails outside a view (v1.md §0.13). */
const DRF_FAILURES: Failures = {
  tooLarge: detail(413, 'Request body too large.'),
  badRequest: detail(400, 'Bad request.'),
  internal: detail(500, 'A server error occurred.'),
  unavailable: detail(503, 'Service temporarily unavailable.', { 'Retry-After': '5' }),
};

/** An unknown path under a DRF surface's prefix (and a media name that names no image). */
export const DRF_NOT_FOUND: GenericReply = detail(404, 'Not found.');

/** Responses that carry a credential are never stored (v1.md §0.13). */
export const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/** Python's bytes.split() on a header: runs of ASCII whitespace, no empty words. */
export function splitWords(header: string): string[] {
  return header.split(/[ \t\n\r\v\f]+/).filter(Boolean);
}

/** The caller of a route declared `credential: 'required'`: the style has answered 401 otherwise. */
export function callerOf<U>(auth: U | null): U {
  if (auth === null) throw new Error('DRF view reached without the credential its route requires');
  return auth;
}

export function drfStyle<U>(options: DrfStyleOptions<U>): Style<U | null> {
  const credential: Stage<U | null> = async (call) => {
    if (call.route.credential === 'none') return undefined;
    const found = await options.authenticate(call.ctx, call.request);
    if (!found.ok) return found.reply;
    call.auth = found.caller;
    return undefined;
  };

  const permission: Stage<U | null> = async ({ route, auth }) => (route.credential === 'required' && auth === null ? options.notProvided : undefined);

  return {
    surface: options.surface,
    tag: options.surface,
    order: ['credential', 'permission', 'method', 'body'],
    stages: { credential, permission },
    anonymous: null,
    allow: { order: ALLOW_ORDER, head: true, options: true },
    allowOnEveryAnswer: true,
    // DRF's SimpleMetadata, without the browsable API's HTML renderer.
    options: (route) => ({ status: 200, body: { name: route.name, description: '', renders: ['application/json'], parses: PARSES } }),
    words: {
      methodNotAllowed: (method) => detail(405, `Method "${method}" not allowed.`),
      unsupportedMediaType: (contentType) => detail(415, `Unsupported media type "${contentType}" in request.`),
      malformedJson: (reason) => detail(400, `JSON parse error - ${reason}`),
      malformedMultipart: (reason) => detail(400, `Multipart form parse error - ${reason}`),
    },
    failures: DRF_FAILURES,
    security: (route: RouteDecl<U | null>) => (route.credential === 'required' ? [{ [options.securityScheme]: [] }] : []),
  };
}

// ---- response docs every DRF operation shares ----

const TEXT_HEADER = { type: 'string' };

/** 400 of an operation that reads a body: its validation errors, or `{"detail"}` when the body could not be parsed. */
export function drfBadRequest(validation?: { description: string; schema: TSchema }): ResponseDoc {
  const parse = 'when the body cannot be parsed, {"detail": "JSON parse error - <reason>"} or {"detail": "Multipart form parse error - <reason>"}';
  if (!validation) return { description: `Only ${parse}`, schema: Detail };
  return { description: `${validation.description}; ${parse}`, schema: Type.Union([validation.schema, Detail]) };
}

/** A 401 with the surface's `WWW-Authenticate` challenge. */
export function drfUnauthorized(description: string, schema: TSchema, challenge: string): ResponseDoc {
  return { description, schema, headers: { 'WWW-Authenticate': { description: `\`${challenge}\``, schema: TEXT_HEADER } } };
}

/** The answers of every DRF operation besides its own: 405, 500, 503. */
export const DRF_COMMON_DOCS: Record<number, ResponseDoc> = {
  405: { description: 'Method not allowed: {"detail": "Method \\"<METHOD>\\" not allowed."}, with `Allow`', schema: Detail, example: { detail: 'Method "PATCH" not allowed.' } },
  500: { description: '{"detail": "A server error occurred."}', schema: Detail, example: DRF_FAILURES.internal.body },
  503: {
    description: 'The database or Redis does not answer: {"detail": "Service temporarily unavailable."}',
    schema: Detail,
    example: DRF_FAILURES.unavailable.body,
    headers: { 'Retry-After': { description: 'Seconds before a retry', schema: { type: 'integer' } } },
  },
};

/** The answers of every DRF operation that reads a body: 413 and 415 (the 400 is the operation's own). */
export const DRF_BODY_DOCS: Record<number, ResponseDoc> = {
  413: { description: 'Body over 1 MiB (JSON, form) or 16 MiB (multipart): {"detail": "Request body too large."}', schema: Detail, example: DRF_FAILURES.tooLarge.body },
  415: { description: 'Another media type: {"detail": "Unsupported media type \\"<Content-Type>\\" in request."}', schema: Detail, example: { detail: 'Unsupported media type "text/plain" in request.' } },
};
