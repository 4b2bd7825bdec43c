// What every view of this surface receives and returns; the route wrapper (routes.ts) does
// the token checks before and the cookies after.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Authenticated } from './auth.js';
import type { Outcome } from './reply.js';
import type { UserAccountTokens } from '../../core/user-account-tokens.js';

/** `refuse`: a token is optional, and a valid one is answered 403 "user is already authenticated". */
export type TokenMode = 'none' | 'required' | 'refuse';

export interface ViewInput {
  request: FastifyRequest;
  /** The verified token's user; null when the route reads no token or none was sent. */
  auth: Authenticated | null;
}

export type View = (input: ViewInput) => Promise<Outcome>;

export interface Endpoint {
  token: TokenMode;
  view: View;
}

export interface Deps {
  ctx: AppContext;
  tokens: UserAccountTokens;
}

/**
 * The `<token>` of `confirm_email/<token>` and `reset_password/<token>`: one non-empty path
 * segment, as Flask's converter matched it. A wildcard instead of a `:token` parameter, so that
 * a token of any length gets this surface's own answer rather than the router's.
 */
export function pathToken(request: FastifyRequest): string {
  return (request.params as Record<string, string | undefined>)['*'] ?? '';
}
