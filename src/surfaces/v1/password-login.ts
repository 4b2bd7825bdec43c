// The password check shared by login-knox/ and login-jwt/ (v1.md §3.2, §3.3, §1.8): the core
// login does the 128-character cap, lockout, the dummy hash for unknown accounts, the streak,
// last_login and audit; this maps its outcome onto the v1 answers.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { type Challenge, LOCKED, TEXT, unauthorized } from './messages.js';

export type PasswordLogin = { ok: true; user: User } | { ok: false; reply: GenericReply };

export async function passwordLogin(
  ctx: AppContext,
  request: FastifyRequest,
  email: string,
  password: string,
  method: 'knox' | 'jwt',
  challenge: Challenge,
): Promise<PasswordLogin> {
  const user = await ctx.accounts.byEmail(email);
  const outcome = await ctx.login.attempt({ user, password, identifier: email, method, meta: requestMeta(request, 'v1') });
  if (outcome.ok) return outcome;
  return { ok: false, reply: outcome.reason === 'locked' ? LOCKED : unauthorized(TEXT.badCredentials, challenge) };
}
