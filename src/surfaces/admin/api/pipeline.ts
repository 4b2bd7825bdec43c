// One JSON API route, in the order of v1.md §1.2 that admin.md §3.1 keeps: (the denylist ran
// before routing), authentication 401, staff permission 403, throttle 429, method 405, then
// the handler, which parses the body when it needs one. A path is served with and without its
// trailing slash, with no redirect.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { User } from '../../../core/accounts.js';
import { requestMeta } from '../../../http/request.js';
import { type GenericReply, sendGeneric } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { Actor } from '../../../core/admin/outcomes.js';
import { isStaff } from '../../../core/admin/permissions.js';
import { API, authFailed, methodNotAllowed, throttled } from './replies.js';

export type ApiMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface ApiCall {
  request: FastifyRequest;
  services: AdminServices;
  staff: User;
  actor: Actor;
  params: Record<string, string>;
}

export type ApiHandler = (call: ApiCall) => Promise<GenericReply>;

export interface ApiRoute {
  path: string; // with its trailing slash
  summary: string;
  methods: Partial<Record<ApiMethod, ApiHandler>>;
}

// DRF's http_method_names order, the order of its Allow header; HEAD follows GET.
const METHOD_ORDER = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];

function allowOf(route: ApiRoute): string[] {
  const own: string[] = Object.keys(route.methods);
  if (own.includes('GET')) own.push('HEAD');
  return METHOD_ORDER.filter((m) => own.includes(m));
}

export function registerApiRoute(app: FastifyInstance, services: AdminServices, route: ApiRoute): void {
  const allow = allowOf(route);
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Allow', allow.join(', '));
    return sendGeneric(reply, await answer(request, services, route, allow));
  };
  const others = app.supportedMethods.filter((m) => !allow.includes(m));
  for (const url of [route.path, route.path.slice(0, -1)]) {
    app.route({ method: allow, url, handler, exposeHeadRoute: false, schema: { tags: ['admin'], summary: route.summary } });
    app.route({ method: others, url, handler, exposeHeadRoute: false, schema: { hide: true } });
  }
}

async function answer(request: FastifyRequest, services: AdminServices, route: ApiRoute, allow: string[]): Promise<GenericReply> {
  const { ctx } = services;
  const auth = await ctx.v1Auth.authenticate(request.headers.authorization, { knox: true, bearer: true });
  if (!auth.ok) return auth.denylisted ? API.denylisted : authFailed(auth.error);
  if (auth.auth.kind === 'none') return API.noCredentials;
  const staff = auth.auth.user;
  if (!isStaff(staff)) return API.forbidden;
  // A bucket of its own, so admin work and the same user's v1 calls don't starve each other.
  const verdict = await ctx.throttle.check('admin-api', staff.id, ctx.config.throttleUser);
  if (!verdict.allowed) return throttled(verdict.retryAfterSec);
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  const handle = route.methods[method as ApiMethod];
  if (!handle || !allow.includes(request.method)) return methodNotAllowed(request.method);
  const actor: Actor = { user: staff, meta: requestMeta(request, 'admin-api') };
  return handle({ request, services, staff, actor, params: request.params as Record<string, string> });
}
