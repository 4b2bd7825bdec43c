// Surface `api-user` (/api/user/, seed 001): a JWT pair under the `JWT` header scheme, the
// refresh token in the body, object-shaped DRF errors, and CORS open to every origin.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { GenericReply, Surface } from '../../http/surface.js';
import { jwtAuthenticator } from './auth.js';
import { mountView as mount } from '../../http/drf-view.js';
import { loginView } from './login.js';
import { NOT_FOUND, mediaView } from './media.js';
import { refreshView } from './refresh.js';
import { registerView } from './register.js';
import { meView, updateView } from './update.js';

const PREFIX = '/api/user/';

/** These routes match with or without one trailing slash (§1.1); media has none. */
function withAndWithoutSlash(name: string): string[] {
  return [PREFIX + name, `${PREFIX}${name}/`];
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
  prefixes: [PREFIX],

  async register(app, ctx: AppContext) {
    const tokens = ctx.apiUserTokens;
    const auth = jwtAuthenticator(ctx, tokens);
    mount(app, withAndWithoutSlash('login'), loginView(ctx, tokens), auth);
    mount(app, withAndWithoutSlash('register'), registerView(ctx), auth);
    mount(app, withAndWithoutSlash('me'), meView(ctx), auth);
    mount(app, withAndWithoutSlash('update'), updateView(ctx), auth);
    mount(app, withAndWithoutSlash('refresh'), refreshView(tokens), auth);
    mount(app, [`${PREFIX}media/:image_name`], mediaView(ctx), auth);
  },

  notFound: () => NOT_FOUND,
  failures: {
    tooLarge: { status: 413, body: { detail: 'Request body too large.' } },
    badRequest: { status: 400, body: { detail: 'Bad request.' } },
    internal: { status: 500, body: { detail: 'A server error occurred.' } },
    unavailable: { status: 503, body: { detail: 'Service temporarily unavailable.' }, headers: { 'Retry-After': '5' } },
  },
  beforeRouting: cors,
};
