// The admin surface (admin.md): the staff web UI under /admin/ and its JSON API under
// /admin/api/, over one set of shared actions (./service). Unknown paths, oversized bodies and
// unexpected errors answer in JSON under /admin/api/ and as HTML pages elsewhere.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { GenericReply, Surface } from '../../http/surface.js';
import { API_PREFIX, registerApi } from './api/index.js';
import { API } from './api/replies.js';
import { createServices } from './service/index.js';
import { registerUi } from './ui/index.js';
import { slashedTarget } from './ui/paths.js';
import { UI, redirect } from './ui/replies.js';

// beforeRouting gets no context; each app's own is found through the app the request came to.
// Admin routes are registered on the root instance, so request.server is that app.
const contexts = new WeakMap<FastifyInstance, AppContext>();

function pathOf(request: FastifyRequest): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function isApiPath(path: string): boolean {
  return path.startsWith(API_PREFIX) || path === API_PREFIX.slice(0, -1);
}

/** An unknown UI path: a 301 for a slash-less page (GET and HEAD), else the 404 page. */
function uiNotFound(request: FastifyRequest): GenericReply {
  const path = pathOf(request);
  const slashed = request.method === 'GET' || request.method === 'HEAD' ? slashedTarget(path) : null;
  return slashed ? redirect(slashed + request.url.slice(path.length), 301) : UI.notFound;
}

const API_FAILURES = { tooLarge: API.tooLarge, badRequest: API.badRequest, internal: API.serverError, unavailable: API.unavailable };
const UI_FAILURES = { tooLarge: UI.tooLarge, badRequest: UI.badRequest, internal: UI.serverError, unavailable: UI.unavailable };

export const surface: Surface = {
  name: 'admin',
  prefixes: ['/admin/'],

  async register(app, ctx) {
    contexts.set(app, ctx);
    const services = createServices(ctx);
    registerApi(app, services);
    registerUi(app, services);
  },

  async notFound(request, _reply, _app, ctx) {
    if (!isApiPath(pathOf(request))) return uiNotFound(request);
    // v1.md §1.6 holds on every /admin/api/ path, unknown ones too.
    return (await ctx.v1Auth.isDenylisted(request.headers.authorization)) ? API.denylisted : API.notFound;
  },

  failures(request) {
    return isApiPath(pathOf(request)) ? API_FAILURES : UI_FAILURES;
  },

};
