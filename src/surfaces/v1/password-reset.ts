// password/reset/ and password/reset/confirm/ (v1.md §5.4, §5.5). The request answers the same,
// in the same time, whether or not an account has the address: both paths do the one lookup
// before answering, and the work for a real account (token, mail, audit) runs after the
// response. The confirm step is the core's reset: one transaction that consumes the token.
import type { AppContext } from '../../context.js';
import { v1PasswordProblem } from '../../core/password-rules.js';
import { afterResponse } from '../../http/after-response.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { TEXT, invalid, json } from './messages.js';
import { resetPage } from './reset-page.js';
import { BAD_REQUEST, COMMON, says } from './schemas.js';
import { RESET_BODY, RESET_CONFIRM_BODY } from './examples.js';
import { type V1Call, type V1Route, v1Path } from './style.js';
import { type FieldSpec, emailFormat, passwordField, validate } from './validation.js';

const REQUEST_FIELDS: FieldSpec[] = [{ key: 'email', validators: [emailFormat] }];
const CONFIRM_FIELDS: FieldSpec[] = [{ key: 'token' }, passwordField('password'), passwordField('confirm_password')];
const SENT_ANSWER = json(200, TEXT.resetSent);
const DONE = json(200, TEXT.resetDone);
const TOKEN_INVALID = invalid([TEXT.resetTokenInvalid]);

export function resetRoutes(ctx: AppContext): V1Route[] {
  async function requestReset({ request, reply, body }: V1Call): Promise<GenericReply> {
    const v = await validate(body, REQUEST_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const user = await ctx.accounts.byEmail(v.values.email);
    if (user) {
      const meta = requestMeta(request, 'v1');
      afterResponse(reply, () => ctx.actions.requestV1Reset(user, { meta }), (err) => ctx.log.error({ err }, 'password reset request failed after answering'));
    }
    return SENT_ANSWER;
  }

  async function page(): Promise<GenericReply> {
    return resetPage();
  }

  /** The token must be live; it is consumed only once the new password passes the rules. */
  async function confirm({ request, body }: V1Call): Promise<GenericReply> {
    const v = await validate(body, CONFIRM_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const { token, password, confirm_password } = v.values;
    if (!(await ctx.actions.resetTokenOwner(token, 'v1-reset'))) return TOKEN_INVALID;
    const problem = v1PasswordProblem(password, confirm_password);
    if (problem) return invalid([`Password error. ${problem}`]);
    const done = await ctx.actions.completeReset(token, 'v1-reset', password, { meta: requestMeta(request, 'v1') });
    return done.ok ? DONE : TOKEN_INVALID;
  }

  return [
    {
      paths: [v1Path('password/reset/')],
      name: 'Password Reset',
      credential: 'optional',
      throttle: 'anon',
      methods: {
        POST: {
          operationId: 'v1RequestPasswordReset',
          summary: 'Mail a reset link to the account with this email, if there is one (always the same answer)',
          body: { schema: Type.Object({ email: Type.String({ format: 'email' }) }, { required: ['email'] }), example: RESET_BODY },
          responses: { 200: says('If an account with that email exists, a password reset link has been sent.'), 400: BAD_REQUEST, ...COMMON },
          handle: requestReset,
        },
      },
    },
    {
      paths: [v1Path('password/reset/confirm/')],
      name: 'Password Reset Confirm',
      credential: 'optional',
      throttle: 'anon',
      methods: {
        GET: {
          operationId: 'v1PasswordResetPage',
          summary: 'The reset page the mailed link opens (HTML form)',
          query: Type.Object({ token: Type.Optional(Type.String()) }),
          responses: { 200: { description: 'The page', contentType: 'text/html' }, ...COMMON },
          handle: page,
        },
        POST: {
          operationId: 'v1ConfirmPasswordReset',
          summary: 'Set a new password with the mailed token; every session of the user ends',
          body: {
            schema: Type.Object(
              { token: Type.String(), password: Type.String({ maxLength: 128 }), confirm_password: Type.String({ maxLength: 128 }) },
              { required: ['token', 'password', 'confirm_password'] },
            ),
            example: RESET_CONFIRM_BODY,
          },
          responses: { 200: says('Password reset successful.'), 400: BAD_REQUEST, ...COMMON },
          handle: confirm,
        },
      },
    },
  ];
}
