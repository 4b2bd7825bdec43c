// The password check shared by login-knox/ and login-jwt/ (v1.md §3.2, §3.3, §1.8): the core
// login does the 128-character cap, lockout, the dummy hash for unknown accounts, the streak,
// last_login, audit and the second-factor gate; this maps its outcome onto the v1 answers. For
// an account with TOTP on, a right password answers the challenge of mfa.md §3.1 instead of a
// credential: `login/mfa/` (mfa.ts) then completes the login of the kind that started it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { MFA_METHODS } from '../../core/mfa/index.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { type V1LoginKind, answerV1Login, v1Issuer } from './issue-login.js';
import { type Challenge, LOCKED, NO_STORE, TEXT, json, unauthorized } from './messages.js';

/** mfa.md §3.1: 200, no credential and no cookie; the token only ever travels in this body. */
function secondStepAnswer(mfaToken: string): GenericReply {
  return json(200, { mfa_required: true, mfa_token: mfaToken, methods: [...MFA_METHODS] }, NO_STORE);
}

/** The answer of a password login of `method`: its credential, the second step, or the refusal. */
export async function passwordLogin(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  email: string,
  password: string,
  method: V1LoginKind,
  challenge: Challenge,
): Promise<GenericReply> {
  const user = await ctx.accounts.byEmail(email);
  const meta = requestMeta(request, 'v1');
  const outcome = await ctx.login.attempt({ user, password, identifier: email, method, meta, secondFactor: method }, v1Issuer(ctx, meta, method));
  if (outcome.ok) return answerV1Login(ctx, request, reply, outcome.user, outcome.issued);
  if (outcome.reason === 'locked') return LOCKED;
  // A v1 login always can ask for the code; a missing challenge would be a refusal, never a pass.
  if (outcome.reason === 'mfa_required' && outcome.challenge) return secondStepAnswer(outcome.challenge.mfaToken);
  return unauthorized(TEXT.badCredentials, challenge);
}
