// The JSON API's answers (admin.md §3.1), fixed ones made once. Every answer of the API is
// `no-store` (they carry account data and credentials' effects): the style sets it on every
// route's answer, and the fixed answers carry it for the places outside a route (an unknown
// path, a body too large for Fastify).
import type { FormErrors } from '../../../core/django-forms.js';
import type { V1AuthError } from '../../../core/v1-credentials.js';
import type { GenericReply } from '../../../http/surface.js';
import { MFA_REQUIRED } from '../service/policy.js';

export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'Cache-Control': 'no-store' });

function fixed(status: number, detail: string, headers: Record<string, string> = {}): GenericReply {
  return Object.freeze({ status, body: Object.freeze({ detail }), headers: Object.freeze({ ...API_HEADERS, ...headers }) });
}

export const API = {
  noCredentials: fixed(401, 'Authentication credentials were not provided.', { 'WWW-Authenticate': 'Token' }),
  /** The denylist answer (v1.md §1.6): no WWW-Authenticate. */
  denylisted: fixed(401, 'Invalid token.'),
  forbidden: fixed(403, 'You do not have permission to perform this action.'),
  /** ADMIN_REQUIRE_MFA (mfa.md §4). */
  mfaRequired: fixed(403, MFA_REQUIRED),
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
  return { status: 401, body, headers: { 'WWW-Authenticate': 'Token' } };
}

/** `{"detail": "…"}` with any status (a guard's 400, the reset mail's 429, …). */
export function detailReply(status: number, detail: string, headers: Record<string, string> = {}): GenericReply {
  return { status, body: { detail }, headers };
}

/** 400 `{"<field>": ["<msg>", …]}`. */
export function invalidFields(errors: FormErrors): GenericReply {
  return { status: 400, body: errors };
}

export function jsonOk(body: unknown): GenericReply {
  return { status: 200, body };
}
