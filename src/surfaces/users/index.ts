// Surface `users` (users.md, seed 003): a Django-style JSON API over the shared browser
// session: register, login with lockout, logout and avatar upload under /users/, the CSRF
// cookie at / and /get-csrf-token/, and avatars under /media/.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Surface } from '../../http/surface.js';
import { uploadAvatar } from './avatar.js';
import { installCors } from './cors.js';
import { csrfToken, hello } from './csrf-token.js';
import { login, logout } from './login.js';
import { serveAvatar } from './media.js';
import { type RouteSpec, addRoute, addSlashRedirect } from './pipeline.js';
import { register } from './register.js';
import { REPLY } from './replies.js';

const PREFIXES = ['/users/', '/media/'];
const EXACT = new Set(['/', '/get-csrf-token/', '/get-csrf-token', '/users', '/media']);

const ROUTES: readonly RouteSpec[] = [
  { url: '/', methods: ['GET'], summary: 'Hello, with the CSRF cookie', handle: hello },
  { url: '/get-csrf-token/', methods: ['GET'], summary: 'Sets the CSRF cookie', handle: csrfToken },
  { url: '/users/register/', methods: ['POST'], summary: 'Register a user', handle: register },
  { url: '/users/login/', methods: ['POST'], summary: 'Log in (session cookie)', handle: login },
  { url: '/users/logout/', methods: ['POST'], needsLogin: true, summary: 'Log out', handle: logout },
  { url: '/users/avatar/', methods: ['POST'], needsLogin: true, summary: 'Upload an avatar (multipart, field avatar)', handle: uploadAvatar },
  { url: '/media/avatars/:number/:filename(^.+$)', methods: ['GET', 'HEAD'], cacheable: true, summary: 'A user\u2019s current avatar', handle: serveAvatar },
];

/** Paths answered by this surface, for its CORS headers. */
function ownsPath(path: string): boolean {
  return EXACT.has(path) || PREFIXES.some((p) => path.startsWith(p));
}

export const surface: Surface = {
  name: 'users',
  prefixes: PREFIXES,
  async register(app: FastifyInstance, ctx: AppContext) {
    installCors(app, ctx, ownsPath);
    for (const route of ROUTES) {
      addRoute(app, ctx, route);
      if (route.url.length > 1 && route.url.endsWith('/')) addSlashRedirect(app, route.url);
    }
  },
  notFound: () => REPLY.notFound,
  failures: { tooLarge: REPLY.tooLarge, badRequest: REPLY.badRequest, internal: REPLY.internal, unavailable: REPLY.unavailable },
};
