// The routes of /user_account/ and what happens around every view (user-account.md §1.2):
// method (405, OPTIONS, HEAD), token checks, the view, then cookies: set by login, cleared by
// logout, or re-issued when a verified token is close to its end (§2.5).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { accountViews } from './account-views.js';
import { TokenReader, type Authenticated } from './auth.js';
import { emailViews } from './email-views.js';
import { ALREADY_AUTHENTICATED, METHOD_NOT_ALLOWED, NOT_FOUND, logoutCookies, send, tokenCookies, type Outcome } from './reply.js';
import { REISSUE_WINDOW_SECONDS } from '../../core/user-account-tokens.js';
import { pathToken, type Deps, type Endpoint } from './views.js';

type Method = 'GET' | 'POST';
type RouteTable = Record<string, Partial<Record<Method, Endpoint>>>;

function routeTable(deps: Deps): RouteTable {
  const account = accountViews(deps);
  const email = emailViews(deps);
  return {
    '/user_account/login': { POST: { token: 'none', view: account.login } },
    '/user_account/registration': { POST: { token: 'none', view: account.registration } },
    '/user_account/reset_password_request': { POST: { token: 'refuse', view: email.resetRequest } },
    '/user_account/profile_settings': { GET: { token: 'required', view: account.profileSettings } },
    '/user_account/confirm_email/*': { GET: { token: 'none', view: email.confirmEmail } },
    '/user_account/reset_password/*': { GET: { token: 'none', view: email.resetPage }, POST: { token: 'refuse', view: email.resetSubmit } },
    '/user_account/logout': { GET: { token: 'required', view: account.logout } },
  };
}

const SUMMARIES: Record<string, string> = {
  '/user_account/login': 'Log in; sets the access-token and CSRF cookies',
  '/user_account/registration': 'Register; mails an email confirmation link',
  '/user_account/reset_password_request': 'Mail a password reset link',
  '/user_account/profile_settings': 'The profile, with the email masked',
  '/user_account/confirm_email/*': 'Confirm the email address with a mailed token',
  '/user_account/reset_password/*': 'The reset page (GET) and the reset itself (POST)',
  '/user_account/logout': 'Log out: clears the cookies and revokes the token',
};

function isOneSegment(token: string): boolean {
  return token !== '' && !token.includes('/');
}

/** `Allow` for a route: HEAD comes with GET, OPTIONS always; sorted, as one fixed order. */
function allowOf(methods: Partial<Record<Method, Endpoint>>): string {
  const all = Object.keys(methods);
  if (methods.GET) all.push('HEAD');
  all.push('OPTIONS');
  return all.sort().join(', ');
}

export async function registerRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const tokens = ctx.userAccountTokens;
  const deps: Deps = { ctx, tokens };
  const reader = new TokenReader(ctx, tokens.key);
  const run = endpointRunner(deps, reader);
  for (const [path, methods] of Object.entries(routeTable(deps))) {
    const allow = allowOf(methods);
    const hasToken = path.endsWith('/*');
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      if (hasToken && !isOneSegment(pathToken(request))) return send(reply, NOT_FOUND);
      const method = request.method === 'HEAD' ? 'GET' : request.method;
      const endpoint = methods[method as Method];
      if (endpoint) return run(endpoint, request, reply);
      if (request.method === 'OPTIONS') return options(request, reply, allow);
      return send(reply, { ...METHOD_NOT_ALLOWED, headers: { Allow: allow } });
    };
    // The served methods are documented in the OpenAPI document; every other method reaches
    // the same handler (for its 405) without appearing there.
    const served = Object.keys(methods) as Method[];
    const others = app.supportedMethods.filter((m) => !served.includes(m as Method) && !(m === 'HEAD' && methods.GET));
    app.route({ method: served, url: path, schema: { tags: ['user-account'], summary: SUMMARIES[path] }, handler });
    app.route({ method: others, url: path, schema: { hide: true }, handler });
  }
}

/** 200, `Allow`, empty body; a CORS preflight also gets the method and headers it asked for. */
function options(request: FastifyRequest, reply: FastifyReply, allow: string): FastifyReply {
  const headers: Record<string, string> = { Allow: allow };
  const asked = request.headers['access-control-request-method'];
  if (request.headers.origin !== undefined && typeof asked === 'string') {
    headers['Access-Control-Allow-Methods'] = asked;
    const askedHeaders = request.headers['access-control-request-headers'];
    if (typeof askedHeaders === 'string') headers['Access-Control-Allow-Headers'] = askedHeaders;
  }
  return send(reply, { status: 200, headers });
}

function endpointRunner({ ctx, tokens }: Deps, reader: TokenReader) {
  async function cookiesFor(request: FastifyRequest, outcome: Outcome, auth: Authenticated | null): Promise<string[]> {
    if (outcome.logout) return logoutCookies(request, ctx.config);
    if (outcome.token) return tokenCookies(request, ctx.config, outcome.token);
    // The original's after_request hook: a token verified on this request that ends within
    // 30 minutes is replaced; the old one stays valid until its own exp.
    if (auth && auth.exp !== null && auth.exp < Date.now() / 1000 + REISSUE_WINDOW_SECONDS) {
      return tokenCookies(request, ctx.config, await tokens.issue(auth.user));
    }
    return [];
  }

  return async function run(endpoint: Endpoint, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    let auth: Authenticated | null = null;
    if (endpoint.token !== 'none') {
      const result = await reader.read(request, endpoint.token === 'refuse');
      if (result.kind === 'error') return send(reply, result.outcome);
      if (result.kind === 'ok') auth = result.auth;
    }
    const outcome = endpoint.token === 'refuse' && auth ? ALREADY_AUTHENTICATED : await endpoint.view({ request, auth });
    return send(reply, outcome, await cookiesFor(request, outcome, auth));
  };
}
