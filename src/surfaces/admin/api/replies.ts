// The JSON API's fixed answers (admin.md §3.1), made once and reused. Every answer of the API
// is `no-store`: they carry account data and credentials' effects.
import type { GenericReply } from '../../../http/surface.js';
import { throttleMessage } from '../../../core/throttle.js';
import type { V1AuthError } from '../../../core/v1-credentials.js';
import type { FormErrors } from '../../../core/django-forms.js';

export const API_HEADERS = Object.freeze({ 'Cache-Control': 'no-store' });

function fixed(status: number, detail: string, headers: Record<string, string> = {}): GenericReply {
  return Object.freeze({ status, body: Object.freeze({ detail }), headers: Object.freeze({ ...API_HEADERS, ...headers }) });
}

export const API = {
  noCredentials: fixed(401, 'Authentication credentials were not provided.', { 'WWW-Authenticate': 'Token' }),
  /** The denylist answer (v1.md §1.6): no WWW-Authenticate. */
  denylisted: fixed(401, 'Invalid token.'),
  forbidden: fixed(403, 'You do not have permission to perform this action.'),
  notFound: fixed(404, 'Not found.'),
  invalidPage: fixed(404, 'Invalid page.'),
  tooLarge: fixed(413, 'Request body too large.'),
  serverError: fixed(500, 'A server error occurred.'),
  badRequest: fixed(400, 'Bad request.'),
  unavailable: fixed(503, 'Service temporarily unavailable.', { 'Retry-After': '5' }),
  noContent: Object.freeze({ status: 204, headers: API_HEADERS }) as GenericReply,
} as const;

/** v1's credential failures, each wrapped as an object unless it already is one. */
export function authFailed(error: V1AuthError): GenericReply {
  const body = typeof error === 'string' ? { detail: error } : error;
  return { status: 401, body, headers: { ...API_HEADERS, 'WWW-Authenticate': 'Token' } };
}

export function throttled(retryAfterSec: number): GenericReply {
  return { status: 429, body: { detail: throttleMessage(retryAfterSec) }, headers: { ...API_HEADERS, 'Retry-After': String(retryAfterSec) } };
}

export function methodNotAllowed(method: string): GenericReply {
  return { status: 405, body: { detail: `Method "${method}" not allowed.` }, headers: API_HEADERS };
}

export function badRequest(detail: string): GenericReply {
  return { status: 400, body: { detail }, headers: API_HEADERS };
}

export function tooSoon(detail: string, retryAfterSec: number): GenericReply {
  return { status: 429, body: { detail }, headers: { ...API_HEADERS, 'Retry-After': String(retryAfterSec) } };
}

export function fieldErrors(errors: FormErrors): GenericReply {
  return { status: 400, body: errors, headers: API_HEADERS };
}

export function ok(body: unknown, status = 200): GenericReply {
  return { status, body, headers: API_HEADERS };
}
