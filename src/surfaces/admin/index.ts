// The admin surface (admin.md): the staff web UI under /admin/ and its JSON API under
// /admin/api/, over the core's admin actions (./service), each registered by the one route
// mechanism with a style of its own. Unknown paths, oversized bodies and unexpected errors
// answer in JSON under /admin/api/ and as HTML pages elsewhere.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { mountRoutes } from '../../http/route.js';
import { routedPath } from '../../http/request.js';
import type { GenericReply, Surface } from '../../http/surface.js';
import { API_PREFIX, adminApiRoutes } from './api/index.js';
import { API } from './api/replies.js';
import { adminApiStyle } from './api/style.js';
import { createServices } from './service/index.js';
import { adminUiRoutes } from './ui/index.js';
import { UI, redirect } from './ui/replies.js';
import { adminUiStyle } from './ui/style.js';

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** Under /admin/api/ as the router reads the path (`/admin/%61pi/…` included). */
function isApiPath(request: FastifyRequest): boolean {
  const path = routedPath(request.url);
  return path.startsWith(API_PREFIX) || path === API_PREFIX.slice(0, -1);
}

/** An unknown UI path: a 301 for a slash-less page (GET and HEAD), else the 404 page. */
function uiNotFound(request: FastifyRequest, app: FastifyInstance): GenericReply {
  const path = pathOf(request);
  const slashable = (request.method === 'GET' || request.method === 'HEAD') && !path.endsWith('/');
  if (slashable && app.findRoute({ method: 'GET', url: path + '/' })) return redirect(path + '/' + request.url.slice(path.length), 301);
  return UI.notFound;
}

export const surface: Surface = {
  name: 'admin',
  prefixes: ['/admin/'],

  async register(app, ctx: AppContext) {
    const services = createServices(ctx);
    mountRoutes(app, ctx, adminApiStyle, adminApiRoutes(services));
    mountRoutes(app, ctx, adminUiStyle, adminUiRoutes(services));
  },

  async notFound(request, _reply, app, ctx) {
    if (!isApiPath(request)) return uiNotFound(request, app);
    // v1.md §1.6 holds on every /admin/api/ path, unknown ones too.
    return (await ctx.v1Auth.isDenylisted(request.headers.authorization)) ? API.denylisted : API.notFound;
  },

  failures(request) {
    return isApiPath(request) ? adminApiStyle.failures : adminUiStyle.failures;
  },
};
