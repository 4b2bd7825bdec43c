// One admin UI route, in this order: (routing: an unknown path is a 404), CSRF on unsafe
// methods (users.md §1.3, before anything else), the method (405), then who is logged in:
// a staff route sends anyone else to the login page and carries out nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { User } from '../../../core/accounts.js';
import { parseBody } from '../../../http/body.js';
import { CSRF_FORM_FIELD, csrfCookie, csrfFailure, isUnsafeMethod, newCsrfToken, setCsrfCookie } from '../../../http/csrf.js';
import { requestMeta } from '../../../http/request.js';
import { type LoggedIn, currentLogin } from '../../../http/session-login.js';
import { type GenericReply, sendGeneric } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { Actor } from '../../../core/admin/outcomes.js';
import { isStaff } from '../../../core/admin/permissions.js';
import { type LayoutOptions, layout } from './layout.js';
import { type NoticeCode, setNotice, takeNotice } from './notices.js';
import { UI_PATHS, loginRedirect } from './paths.js';
import { UI_HEADERS, csrfFailed, htmlReply, methodNotAllowed, redirect } from './replies.js';

export interface UiCall {
  request: FastifyRequest;
  reply: FastifyReply;
  services: AdminServices;
  ctx: AppContext;
  params: Record<string, string>;
  /** The posted form ({} on GET). */
  form: Record<string, string>;
  login: LoggedIn | null;
  /** The CSRF token for this page's forms (the cookie's value; set when missing). */
  csrf(): string;
  /** A page in the admin frame, with the pending one-time notice. */
  page(o: Omit<LayoutOptions, 'staff' | 'csrf' | 'notice'>, status?: number): GenericReply;
  /** 302 to `location`, with a notice for the next page. */
  redirect(location: string, notice?: NoticeCode): GenericReply;
}

export interface StaffCall extends UiCall {
  login: LoggedIn;
  staff: User;
  actor: Actor;
}

type Handler<C> = (call: C) => Promise<GenericReply>;

export interface UiRoute<C> {
  path: string;
  get?: Handler<C>;
  post?: Handler<C>;
}

function allowOf(route: { get?: unknown; post?: unknown }): string[] {
  return [...(route.get ? ['GET', 'HEAD'] : []), ...(route.post ? ['POST'] : [])];
}

async function formOf(request: FastifyRequest): Promise<Record<string, string>> {
  if (!isUnsafeMethod(request.method)) return {};
  const parsed = await parseBody(request, ['form']);
  return parsed.kind === 'form' ? parsed.fields : {};
}

function makeCall(request: FastifyRequest, reply: FastifyReply, services: AdminServices, form: Record<string, string>, login: LoggedIn | null): UiCall {
  const { ctx } = services;
  let token: string | undefined;
  const call: UiCall = {
    request, reply, services, ctx, form, login,
    params: request.params as Record<string, string>,
    csrf() {
      token ??= csrfCookie(request);
      if (token === undefined) {
        token = newCsrfToken();
        setCsrfCookie(reply, ctx.config, token);
      }
      return token;
    },
    page(o, status = 200) {
      const staff = login && isStaff(login.user) ? login.user : null;
      return htmlReply(status, layout({ ...o, staff, csrf: call.csrf(), notice: takeNotice(request, reply, ctx.config) }));
    },
    redirect(location, notice) {
      if (notice) setNotice(reply, ctx.config, notice);
      return redirect(location);
    },
  };
  return call;
}

/** What registering needs to know of a route, whatever its handlers take. */
interface RouteShape {
  path: string;
  get?: unknown;
  post?: unknown;
}

/** Everything before the handler: the request either stops here with an answer, or goes on. */
async function prepare(request: FastifyRequest, reply: FastifyReply, services: AdminServices, route: RouteShape): Promise<{ stop: GenericReply } | { call: UiCall }> {
  for (const [k, v] of Object.entries(UI_HEADERS)) reply.header(k, v);
  const form = await formOf(request);
  if (isUnsafeMethod(request.method)) {
    const reason = csrfFailure(request, services.ctx.config, form[CSRF_FORM_FIELD]);
    if (reason) return { stop: csrfFailed(reason) };
  }
  const allow = allowOf(route);
  if (!allow.includes(request.method)) return { stop: methodNotAllowed(allow) };
  const login = await currentLogin(services.ctx, request, reply);
  return { call: makeCall(request, reply, services, form, login) };
}

function handlerOf<C>(route: UiRoute<C>, method: string): Handler<C> {
  return (method === 'POST' ? route.post : route.get)!;
}

function register(app: FastifyInstance, route: RouteShape, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>): void {
  // The slash-less 301 (index.ts) only knows the pages listed in UI_PATHS.
  if (!(UI_PATHS as readonly string[]).includes(route.path)) throw new Error(`admin UI path not listed in UI_PATHS: ${route.path}`);
  app.route({ method: app.supportedMethods, url: route.path, handler, exposeHeadRoute: false, schema: { hide: true } });
}

/** A page for staff only: anyone else is sent to the login page, nothing carried out. */
export function staffRoute(app: FastifyInstance, services: AdminServices, route: UiRoute<StaffCall>): void {
  register(app, route, async (request, reply) => {
    const prepared = await prepare(request, reply, services, route);
    if ('stop' in prepared) return sendGeneric(reply, prepared.stop);
    const { login } = prepared.call;
    if (!login || !isStaff(login.user)) return sendGeneric(reply, redirect(loginRedirect(request.url)));
    const call: StaffCall = { ...prepared.call, login, staff: login.user, actor: { user: login.user, meta: requestMeta(request, 'admin') } };
    return sendGeneric(reply, await handlerOf(route, request.method)(call));
  });
}

/** A page anyone may reach (login). */
export function publicRoute(app: FastifyInstance, services: AdminServices, route: UiRoute<UiCall>): void {
  register(app, route, async (request, reply) => {
    const prepared = await prepare(request, reply, services, route);
    if ('stop' in prepared) return sendGeneric(reply, prepared.stop);
    return sendGeneric(reply, await handlerOf(route, request.method)(prepared.call));
  });
}
