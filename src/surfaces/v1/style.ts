// How the v1 surface behaves around its views (v1.md §1): the checks in the order of §1.2
// (cross-site check, denylist and authentication, permission, throttle, method, body), `Allow`
// in DRF's order on every answer, the OPTIONS metadata, and its words. Routes are declared in
// the files beside this one and registered by http/route.ts.
import type { AppContext } from '../../context.js';
import type { V1Auth } from '../../core/v1-credentials.js';
import { type ThrottleVerdict, throttleMessage } from '../../core/throttle.js';
import { publicOrigin } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { type Call, type Operation, type RouteDecl, type Stage, type Style } from '../../http/route.js';
import { type Challenge, DENYLISTED, INTERNAL, TEXT, TOO_LARGE, UNAVAILABLE, json, throttled, unauthorized } from './messages.js';

export const PREFIX = '/v1/user/';

export type V1Call = Call<V1Auth>;
export type V1Route = RouteDecl<V1Auth>;
export type V1Operation = Operation<V1Auth>;

/** `any`: Token or Bearer; the logout routes take only their own scheme (§3). */
export type V1Scheme = 'any' | 'knox' | 'bearer';

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

/** The WWW-Authenticate of a route's 401s (§1.5): `Token`, except where the route says otherwise. */
export function challengeOf(route: V1Route): Challenge {
  return (route.extra?.challenge as Challenge | undefined) ?? 'Token';
}

const PARSES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];

/** §1.6a: a browser on another site must not drive the routes that read or write `sessionid`. */
const crossSite: Stage<V1Auth> = ({ ctx, request, route }) => {
  if (!route.extra?.crossSiteChecked) return undefined;
  const origin = request.headers.origin;
  if (origin === undefined || origin === publicOrigin(request, ctx.config) || ctx.config.trustedOrigins.includes(origin)) return undefined;
  return json(403, `Origin checking failed - ${origin} does not match any trusted origins.`);
};

/** §1.5, §1.6: the denylist for any header, then the route's schemes; 401 in the route's challenge. */
const credential: Stage<V1Auth> = async (call) => {
  const { ctx, request, route } = call;
  const scheme = (route.scheme ?? 'any') as V1Scheme;
  const allowed = route.credential === 'none' ? { knox: false, bearer: false } : { knox: scheme !== 'bearer', bearer: scheme !== 'knox' };
  const r = await ctx.v1Auth.authenticate(request.headers.authorization, allowed);
  if (!r.ok) return r.denylisted ? DENYLISTED : unauthorized(r.error, challengeOf(route));
  call.auth = r.auth;
  return undefined;
};

const permission: Stage<V1Auth> = ({ route, auth }) => {
  if (route.credential === 'required' && auth.kind === 'none') return unauthorized(TEXT.noCredentials, challengeOf(route));
  return undefined;
};

/** §1.7: the anonymous bucket counts by client IP even when a credential was sent. */
const throttle: Stage<V1Auth> = ({ ctx, request, route, auth }) => {
  if (!route.throttle) return undefined;
  const rate = route.throttle === 'anon' ? ctx.config.throttleAnon : ctx.config.throttleUser;
  const key = route.throttle === 'anon' || auth.kind === 'none' ? `anon:${request.ip}` : `user:${auth.user.id}`;
  const verdict = ctx.throttle.check('v1', key, rate);
  return verdict instanceof Promise ? verdict.then(refusalOf) : refusalOf(verdict);
};

function refusalOf(verdict: ThrottleVerdict): GenericReply | undefined {
  return verdict.allowed ? undefined : throttled(verdict.retryAfterSec, throttleMessage(verdict.retryAfterSec));
}

export const v1Style: Style<V1Auth> = {
  surface: 'v1',
  tag: 'v1',
  order: ['csrf', 'credential', 'permission', 'throttle', 'method', 'body'],
  stages: { csrf: crossSite, credential, permission, throttle },
  anonymous: { kind: 'none' },
  allow: { order: ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'], head: true, options: true },
  allowOnEveryAnswer: true,
  options: (route) => json(200, { name: route.name, description: '', renders: ['application/json'], parses: PARSES }),
  words: {
    methodNotAllowed: (method) => json(405, { detail: `Method "${method}" not allowed.` }),
    unsupportedMediaType: (contentType) => json(415, { detail: `Unsupported media type "${contentType}" in request.` }),
    malformedJson: (reason) => json(400, { detail: `JSON parse error - ${reason}` }),
    malformedMultipart: (reason) => json(400, { detail: `Multipart form parse error - ${reason}` }),
  },
  failures: { tooLarge: TOO_LARGE, badRequest: json(400, 'Bad request.'), internal: INTERNAL, unavailable: UNAVAILABLE },
  security: (route) => securityOf(route),
};

function securityOf(route: V1Route): Array<Record<string, string[]>> | undefined {
  if (route.credential === 'none') return [];
  const scheme = (route.scheme ?? 'any') as V1Scheme;
  const schemes: Array<Record<string, string[]>> = scheme === 'knox' ? [{ knoxToken: [] }] : scheme === 'bearer' ? [{ v1Bearer: [] }] : [{ knoxToken: [] }, { v1Bearer: [] }];
  return route.credential === 'optional' ? [...schemes, {}] : schemes;
}

/** Every route of this surface lives under the prefix. */
export function v1Path(path: string): string {
  return PREFIX + path;
}

export type { AppContext };
