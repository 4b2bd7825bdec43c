// confirm_email, reset_password_request and reset_password (user-account.md §5.3, §5.5, §5.6).
// The mailed token is the path's last segment, of any length: a wildcard (http/route.ts).
import type { AppContext } from '../../context.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { checkFields, readFlaskJson, unmatchableName, type FieldRule } from './fields.js';
import { resetFormPage, wrongTokenPage } from './reset-page.js';
import { BODY_ERRORS, NewPasswordField, REFUSED_TOKEN_ERRORS, REISSUE_NOTE, UsernameField, badBody, said } from './schemas.js';
import { NEW_PASSWORD_BODY, RESET_REQUEST_BODY } from './examples.js';
import { type UaCall, type UaRoute, uaPath } from './style.js';
import { CHECK_EMAIL, WRONG_TOKEN, msg } from './words.js';

const USERNAME_FIELD: FieldRule[] = [{ name: 'username', required: true }];
const NEW_PASSWORD_FIELD: FieldRule[] = [{ name: 'new_pwd', required: true, max: 128 }];

const USER_NOT_FOUND = msg(400, 'user not found');
const EMAIL_CONFIRMED = msg(200, 'Your email has been confirmed.');
const PASSWORD_RESET = msg(200, 'Your password has been reset.');

const REFUSES_TOKEN = 'A token sent along (header or cookie, with its CSRF check) is checked, and a valid one refused.';

export function uaEmailRoutes(ctx: AppContext): UaRoute[] {
  /** §5.5: reusable while it lives, void once the address changed. */
  async function confirmEmail({ request, params }: UaCall): Promise<GenericReply> {
    const r = await ctx.actions.verifyEmail(params.token, 'ua-confirm', { meta: requestMeta(request, 'user-account') });
    return r.ok ? EMAIL_CONFIRMED : WRONG_TOKEN;
  }

  /** §5.3 (the token check happened before: a valid token never gets here). */
  async function resetRequest({ request }: UaCall): Promise<GenericReply> {
    const read = readFlaskJson(request);
    if (!read.ok) return read.answer;
    const fields = checkFields(read.body, USERNAME_FIELD);
    if (!fields.ok) return fields.answer;
    const username = fields.values.username as string;
    const user = unmatchableName(username) ? undefined : await ctx.accounts.byUsername(username);
    if (!user) return USER_NOT_FOUND;
    await ctx.actions.requestUaReset(user, { meta: requestMeta(request, 'user-account') });
    return CHECK_EMAIL;
  }

  /** §5.6 GET: the form for a live token, a "Wrong token" page otherwise. */
  async function resetPage({ params }: UaCall): Promise<GenericReply> {
    const user = await ctx.actions.resetTokenOwner(params.token, 'ua-reset');
    return user ? resetFormPage() : wrongTokenPage();
  }

  /**
   * §5.6 POST: body, token, field, then the core's reset: one transaction that consumes the
   * token, so of two submissions exactly one wins.
   */
  async function resetSubmit({ request, params }: UaCall): Promise<GenericReply> {
    const { token } = params;
    const read = readFlaskJson(request);
    if (!read.ok) return read.answer;
    if (!(await ctx.actions.resetTokenOwner(token, 'ua-reset'))) return WRONG_TOKEN;
    const fields = checkFields(read.body, NEW_PASSWORD_FIELD);
    if (!fields.ok) return fields.answer;
    const done = await ctx.actions.completeReset(token, 'ua-reset', fields.values.new_pwd as string, { meta: requestMeta(request, 'user-account') });
    return done.ok ? PASSWORD_RESET : WRONG_TOKEN;
  }

  const json = { accept: ['json'], readByHandler: true } as const;

  return [
    {
      paths: [uaPath('reset_password_request')],
      name: 'reset_password_request',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'userAccountRequestPasswordReset',
          summary: 'Mail a password reset link',
          description: `${REFUSES_TOKEN} At most one mail per account per 60 s; an account without an email gets the same answer and no mail. ${REISSUE_NOTE}`,
          body: { ...json, schema: UsernameField, example: RESET_REQUEST_BODY },
          responses: { 200: said('"Check your email..."', 'Check your email...'), 400: badBody('user not found', '"user not found"'), ...REFUSED_TOKEN_ERRORS, ...BODY_ERRORS },
          handle: resetRequest,
        },
      },
    },
    {
      paths: [uaPath('confirm_email/*')],
      wildcard: 'token',
      name: 'confirm_email',
      credential: 'none',
      methods: {
        GET: {
          operationId: 'userAccountConfirmEmail',
          summary: 'Confirm the email address with a mailed token',
          description: 'Repeatable while the token lives (10 minutes); void once the address changed.',
          responses: { 200: said('"Your email has been confirmed."', 'Your email has been confirmed.'), 400: said('"Wrong token"', 'Wrong token') },
          handle: confirmEmail,
        },
      },
    },
    {
      paths: [uaPath('reset_password/*')],
      wildcard: 'token',
      name: 'reset_password',
      // The page reads no token; the reset refuses a valid one.
      credential: 'optional',
      extra: { credentialOf: { GET: 'none' } },
      methods: {
        GET: {
          operationId: 'userAccountPasswordResetPage',
          summary: 'The page the mailed reset link opens (HTML form)',
          responses: {
            200: { description: 'The form: the new password twice, posted as JSON to this URL', contentType: 'text/html' },
            400: { description: 'A "Wrong token" page', contentType: 'text/html' },
          },
          handle: resetPage,
        },
        POST: {
          operationId: 'userAccountResetPassword',
          summary: 'Set a new password with the mailed token; every session of the user ends',
          description: `The token is single-use. ${REFUSES_TOKEN} ${REISSUE_NOTE}`,
          body: { ...json, schema: NewPasswordField, example: NEW_PASSWORD_BODY },
          responses: { 200: said('"Your password has been reset."', 'Your password has been reset.'), 400: badBody('Wrong token', '"Wrong token"'), ...REFUSED_TOKEN_ERRORS, ...BODY_ERRORS },
          handle: resetSubmit,
        },
      },
    },
  ];
}
