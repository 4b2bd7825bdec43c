// password/reset/ and password/reset/confirm/ (v1.md §5.4, §5.5). The request answers the same,
// in the same time, whether or not an account has the address: both paths do the one lookup
// before answering, and the work for a real account (token, mail, audit) is queued behind the
// response. The confirm step consumes the single-use token and ends every session of the user.
import { type User, person } from '../../core/accounts.js';
import type { FastifyReply } from 'fastify';
import type { RequestMeta } from '../../core/audit.js';
import { v1PasswordProblem } from '../../core/password-rules.js';
import { publicBase, requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { TEXT, invalid, json } from './messages.js';
import type { Call, RouteSpec, V1Deps } from './pipeline.js';
import { resetPage } from './reset-page.js';
import { type FieldSpec, emailFormat, passwordField, validate } from './validation.js';

/**
 * Runs `work` once the answer has been handed to the socket (or the client went away), so
 * that nothing it does, not even a synchronous SQLite write, can delay or shape the answer.
 */
function afterResponse(reply: FastifyReply, work: () => Promise<void>, onError: (err: unknown) => void): void {
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    setImmediate(() => work().catch(onError));
  };
  reply.raw.once('finish', start);
  reply.raw.once('close', start);
}

const REQUEST_FIELDS: FieldSpec[] = [{ key: 'email', validators: [emailFormat] }];
const CONFIRM_FIELDS: FieldSpec[] = [{ key: 'token' }, passwordField('password'), passwordField('confirm_password')];
const SENT_ANSWER = json(200, TEXT.resetSent);
const DONE = json(200, TEXT.resetDone);
const TOKEN_INVALID = invalid([TEXT.resetTokenInvalid]);

export function resetRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx } = deps;

  /** The work for a matched account, run after the answer has gone out: mail only to an active one. */
  async function mailReset(user: User, base: string, meta: RequestMeta): Promise<void> {
    const mail = user.is_active === 1 ? (await ctx.accountMail.sendV1Reset(user, base)).status : 'inactive';
    await ctx.audit.record({ event: 'password.reset.request', meta, user: person(user), details: { mail } });
  }

  async function requestReset({ request, reply, body }: Call): Promise<GenericReply> {
    const v = await validate(body, REQUEST_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const user = await ctx.accounts.byEmail(v.values.email);
    if (user) {
      const base = publicBase(request, ctx.config);
      const meta = requestMeta(request, 'v1');
      afterResponse(reply, () => mailReset(user, base, meta), (err) => ctx.log.error({ err }, 'password reset request failed after answering'));
    }
    return SENT_ANSWER;
  }

  async function page(): Promise<GenericReply> {
    return resetPage();
  }

  /**
   * The token must be live and issued to the address the account still has (it proves that
   * mailbox); it is consumed only once the new password passes the rules.
   */
  async function confirm({ request, body }: Call): Promise<GenericReply> {
    const v = await validate(body, CONFIRM_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const { token, password, confirm_password } = v.values;
    const row = await ctx.emailTokens.find(token, 'v1-reset');
    const user = row ? await ctx.accounts.byNumber(row.user_number) : undefined;
    if (!row || !user || user.email === null || user.email !== row.email) return TOKEN_INVALID;
    const problem = v1PasswordProblem(password, confirm_password);
    if (problem) return invalid([`Password error. ${problem}`]);
    if (!(await ctx.emailTokens.consume(token, 'v1-reset'))) return TOKEN_INVALID;
    await ctx.accounts.setPassword(user.number, password);
    if (user.email_verified !== 1) await ctx.accounts.update(user.number, { emailVerified: true });
    await ctx.revocation.endAllSessions(user, 'revoked');
    await ctx.lockout.clear(user.number);
    await ctx.audit.record({ event: 'password.reset.complete', meta: requestMeta(request, 'v1'), user: person(user) });
    return DONE;
  }

  return [
    { path: 'password/reset/', name: 'Password Reset', credential: 'optional', throttle: 'anon', methods: { POST: { view: requestReset, parse: true } } },
    {
      path: 'password/reset/confirm/',
      name: 'Password Reset Confirm',
      credential: 'optional',
      throttle: 'anon',
      methods: { GET: { view: page }, POST: { view: confirm, parse: true } },
    },
  ];
}
