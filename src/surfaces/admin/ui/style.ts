// How the admin web UI behaves around its pages (admin.md §2.1): the page headers on every
// answer; the posted form read (a form that cannot be read counts as empty); CSRF on unsafe
// methods (users.md §1.3, before anything else); the method (a 405 page); then who is logged
// in: a staff page sends anyone else to the login page and carries out nothing.
//
// A view gets a UiCall: the request, the posted form, the login, and the helpers that make a
// page in the admin frame (with the CSRF token for its forms and the pending one-time notice).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../../context.js';
import type { User } from '../../../core/accounts.js';
import type { Actor } from '../../../core/admin/outcomes.js';
import { isStaff } from '../../../core/admin/permissions.js';
import { csrfCookie, csrfStage, newCsrfToken, setCsrfCookie } from '../../../http/csrf.js';
import { requestMeta } from '../../../http/request.js';
import type { Answer, Call, CredentialNeed, Operation, RouteDecl, Stage, Style } from '../../../http/route.js';
import { type LoggedIn, sessionLoginStage } from '../../../http/session-login.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { type LayoutOptions, layout } from './layout.js';
import { type NoticeCode, setNotice, takeNotice } from './notices.js';
import { loginRedirect } from './paths.js';
import { UI, UI_HEADERS, UI_MESSAGES, csrfFailurePage, errorPage, htmlReply, redirect } from './replies.js';

/** Who is logged in through the shared session, or null. */
export type UiAuth = LoggedIn | null;
export type UiRoute = RouteDecl<UiAuth>;

export interface UiCall {
  request: FastifyRequest;
  reply: FastifyReply;
  ctx: AppContext;
  services: AdminServices;
  params: Record<string, string>;
  /** The posted form ({} when there is none or it is not a form). */
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

/**
 * Sends anyone but logged-in staff to the login page from a staff page, before its view; staff
 * that the two-factor policy refuses (ADMIN_REQUIRE_MFA) get its 403 page, logout excepted.
 */
const staffOnly: Stage<UiAuth> = async ({ ctx, route, auth, request }) => {
  if (route.credential !== 'required') return undefined;
  if (!auth || !isStaff(auth.user)) return redirect(loginRedirect(request.url));
  if (route.extra?.mfaPolicyExempt) return undefined;
  return (await ctx.admin.refusedByMfaPolicy(auth.user)) ? UI.mfaRequired : undefined;
};

const NO_HEADERS = Object.freeze({});

export const adminUiStyle: Style<UiAuth> = {
  surface: 'admin',
  tag: 'admin',
  order: ['body', 'csrf', 'method', 'login', 'permission'],
  stages: { csrf: csrfStage(csrfFailurePage), login: sessionLoginStage, permission: staffOnly },
  anonymous: null,
  allow: { order: ['GET', 'HEAD', 'POST'], head: true, options: false },
  allowOnEveryAnswer: false,
  // The stylesheet, the one route without the session, is an asset with cache headers of its own.
  headers: (route) => (route.credential === 'none' ? NO_HEADERS : UI_HEADERS),
  defaultBody: { accept: ['form'], lenient: true, schema: {} },
  // The form is read leniently (a body that is not one counts as an empty form), so only the
  // 405 page is ever used; the others answer like any bad request.
  words: {
    methodNotAllowed: () => errorPage(405, UI_MESSAGES.methodNotAllowed),
    unsupportedMediaType: () => UI.badRequest,
    malformedJson: () => UI.badRequest,
    malformedMultipart: () => UI.badRequest,
  },
  failures: { tooLarge: UI.tooLarge, badRequest: UI.badRequest, internal: UI.serverError, unavailable: UI.unavailable },
};

function uiCallOf(call: Call<UiAuth>, services: AdminServices): UiCall {
  const { ctx, request, reply, auth: login } = call;
  const form = (call.body ?? {}) as Record<string, string>;
  let token: string | undefined;
  const ui: UiCall = {
    request, reply, ctx, services, form, login,
    params: call.params,
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
      return htmlReply(status, layout({ ...o, staff, csrf: ui.csrf(), notice: takeNotice(request, reply, ctx.config) }));
    },
    redirect(location, notice) {
      if (notice) setNotice(reply, ctx.config, notice);
      return redirect(location);
    },
  };
  return ui;
}

type UiView<C> = (call: C) => Promise<GenericReply>;

function operation(name: string, method: string, handle: (call: Call<UiAuth>) => Promise<Answer>): Operation<UiAuth> {
  return { operationId: `adminPage${name.replace(/\W/g, '')}${method}`, summary: `${name} (HTML)`, responses: {}, handle };
}

function page<C>(path: string, name: string, credential: CredentialNeed, views: { GET?: UiView<C>; POST?: UiView<C> }, wrap: (view: UiView<C>) => (call: Call<UiAuth>) => Promise<Answer>): UiRoute {
  const methods: UiRoute['methods'] = {};
  if (views.GET) methods.GET = operation(name, 'Get', wrap(views.GET));
  if (views.POST) methods.POST = operation(name, 'Post', wrap(views.POST));
  return { paths: [path], name, credential, methods, undocumented: true };
}

/** A page anyone may reach (the login page). */
export function publicPage(services: AdminServices, path: string, name: string, views: { GET?: UiView<UiCall>; POST?: UiView<UiCall> }): UiRoute {
  return page(path, name, 'optional', views, (view) => (call) => view(uiCallOf(call, services)));
}

/** A page for staff only: the style has sent anyone else to the login page. */
export function staffPage(services: AdminServices, path: string, name: string, views: { GET?: UiView<StaffCall>; POST?: UiView<StaffCall> }): UiRoute {
  return page(path, name, 'required', views, (view) => (call) => {
    const ui = uiCallOf(call, services);
    if (!ui.login) throw new Error('admin page reached without the staff login its route requires');
    const staff = ui.login.user;
    return view({ ...ui, login: ui.login, staff, actor: { user: staff, meta: requestMeta(call.request, 'admin') } });
  });
}

/** A file served as it is, without the session (the stylesheet). */
export function assetRoute(path: string, name: string, serve: (call: Call<UiAuth>) => Promise<Answer>): UiRoute {
  return { paths: [path], name, credential: 'none', methods: { GET: operation(name, 'Get', serve) }, undocumented: true };
}
