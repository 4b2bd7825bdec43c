// Django-style CSRF for the browser surfaces (users.md §1.3; the admin UI uses the same rules):
// an Origin check, then the `csrftoken` cookie against the X-CSRFToken header or the
// `csrfmiddlewaretoken` form field, compared in constant time. `csrfStage` is the one check
// both surfaces run as a route stage.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { randomAlnum, safeEqual } from '../core/secrets.js';
import { mediaType, parseForm, parseMultipart, rawBody } from './body.js';
import { isPlainObject } from './fields.js';
import { cookiesOf, requestOrigin, setCookie } from './request.js';
import { DEFER, type Stage, type StageCall } from './route.js';
import type { GenericReply } from './surface.js';

const CSRF_COOKIE = 'csrftoken';
const CSRF_HEADER = 'x-csrftoken';
const CSRF_FORM_FIELD = 'csrfmiddlewaretoken';
const CSRF_MAX_AGE = 31_449_600; // one year, Django's CSRF_COOKIE_AGE
const TOKEN_MISSING = 'CSRF token missing.';
const FORM = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isUnsafeMethod(method: string): boolean {
  return UNSAFE.has(method.toUpperCase());
}

export function newCsrfToken(): string {
  return randomAlnum(32);
}

/** The cookie value if it looks like ours (32 letters/digits), else undefined. */
export function csrfCookie(request: FastifyRequest): string | undefined {
  const v = cookiesOf(request)[CSRF_COOKIE];
  return v && /^[A-Za-z0-9]{32}$/.test(v) ? v : undefined;
}

/** (Re)sends the CSRF cookie: not HttpOnly, SameSite=Lax, Path=/, one year. */
export function setCsrfCookie(reply: FastifyReply, config: Pick<Config, 'publicUrl'>, token: string): void {
  setCookie(reply, config, CSRF_COOKIE, token, { httpOnly: false, sameSite: 'lax', maxAge: CSRF_MAX_AGE });
}

/**
 * The failure reason of users.md §1.3, or null when the request passes. `formToken` is the
 * `csrfmiddlewaretoken` field of an already parsed form body, when the caller has one.
 */
function csrfFailure(request: FastifyRequest, config: Pick<Config, 'trustedOrigins'>, formToken?: string): string | null {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== requestOrigin(request) && !config.trustedOrigins.includes(origin)) {
    return `Origin checking failed - ${origin} does not match any trusted origins.`;
  }
  const cookie = cookiesOf(request)[CSRF_COOKIE];
  if (!cookie) return 'CSRF cookie not set.';
  const header = request.headers[CSRF_HEADER];
  const given = typeof header === 'string' ? header : formToken;
  if (given === undefined || given === '') return TOKEN_MISSING;
  return safeEqual(given, cookie) ? null : 'CSRF token incorrect.';
}

/**
 * The check of users.md §1.3 on unsafe methods; `refuse` words the 403. Without the header, a
 * form or multipart body may carry the token: before the body is buffered the stage waits for
 * it (DEFER); once it is there the stage reads the field, from the body the route already
 * parsed or by parsing it itself. What it parsed becomes the view's body when the operation
 * reads that kind of body anyway, so a large multipart upload is parsed once.
 */
export function csrfStage<A>(refuse: (reason: string) => GenericReply): Stage<A> {
  return async (call) => {
    const { request, ctx } = call;
    if (!isUnsafeMethod(request.method)) return undefined;
    const early = csrfFailure(request, ctx.config);
    const type = mediaType(request);
    if (early !== TOKEN_MISSING || (type !== FORM && type !== MULTIPART)) return early === null ? undefined : refuse(early);
    if (!call.bodyAvailable) return DEFER;
    const late = csrfFailure(request, ctx.config, await formToken(call, type === FORM ? 'form' : 'multipart'));
    return late === null ? undefined : refuse(late);
  };
}

async function formToken<A>(call: StageCall<A>, kind: 'form' | 'multipart'): Promise<string | undefined> {
  let fields = call.body;
  if (!call.bodyRead) {
    const raw = rawBody(call.request);
    const parsed = kind === 'form' ? { kind, fields: parseForm(raw) } : await parseMultipart(call.request.headers['content-type'] ?? '', raw);
    fields = parsed.kind === kind ? parsed.fields : undefined;
    const spec = call.op?.body;
    if (spec && !spec.readByHandler && (spec.accept ?? ['json', 'form', 'multipart']).includes(kind) && fields !== undefined && raw.length > 0) {
      call.body = fields;
      call.bodyRead = true;
    }
  }
  const value = isPlainObject(fields) ? fields[CSRF_FORM_FIELD] : undefined;
  return typeof value === 'string' ? value : undefined;
}
