// How the admin JSON API behaves around its views (admin.md §3.1): v1's order of checks
// (v1.md §1.2): the v1 credential (the denylist inside it), 401 without one, 403 for anyone
// but active staff, a throttle bucket of its own, then 405 with `Allow` in DRF's order on every
// answer. A view reads its body itself, after its own 404 and 403 (readApiData).
import type { Actor } from '../../../core/admin/outcomes.js';
import { isStaff } from '../../../core/admin/permissions.js';
import { throttleMessage } from '../../../core/throttle.js';
import type { V1Auth } from '../../../core/v1-credentials.js';
import { requestMeta } from '../../../http/request.js';
import type { Call, Operation, RouteDecl, Stage, Style } from '../../../http/route.js';
import { API, API_HEADERS, authFailed, detailReply } from './replies.js';

export type AdminApiCall = Call<V1Auth>;
export type AdminApiRoute = RouteDecl<V1Auth>;
export type AdminApiOperation = Operation<V1Auth>;

/** The staff user a view acts as, and the request's facts for the audit. */
export function actorOf({ auth, request }: AdminApiCall): Actor {
  if (auth.kind === 'none') throw new Error('admin API view reached without a credential');
  return { user: auth.user, meta: requestMeta(request, 'admin-api') };
}

/** v1.md §1.5 and §1.6 as v1 applies them, with every failure wrapped as an object (§3.1). */
const credential: Stage<V1Auth> = async (call) => {
  const r = await call.ctx.v1Auth.authenticate(call.request.headers.authorization, { knox: true, bearer: true });
  if (!r.ok) return r.denylisted ? API.denylisted : authFailed(r.error);
  call.auth = r.auth;
  return undefined;
};

/** 401 without a credential; 403 for a user who is not active staff, or staff the two-factor policy refuses. */
const permission: Stage<V1Auth> = async ({ ctx, auth }) => {
  if (auth.kind === 'none') return API.noCredentials;
  if (!isStaff(auth.user)) return API.forbidden;
  return (await ctx.admin.refusedByMfaPolicy(auth.user)) ? API.mfaRequired : undefined;
};

/** A bucket of its own, so admin work and the same user's v1 calls don't starve each other. */
const throttle: Stage<V1Auth> = async ({ ctx, auth }) => {
  if (auth.kind === 'none') return undefined;
  const verdict = await ctx.throttle.check('admin-api', auth.user.id, ctx.config.throttleUser);
  if (verdict.allowed) return undefined;
  return detailReply(429, throttleMessage(verdict.retryAfterSec), { 'Retry-After': String(verdict.retryAfterSec) });
};

/** A knox token or a v1 access JWT, of an active staff user. */
const SECURITY: Array<Record<string, string[]>> = [{ knoxToken: [] }, { v1Bearer: [] }];

export const adminApiStyle: Style<V1Auth> = {
  surface: 'admin',
  tag: 'admin',
  order: ['credential', 'permission', 'throttle', 'method'],
  stages: { credential, permission, throttle },
  anonymous: { kind: 'none' },
  // DRF's http_method_names order; HEAD follows GET; OPTIONS is not served.
  allow: { order: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'], head: true, options: false },
  allowOnEveryAnswer: true,
  headers: () => API_HEADERS,
  words: {
    methodNotAllowed: (method) => detailReply(405, `Method "${method}" not allowed.`),
    unsupportedMediaType: (contentType) => detailReply(415, `Unsupported media type "${contentType}" in request.`),
    malformedJson: (reason) => detailReply(400, `JSON parse error - ${reason}`),
    malformedMultipart: (reason) => detailReply(400, `Multipart form parse error - ${reason}`),
  },
  failures: { tooLarge: API.tooLarge, badRequest: API.badRequest, internal: API.serverError, unavailable: API.unavailable },
  security: () => SECURITY,
};
