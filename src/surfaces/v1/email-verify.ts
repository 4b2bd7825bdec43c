// email/verify/ and email/verify/<token>/ (v1.md §5.6, §5.7). The token is bound to the address
// it was mailed to, so it stops working once the account's email changes; within its 24 hours
// it may be used again, and only the first use is audited.
import { person } from '../../core/accounts.js';
import { throttleMessage } from '../../core/throttle.js';
import { publicBase, requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { TEXT, invalid, json, throttled } from './messages.js';
import { type Call, type RouteSpec, type V1Deps, signedIn } from './pipeline.js';

const NO_EMAIL = invalid([TEXT.noEmail]);
const ALREADY = json(200, TEXT.alreadyVerified);
const SENT_ANSWER = json(200, TEXT.verificationSent);
const VERIFIED = json(200, TEXT.emailVerified);
const TOKEN_INVALID = invalid([TEXT.verifyTokenInvalid]);

export function emailRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx } = deps;

  async function send({ request, auth }: Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    if (!user.email) return NO_EMAIL;
    if (user.email_verified === 1) return ALREADY;
    const outcome = await ctx.accountMail.sendV1Verification(user, publicBase(request, ctx.config));
    if (outcome.status === 'limited') {
      const wait = Math.max(1, Math.ceil(outcome.retryAfterMs / 1000));
      return throttled(wait, throttleMessage(wait));
    }
    return outcome.status === 'sent' ? SENT_ANSWER : NO_EMAIL;
  }

  async function confirm({ request, params }: Call): Promise<GenericReply> {
    const row = await ctx.emailTokens.find(params.token ?? '', 'v1-verify');
    const user = row ? await ctx.accounts.byNumber(row.user_number) : undefined;
    if (!row || !user || user.email === null || user.email !== row.email) return TOKEN_INVALID;
    // Conditional, so two concurrent first uses audit once.
    const r = await ctx.db.updateTable('users').set({ email_verified: 1 }).where('number', '=', user.number).where('email_verified', '=', 0).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) {
      await ctx.audit.record({ event: 'email.verify', meta: requestMeta(request, 'v1'), user: person(user), details: { email: user.email } });
    }
    return VERIFIED;
  }

  return [
    { path: 'email/verify/', name: 'Email Verify', credential: 'required', throttle: 'user', methods: { POST: { view: send } } },
    { path: 'email/verify/:token/', name: 'Email Verify Confirm', credential: 'optional', throttle: 'anon', methods: { GET: { view: confirm } } },
  ];
}
