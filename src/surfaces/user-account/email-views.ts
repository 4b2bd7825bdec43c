// confirm_email, reset_password_request and reset_password (user-account.md §5.3, §5.5, §5.6).
import { requestMeta } from '../../http/request.js';
import { checkFields, readObject, unmatchableName, type FieldSpec } from './fields.js';
import { CHECK_EMAIL, WRONG_TOKEN, msg, type Outcome } from './reply.js';
import { resetFormPage, wrongTokenPage } from './reset-page.js';
import { pathToken, type Deps, type ViewInput } from './views.js';

const USERNAME_FIELD: FieldSpec[] = [{ name: 'username', required: true }];
const NEW_PASSWORD_FIELD: FieldSpec[] = [{ name: 'new_pwd', required: true, max: 128 }];

const USER_NOT_FOUND = msg(400, 'user not found');
const EMAIL_CONFIRMED = msg(200, 'Your email has been confirmed.');
const PASSWORD_RESET = msg(200, 'Your password has been reset.');

export function emailViews({ ctx }: Deps) {
  /** §5.5: reusable while it lives, void once the address changed. */
  async function confirmEmail({ request }: ViewInput): Promise<Outcome> {
    const r = await ctx.actions.verifyEmail(pathToken(request), 'ua-confirm', { meta: requestMeta(request, 'user-account') });
    return r.ok ? EMAIL_CONFIRMED : WRONG_TOKEN;
  }

  /** §5.3 (the token check happened before: a valid token never gets here). */
  async function resetRequest({ request }: ViewInput): Promise<Outcome> {
    const read = readObject(request);
    if (!read.ok) return read.outcome;
    const fields = checkFields(read.body, USERNAME_FIELD);
    if (!fields.ok) return fields.outcome;
    const username = fields.values.username as string;
    const user = unmatchableName(username) ? undefined : await ctx.accounts.byUsername(username);
    if (!user) return USER_NOT_FOUND;
    await ctx.actions.requestUaReset(user, { meta: requestMeta(request, 'user-account') });
    return CHECK_EMAIL;
  }

  /** §5.6 GET: the form for a live token, a "Wrong token" page otherwise. */
  async function resetPage({ request }: ViewInput): Promise<Outcome> {
    const user = await ctx.actions.resetTokenOwner(pathToken(request), 'ua-reset');
    return user ? resetFormPage() : wrongTokenPage();
  }

  /**
   * §5.6 POST: body, token, field, then the core's reset: one transaction that consumes the
   * token, so of two submissions exactly one wins.
   */
  async function resetSubmit({ request }: ViewInput): Promise<Outcome> {
    const token = pathToken(request);
    const read = readObject(request);
    if (!read.ok) return read.outcome;
    if (!(await ctx.actions.resetTokenOwner(token, 'ua-reset'))) return WRONG_TOKEN;
    const fields = checkFields(read.body, NEW_PASSWORD_FIELD);
    if (!fields.ok) return fields.outcome;
    const done = await ctx.actions.completeReset(token, 'ua-reset', fields.values.new_pwd as string, { meta: requestMeta(request, 'user-account') });
    return done.ok ? PASSWORD_RESET : WRONG_TOKEN;
  }

  return { confirmEmail, resetRequest, resetPage, resetSubmit };
}
