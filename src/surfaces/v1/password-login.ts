// The password check shared by login-knox/ and login-jwt/ (v1.md §3.2, §3.3, §1.8): the core
// login does the 128-character cap, lockout, the dummy hash for unknown accounts, the streak,
// last_login, audit and the second-factor gate; this maps its outcome onto the v1 answers. For
// an account with TOTP on, a right password answers the challenge of mfa.md §3.1 instead of a
// credential: `login/mfa/` (mfa.ts) then completes the login of the kind that started it.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { MFA_METHODS } from '../../core/mfa/index.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import type { V1LoginKind } from './issue-login.js';
import { type Challenge, LOCKED, NO_STORE, TEXT, json, unauthorized } from './messages.js';

export type PasswordLogin = { ok: true; user: User } | { ok: false; reply: GenericReply };

/** mfa.md §3.1: 200, no credential and no cookie; the token only ever travels in this body. */
function secondStepAnswer(mfaToken: string): GenericReply {
  return json(200, { mfa_required: true, mfa_token: mfaToken, methods: [...MFA_METHODS] }, NO_STORE);
}

export async function passwordLogin(
  ctx: AppContext,
  request: FastifyRequest,
  email: string,
  password: string,
  method: V1LoginKind,
  challenge: Challenge,
): Promise<PasswordLogin> {
  const user = await ctx.accounts.byEmail(email);
  const outcome = await ctx.login.attempt({ user, password, identifier: email, method, meta: requestMeta(request, 'v1'), secondFactor: method });
  if (outcome.ok) return outcome;
  if (outcome.reason === 'locked') return { ok: false, reply: LOCKED };
  // A v1 login always can ask for the code; a missing challenge would be a refusal, never a pass.
  if (outcome.reason === 'mfa_required' && outcome.challenge) return { ok: false, reply: secondStepAnswer(outcome.challenge.mfaToken) };
  return { ok: false, reply: unauthorized(TEXT.badCredentials, challenge) };
}
