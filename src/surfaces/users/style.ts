// How the `users` surface behaves around its views (users.md §1.1–§1.3): routing first (an
// unknown path is a 404 and a slash-less route a 301, before anything else), then CSRF on unsafe
// methods, then the session (the login slot slides on every request that carries it), then 401
// where a login is needed, then 405 with an empty body, and only then the view.
//
// The checks run before Fastify buffers the body, so a refused request never gets up to 16 MiB
// read. The one exception is a form or multipart request without the X-CSRFToken header: its
// token may be the `csrfmiddlewaretoken` field, so its CSRF check waits for the body.
import { csrfStage } from '../../http/csrf.js';
import type { Call, RouteDecl, Stage, Style } from '../../http/route.js';
import { type LoggedIn, sessionLoginStage } from '../../http/session-login.js';
import { REPLY, csrfRefusal } from './replies.js';

/** Who is logged in through the shared session, or null. */
export type UsersAuth = LoggedIn | null;
export type UsersCall = Call<UsersAuth>;
export type UsersRoute = RouteDecl<UsersAuth>;

/** The login of a route declared `required`: the style has answered 401 otherwise. */
export function loggedIn(auth: UsersAuth): LoggedIn {
  if (!auth) throw new Error('users view reached without the login its route requires');
  return auth;
}

/** 401 before 405 on the routes that need a login (§2.4, §2.5). */
const needsLogin: Stage<UsersAuth> = async ({ route, auth }) => (route.credential === 'required' && !auth ? REPLY.notAuthenticated : undefined);

// Answers here may carry the session and CSRF cookies (v1.md §0.13); a route that takes no
// session (the media) is public and cacheable.
const NO_STORE = Object.freeze({ 'Cache-Control': 'no-store' });
const NO_HEADERS = Object.freeze({});

export const usersStyle: Style<UsersAuth> = {
  surface: 'users',
  tag: 'users',
  order: ['csrf', 'login', 'permission', 'method', 'body'],
  stages: { csrf: csrfStage(csrfRefusal), login: sessionLoginStage, permission: needsLogin },
  anonymous: null,
  // Django's View answered 405 listing only the methods the view defines; OPTIONS is one more 405.
  allow: { order: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], head: true, options: false },
  allowOnEveryAnswer: false,
  checkBeforeBody: true,
  redirectSlashless: true,
  headers: (route) => (route.credential === 'none' ? NO_HEADERS : NO_STORE),
  // register and login read the raw body themselves and the avatar reads it leniently, so no
  // body is refused for its type or syntax; these answers are for completeness.
  words: {
    methodNotAllowed: () => REPLY.methodNotAllowed,
    unsupportedMediaType: () => REPLY.badRequest,
    malformedJson: () => REPLY.invalidJson,
    malformedMultipart: () => REPLY.badRequest,
  },
  failures: { tooLarge: REPLY.tooLarge, badRequest: REPLY.badRequest, internal: REPLY.internal, unavailable: REPLY.unavailable },
  security: securityOf,
};

/** The session cookie where a login is needed; optional where the view only reads it (login). */
function securityOf(route: UsersRoute): Array<Record<string, string[]>> {
  if (route.credential === 'none') return [];
  return route.credential === 'required' ? [{ sessionCookie: [] }] : [{ sessionCookie: [] }, {}];
}
