// Surface `v1` (/v1/user/, seed 000 plus Gatehouse's additions): the routes, the denylist check
// before routing (v1.md §1.6), the 301 for a missing slash and the surface's own 404/413/500.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { GenericReply, Surface } from '../../http/surface.js';
import { V1Logins } from '../../core/v1-logins.js';
import { DENYLISTED, INTERNAL, NOT_FOUND, TOO_LARGE } from './messages.js';
import { PREFIX, type RouteSpec, type V1Deps, registerRoute } from './pipeline.js';
import { registerRoutes } from './register.js';
import { knoxRoutes } from './knox-routes.js';
import { jwtRoutes } from './jwt-routes.js';
import { profileRoutes } from './profiles.js';
import { meRoutes } from './me.js';
import { avatarRoutes } from './avatar.js';
import { passwordRoutes } from './password-change.js';
import { resetRoutes } from './password-reset.js';
import { emailRoutes } from './email-verify.js';
import { sessionRoutes } from './sessions.js';
import { registerJwks } from './jwks.js';

function routes(deps: V1Deps): RouteSpec[] {
  return [
    ...registerRoutes(deps),
    ...knoxRoutes(deps),
    ...jwtRoutes(deps),
    ...profileRoutes(deps),
    ...meRoutes(deps),
    ...avatarRoutes(deps),
    ...passwordRoutes(deps),
    ...resetRoutes(deps),
    ...emailRoutes(deps),
    ...sessionRoutes(deps),
  ];
}

// The surface object is shared by every app in the process; each app carries its own context
// as a decorator, so the hook that runs before routing finds the right one.
const CONTEXT = Symbol('gatehouse.v1.context');

function contextOf(request: FastifyRequest): AppContext | undefined {
  return (request.server as unknown as Record<symbol, AppContext | undefined>)[CONTEXT];
}

/**
 * §1.1: a known route asked for without its slash gets 301 (every method, query kept, empty
 * body); anything else under the prefix is 404 "Not found.".
 */
function notFound(request: FastifyRequest, _reply: unknown, app: FastifyInstance): GenericReply {
  const [path, query] = splitUrl(request.url);
  if (!path.endsWith('/') && path.startsWith(PREFIX) && app.findRoute({ method: 'GET', url: path + '/' })) {
    return { status: 301, headers: { Location: path + '/' + (query === null ? '' : '?' + query) } };
  }
  return NOT_FOUND;
}

function splitUrl(url: string): [string, string | null] {
  const q = url.indexOf('?');
  return q < 0 ? [url, null] : [url.slice(0, q), url.slice(q + 1)];
}

export const surface: Surface = {
  name: 'v1',
  prefixes: [PREFIX],
  async register(app: FastifyInstance, ctx: AppContext) {
    const logins = new V1Logins({
      db: ctx.db,
      codec: ctx.v1Keys.codec,
      accounts: ctx.accounts,
      revocation: ctx.revocation,
      metrics: ctx.metrics,
      settings: { accessTtlSec: ctx.config.v1AccessTtlSec, refreshTtlSec: ctx.config.v1RefreshTtlSec, graceSec: ctx.config.v1RefreshGraceSec },
    });
    const deps: V1Deps = { ctx, logins };
    for (const route of routes(deps)) registerRoute(app, deps, route);
    registerJwks(app, ctx);
    app.decorate(CONTEXT, ctx);
  },
  notFound,
  tooLarge: () => TOO_LARGE,
  internalError: () => INTERNAL,
  /** §1.6: a denylisted v1 access JWT, under any scheme word, is refused before routing. */
  async beforeRouting(request) {
    const ctx = contextOf(request);
    if (!ctx) return null;
    return (await ctx.v1Auth.isDenylisted(request.headers.authorization)) ? DENYLISTED : null;
  },
};
