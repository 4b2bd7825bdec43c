// confirm_email, reset_password_request and reset_password (user-account.md §5.3, §5.5, §5.6).
import { person, type User } from '../../core/accounts.js';
import type { EmailTokenRow } from '../../core/email-tokens.js';
import { requestMeta } from '../../http/request.js';
import { checkFields, readObject, unmatchableName, type FieldSpec } from './fields.js';
import { sendReset } from './mail.js';
import { CHECK_EMAIL, WRONG_TOKEN, msg, type Outcome } from './reply.js';
import { resetFormPage, wrongTokenPage } from './reset-page.js';
import { pathToken, type Deps, type ViewInput } from './views.js';

const USERNAME_FIELD: FieldSpec[] = [{ name: 'username', required: true }];
const NEW_PASSWORD_FIELD: FieldSpec[] = [{ name: 'new_pwd', required: true, max: 128 }];

const USER_NOT_FOUND = msg(400, 'user not found');
const EMAIL_CONFIRMED = msg(200, 'Your email has been confirmed.');
const PASSWORD_RESET = msg(200, 'Your password has been reset.');

export function emailViews({ ctx }: Deps) {
  /** The user a token row points at; a confirmation also needs the address it was sent to. */
  async function ownerOf(row: EmailTokenRow | null, sameEmail: boolean): Promise<User | null> {
    if (!row) return null;
    const user = await ctx.accounts.byNumber(row.user_number);
    if (!user) return null;
    return sameEmail && (user.email === null || user.email !== row.email) ? null : user;
  }

  /** §5.5: reusable while it lives, void once the address changed. */
  async function confirmEmail({ request }: ViewInput): Promise<Outcome> {
    const user = await ownerOf(await ctx.emailTokens.find(pathToken(request), 'ua-confirm'), true);
    if (!user) return WRONG_TOKEN;
    if (user.email_verified !== 1) {
      await ctx.accounts.update(user.number, { emailVerified: true });
      await ctx.audit.record({ event: 'email.verify', meta: requestMeta(request, 'user-account'), user: person(user) });
    }
    return EMAIL_CONFIRMED;
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
    await sendReset(ctx, request, user);
    await ctx.audit.record({ event: 'password.reset.request', meta: requestMeta(request, 'user-account'), user: person(user) });
    return CHECK_EMAIL;
  }

  /** §5.6 GET: the form for a live token, a "Wrong token" page otherwise. */
  async function resetPage({ request }: ViewInput): Promise<Outcome> {
    const user = await ownerOf(await ctx.emailTokens.find(pathToken(request), 'ua-reset'), false);
    return user ? resetFormPage() : wrongTokenPage();
  }

  /**
   * §5.6 POST: body, token, field, then the change. The token is consumed only once the new
   * password is hashed, and atomically, so of two submissions exactly one wins.
   */
  async function resetSubmit({ request }: ViewInput): Promise<Outcome> {
    const token = pathToken(request);
    const read = readObject(request);
    if (!read.ok) return read.outcome;
    const user = await ownerOf(await ctx.emailTokens.find(token, 'ua-reset'), false);
    if (!user) return WRONG_TOKEN;
    const fields = checkFields(read.body, NEW_PASSWORD_FIELD);
    if (!fields.ok) return fields.outcome;
    const hash = await ctx.passwords.hash(fields.values.new_pwd as string);
    if (!(await ctx.emailTokens.consume(token, 'ua-reset'))) return WRONG_TOKEN;

    await ctx.db.transaction().execute(async (trx) => {
      await ctx.accounts.setPasswordHash(user.number, hash, trx);
      await ctx.accounts.update(user.number, { emailVerified: true }, trx);
    });
    await ctx.revocation.endAllSessions(user, 'revoked');
    await ctx.lockout.clear(user.number);
    await ctx.audit.record({ event: 'password.reset.complete', meta: requestMeta(request, 'user-account'), user: person(user) });
    return PASSWORD_RESET;
  }

  return { confirmEmail, resetRequest, resetPage, resetSubmit };
}
