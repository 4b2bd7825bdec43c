// How the user-account surface behaves around its views (user-account.md §1.2): the method
// (405 with `Allow` sorted alphabetically, OPTIONS 200 with an empty body and the CORS echo,
// HEAD where GET is served), then the token checks of the route, then the view, which reads
// its JSON body itself (fields.ts). After the view: every body's keys sorted, and the cookies
// (§2.2, §2.5). Routes are declared in the files beside this one and registered by
// http/route.ts.
//
// `credential` on this surface: `none` reads no token; `required` needs a valid one; `optional`
// reads one if sent (its errors answer as usual) and refuses a valid one with 403 "user is
// already authenticated" (§5.3, §5.6). A route whose methods differ says so per method in
// `extra.credentialOf`.
import type { FastifyRequest } from 'fastify';
import { REISSUE_WINDOW_SECONDS, type IssuedToken } from '../../core/user-account-tokens.js';
import type { Call, CredentialNeed, RouteDecl, Stage, Style } from '../../http/route.js';
import type { GenericReply } from '../../http/surface.js';
import { readAccessToken, type VerifiedToken } from './auth.js';
import { INVALID_JSON, UNSUPPORTED_MEDIA_TYPE, logoutCookies, msg, sortedKeys, tokenCookies } from './words.js';

export const UA_PREFIX = '/user_account/';

/**
 * The token state of a request, which decides the cookies of its answer: none; a token
 * verified by the credential stage (re-issued near its end); a token a view issued (login:
 * set its cookies); a token a view ended (logout: clear the cookies, never re-issue).
 */
export type UaCredential =
  | { kind: 'none' }
  | { kind: 'verified'; token: VerifiedToken }
  | { kind: 'issued'; token: IssuedToken }
  | { kind: 'ended' };

export type UaCall = Call<UaCredential>;
export type UaRoute = RouteDecl<UaCredential>;

/** The verified token of a route declared `required`: the credential stage has answered otherwise. */
export function verifiedToken(auth: UaCredential): VerifiedToken {
  if (auth.kind !== 'verified') throw new Error('user-account view reached without the token its route requires');
  return auth.token;
}

/** Every route of this surface lives under the prefix, without a trailing slash. */
export function uaPath(path: string): string {
  return UA_PREFIX + path;
}

/** The route's token need for `method` (HEAD counts as GET). */
function credentialNeed(route: UaRoute, method: string): CredentialNeed {
  const perMethod = route.extra?.credentialOf as Partial<Record<string, CredentialNeed>> | undefined;
  return perMethod?.[method] ?? route.credential;
}

const ALREADY_AUTHENTICATED = msg(403, 'user is already authenticated');

/** §2.1–§2.4: the header, then the cookie, CSRF included; a verified token is kept for the view and `after`. */
const credential: Stage<UaCredential> = async (call) => {
  const need = credentialNeed(call.route, call.method);
  if (need === 'none') return undefined;
  const read = await readAccessToken(call.ctx, call.request, need === 'optional');
  if (read.kind === 'error') return read.answer;
  if (read.kind === 'ok') call.auth = { kind: 'verified', token: read.token };
  return undefined;
};

/** §5.3, §5.6 POST: a valid token on a route that takes none is refused. */
const refuse: Stage<UaCredential> = async ({ route, method, auth }) =>
  credentialNeed(route, method) === 'optional' && auth.kind === 'verified' ? ALREADY_AUTHENTICATED : undefined;

/** A CORS preflight (§1.1) gets the method and headers it asked for. */
function preflight(request: FastifyRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  const asked = request.headers['access-control-request-method'];
  if (request.headers.origin !== undefined && typeof asked === 'string') {
    headers['Access-Control-Allow-Methods'] = asked;
    const askedHeaders = request.headers['access-control-request-headers'];
    if (typeof askedHeaders === 'string') headers['Access-Control-Allow-Headers'] = askedHeaders;
  }
  return headers;
}

/** The Set-Cookie lines the answer carries, from the request's token state. */
async function cookiesOf({ ctx, request, auth }: UaCall): Promise<string[]> {
  switch (auth.kind) {
    case 'ended':
      return logoutCookies(request, ctx.config);
    case 'issued':
      return tokenCookies(request, ctx.config, auth.token);
    case 'verified': {
      // The original's after_request hook: a token verified on this request that ends within
      // 30 minutes is replaced; the old one stays valid until its own exp.
      const { exp, user } = auth.token;
      if (exp === null || exp >= Date.now() / 1000 + REISSUE_WINDOW_SECONDS) return [];
      return tokenCookies(request, ctx.config, await ctx.userAccountTokens.issue(user));
    }
    default:
      return [];
  }
}

/** After every check's or view's answer: cookies, then the body's keys sorted (§1.1). */
async function after(call: UaCall, answer: GenericReply): Promise<GenericReply> {
  const cookies = await cookiesOf(call);
  let headers = answer.headers;
  if (cookies.length) {
    call.reply.header('Set-Cookie', cookies);
    // An answer that carries a credential is never cached (v1.md §0.13).
    if (call.auth.kind !== 'ended') headers = { ...headers, 'Cache-Control': 'no-store' };
  }
  return { ...answer, headers, body: sortedKeys(answer.body) };
}

const TOKEN_SCHEMES: Array<Record<string, string[]>> = [{ userAccountBearer: [] }, { userAccountCookie: [] }];

export const uaStyle: Style<UaCredential> = {
  surface: 'user-account',
  tag: 'user-account',
  order: ['method', 'credential', 'refuse'],
  stages: { credential, refuse },
  anonymous: { kind: 'none' },
  allow: { order: ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'], head: true, options: true },
  allowOnEveryAnswer: false,
  options: (_route, _allow, request) => ({ status: 200, headers: preflight(request) }),
  words: {
    methodNotAllowed: () => msg(405, 'Method Not Allowed'),
    unsupportedMediaType: () => UNSUPPORTED_MEDIA_TYPE,
    malformedJson: () => INVALID_JSON,
    // No route of this surface reads multipart: such a body is of an unsupported type.
    malformedMultipart: () => UNSUPPORTED_MEDIA_TYPE,
  },
  failures: {
    tooLarge: msg(413, 'Request body too large.'),
    badRequest: msg(400, 'Bad request.'),
    internal: msg(500, 'Internal Server Error'),
    unavailable: { status: 503, body: { msg: 'Service temporarily unavailable.' }, headers: { 'Retry-After': '5' } },
  },
  after,
  // A route that only checks a token in order to refuse it takes none.
  security: (route) => (route.credential === 'required' ? TOKEN_SCHEMES : []),
};
