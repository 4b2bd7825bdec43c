// Surface `user-account` (/user_account/, seed 004): JWT in a header or cookie, double-submit
// CSRF, near-expiry re-issue, confirmation and reset mails. Its routes are declared in the files
// beside this one and registered by the one route mechanism with the user-account style.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { mountRoutes } from '../../http/route.js';
import type { Surface } from '../../http/surface.js';
import { uaAccountRoutes } from './account-routes.js';
import { uaEmailRoutes } from './email-routes.js';
import { UA_PREFIX, type UaRoute, uaStyle } from './style.js';
import { msg } from './words.js';

function uaRoutes(ctx: AppContext): UaRoute[] {
  return [...uaAccountRoutes(ctx), ...uaEmailRoutes(ctx)];
}

const NOT_FOUND = msg(404, 'Not Found');

export const surface: Surface = {
  name: 'user-account',
  prefixes: [UA_PREFIX],
  async register(app: FastifyInstance, ctx: AppContext) {
    mountRoutes(app, ctx, uaStyle, uaRoutes(ctx));
  },
  notFound: () => NOT_FOUND,
  failures: uaStyle.failures,
  // CORS as the original (§1.1): any origin, no credentials. Set before routing so that 404,
  // 413 and 500 answers carry it too.
  async beforeRouting(request: FastifyRequest, reply: FastifyReply) {
    if (request.headers.origin !== undefined) reply.header('Access-Control-Allow-Origin', '*');
    return null;
  },
};
