// How the account surface behaves around its views: DRF's (http/drf-style.ts), with the
// `Token` header as its credential. Routes are declared in the files beside this one.
import type { KeyHolder } from '../../core/account-keys.js';
import { drfStyle } from '../../http/drf-style.js';
import type { Call, RouteDecl } from '../../http/route.js';
import { TOKEN_NOT_PROVIDED, readTokenHeader } from './auth.js';

/** The holder of the key the `Token` header presented, or null. */
export type AccountAuth = KeyHolder | null;
export type AccountCall = Call<AccountAuth>;
export type AccountRoute = RouteDecl<AccountAuth>;

export const accountStyle = drfStyle<KeyHolder>({ surface: 'account', authenticate: readTokenHeader, notProvided: TOKEN_NOT_PROVIDED, securityScheme: 'accountToken' });

/** Routes have no trailing slash (§1.1). */
export function accountPath(name: string): string {
  return `/account/${name}`;
}
