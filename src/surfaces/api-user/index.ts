// Surface `api-user` (/api/user/, seed 001): a JWT pair under the `JWT` header scheme, the
// refresh token in the body, object-shaped DRF errors, and CORS open to every origin. Its
// routes are declared in the files beside this one and registered by the one route mechanism
// with the DRF style.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { DRF_NOT_FOUND } from '../../http/drf-style.js';
import { mountRoutes } from '../../http/route.js';
import type { GenericReply, Surface } from '../../http/surface.js';
import { apiUserLoginRoutes } from './login.js';
import { apiUserMediaRoutes } from './media.js';
import { apiUserRefreshRoutes } from './refresh.js';
import { apiUserRegisterRoutes } from './register.js';
import { API_USER_PREFIX, type ApiUserRoute, apiUserStyle } from './style.js';
import { apiUserMeRoutes } from './update.js';

function apiUserRoutes(ctx: AppContext): ApiUserRoute[] {
  return [...apiUserLoginRoutes(ctx), ...apiUserRegisterRoutes(ctx), ...apiUserMeRoutes(ctx), ...apiUserRefreshRoutes(ctx), ...apiUserMediaRoutes(ctx)];
}

// django-cors-headers as the original configured it: every origin, no credentials.
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Methods': 'DELETE, GET, OPTIONS, PATCH, POST, PUT',
  'Access-Control-Allow-Headers': 'accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with',
  'Access-Control-Max-Age': '86400',
};

/**
 * Runs before routing, so it covers unknown paths, 405s and 413s too. A preflight is
 * answered here with an empty 200, before authentication, as the CORS middleware did.
 */
async function cors(request: FastifyRequest, reply: FastifyReply): Promise<GenericReply | null> {
  const hasOrigin = request.headers.origin !== undefined;
  const preflight = request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined;
  if (hasOrigin) reply.header('Access-Control-Allow-Origin', '*');
  if (request.method === 'OPTIONS' && (hasOrigin || preflight)) reply.headers(PREFLIGHT_HEADERS);
  return preflight ? { status: 200 } : null;
}

export const surface: Surface = {
  name: 'api-user',
  prefixes: [API_USER_PREFIX],
  async register(app, ctx: AppContext) {
    mountRoutes(app, ctx, apiUserStyle, apiUserRoutes(ctx));
  },
  notFound: () => DRF_NOT_FOUND,
  failures: apiUserStyle.failures,
  beforeRouting: cors,
};
