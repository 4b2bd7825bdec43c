// Surface `users` (users.md, seed 003): a Django-style JSON API over the shared browser
// session: register, login with lockout, logout and avatar upload under /users/, the CSRF
// cookie at / and /get-csrf-token/, and avatars under /media/. Its routes are declared in the
// files beside this one and registered by the one route mechanism with the users style.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { mountRoutes } from '../../http/route.js';
import type { Surface } from '../../http/surface.js';
import { avatarUploadRoutes } from './avatar.js';
import { installCors } from './cors.js';
import { csrfTokenRoutes } from './csrf-token.js';
import { loginRoutes } from './login.js';
import { mediaRoutes } from './media.js';
import { registrationRoutes } from './register.js';
import { REPLY } from './replies.js';
import { type UsersRoute, usersStyle } from './style.js';

const PREFIXES = ['/users/', '/media/'];
const EXACT = new Set(['/', '/get-csrf-token/', '/get-csrf-token', '/users', '/media']);

function usersRoutes(): UsersRoute[] {
  return [...csrfTokenRoutes(), ...registrationRoutes(), ...loginRoutes(), ...avatarUploadRoutes(), ...mediaRoutes()];
}

/** Paths answered by this surface, for its CORS headers. */
function ownsPath(path: string): boolean {
  return EXACT.has(path) || PREFIXES.some((p) => path.startsWith(p));
}

export const surface: Surface = {
  name: 'users',
  prefixes: PREFIXES,
  async register(app: FastifyInstance, ctx: AppContext) {
    installCors(app, ctx, ownsPath);
    mountRoutes(app, ctx, usersStyle, usersRoutes());
  },
  notFound: () => REPLY.notFound,
  failures: usersStyle.failures,
};
