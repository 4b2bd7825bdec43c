// How the api-user surface behaves around its views: DRF's (http/drf-style.ts), with the
// `JWT` header as its credential. Routes are declared in the files beside this one.
import type { User } from '../../core/accounts.js';
import { drfStyle } from '../../http/drf-style.js';
import type { Call, RouteDecl } from '../../http/route.js';
import { JWT_NOT_PROVIDED, readJwtHeader } from './auth.js';

export const API_USER_PREFIX = '/api/user/';

/** The caller found by the `JWT` header, or null. */
export type ApiUserAuth = User | null;
export type ApiUserCall = Call<ApiUserAuth>;
export type ApiUserRoute = RouteDecl<ApiUserAuth>;

export const apiUserStyle = drfStyle<User>({ surface: 'api-user', authenticate: readJwtHeader, notProvided: JWT_NOT_PROVIDED, securityScheme: 'apiUserJwt' });

/** These routes match with or without one trailing slash (§1.1); the first is documented. */
export function withAndWithoutSlash(name: string): string[] {
  return [API_USER_PREFIX + name, `${API_USER_PREFIX}${name}/`];
}
