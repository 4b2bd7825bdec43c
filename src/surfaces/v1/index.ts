// Surface `v1` (/v1/user/, seed 000 plus Gatehouse's additions): its routes, declared in the
// files beside this one and registered by the one route mechanism with the v1 style, and its
// answers for unknown paths (a 301 for a missing slash, after the denylist check of §1.6).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { mountRoutes } from '../../http/route.js';
import type { GenericReply, Surface } from '../../http/surface.js';
import { avatarRoutes } from './avatar.js';
import { emailRoutes } from './email-verify.js';
import { registerJwks } from './jwks.js';
import { jwtRoutes } from './jwt-routes.js';
import { knoxRoutes } from './knox-routes.js';
import { meRoutes } from './me.js';
import { mfaRoutes } from './mfa.js';
import { oauthRoutes } from './oauth.js';
import { passkeyRoutes } from './passkeys.js';
import { DENYLISTED, NOT_FOUND } from './messages.js';
import { passwordRoutes } from './password-change.js';
import { resetRoutes } from './password-reset.js';
import { profileRoutes } from './profiles.js';
import { registerRoutes } from './register.js';
import { sessionRoutes } from './sessions.js';
import { PREFIX, type V1Route, v1Style } from './style.js';

export function v1Routes(ctx: AppContext): V1Route[] {
  return [
    ...registerRoutes(ctx),
    ...knoxRoutes(ctx),
    ...jwtRoutes(ctx),
    ...profileRoutes(ctx),
    ...meRoutes(ctx),
    ...avatarRoutes(ctx),
    ...passwordRoutes(ctx),
    ...resetRoutes(ctx),
    ...emailRoutes(ctx),
    ...sessionRoutes(ctx),
    ...mfaRoutes(ctx),
    ...passkeyRoutes(ctx),
    ...oauthRoutes(ctx),
  ];
}

function splitUrl(url: string): [string, string | null] {
  const q = url.indexOf('?');
  return q < 0 ? [url, null] : [url.slice(0, q), url.slice(q + 1)];
}

export const surface: Surface = {
  name: 'v1',
  prefixes: [PREFIX],
  async register(app: FastifyInstance, ctx: AppContext) {
    mountRoutes(app, ctx, v1Style, v1Routes(ctx));
    registerJwks(app, ctx);
  },
  /**
   * §1.6 holds for every path under the prefix, unknown ones too; then §1.1: a known route
   * asked for without its slash gets 301 (every method, query kept, empty body); anything else
   * is 404 "Not found.".
   */
  async notFound(request: FastifyRequest, _reply, app: FastifyInstance, ctx: AppContext): Promise<GenericReply> {
    if (await ctx.v1Auth.isDenylisted(request.headers.authorization)) return DENYLISTED;
    const [path, query] = splitUrl(request.url);
    if (!path.endsWith('/') && path.startsWith(PREFIX) && app.findRoute({ method: 'GET', url: path + '/' })) {
      return { status: 301, headers: { Location: path + '/' + (query === null ? '' : '?' + query) } };
    }
    return NOT_FOUND;
  },
  failures: v1Style.failures,
};
