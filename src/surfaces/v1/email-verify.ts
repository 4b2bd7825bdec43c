// email/verify/ and email/verify/<token>/ (v1.md §5.6, §5.7). The token is bound to the address
// it was mailed to, so it stops working once the account's email changes; within its 24 hours
// it may be used again, and only the first use is audited.
import type { AppContext } from '../../context.js';
import { throttleMessage } from '../../core/throttle.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { TEXT, invalid, json, throttled } from './messages.js';
import { COMMON, says } from './schemas.js';
import { type V1Call, type V1Route, signedIn, v1Path } from './style.js';

const NO_EMAIL = invalid([TEXT.noEmail]);
const ALREADY = json(200, TEXT.alreadyVerified);
const SENT_ANSWER = json(200, TEXT.verificationSent);
const VERIFIED = json(200, TEXT.emailVerified);
const TOKEN_INVALID = invalid([TEXT.verifyTokenInvalid]);

export function emailRoutes(ctx: AppContext): V1Route[] {
  async function send({ auth }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    if (!user.email) return NO_EMAIL;
    if (user.email_verified === 1) return ALREADY;
    const outcome = await ctx.accountMail.sendV1Verification(user);
    if (outcome.status === 'limited') {
      const wait = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      return throttled(wait, throttleMessage(wait));
    }
    return outcome.status === 'sent' ? SENT_ANSWER : NO_EMAIL;
  }

  async function confirm({ request, params }: V1Call): Promise<GenericReply> {
    const r = await ctx.actions.verifyEmail(params.token ?? '', 'v1-verify', { meta: requestMeta(request, 'v1') });
    return r.ok ? VERIFIED : TOKEN_INVALID;
  }

  return [
    {
      paths: [v1Path('email/verify/')],
      name: 'Email Verify',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1SendVerificationMail',
          summary: 'Mail a verification link to the caller’s address (at most one a minute)',
          responses: { 200: says('Verification email sent.', 'Email already verified.'), 400: says('Email error. This account has no email address.'), ...COMMON },
          handle: send,
        },
      },
    },
    {
      paths: [v1Path('email/verify/:token/')],
      name: 'Email Verify Confirm',
      credential: 'optional',
      throttle: 'anon',
      methods: {
        GET: {
          operationId: 'v1ConfirmEmail',
          summary: 'Prove the address with the mailed token',
          responses: { 200: says('Email verified.'), 400: says('Invalid or expired token.'), ...COMMON },
          handle: confirm,
        },
      },
    },
  ];
}
