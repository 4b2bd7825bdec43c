// login, registration, profile_settings and logout (user-account.md §5.1, §5.2, §5.4, §5.7).
import { requestMeta } from '../../http/request.js';
import { maskEmail } from './email-mask.js';
import { checkFields, readObject, unmatchableName, type FieldSpec } from './fields.js';
import { pyInt } from './jwt-decode.js';
import { CHECK_EMAIL, WRONG_CREDENTIALS, msg, type Outcome } from './reply.js';
import type { Deps, ViewInput } from './views.js';

const LOGIN_FIELDS: FieldSpec[] = [
  { name: 'username', required: true },
  { name: 'pwd', required: true, max: 128 },
];

const REGISTRATION_FIELDS: FieldSpec[] = [
  { name: 'username', required: true, emptyIsAbsent: true, max: 50, stored: true },
  { name: 'full_name', required: true, max: 50, stored: true },
  { name: 'email', required: true, max: 50, stored: true },
  { name: 'pwd', required: true, max: 128 },
  { name: 'phone', required: false, max: 12, stored: true },
  { name: 'contacts', required: false, max: 100, stored: true },
];

const USERNAME_NOT_ALLOWED = msg(400, 'username is not allowed');
const EMAIL_NOT_ALLOWED = msg(400, 'email is not allowed');
const LOGOUT_OK = Object.freeze({ ...msg(200, 'logout successful'), logout: true });
const MASKED_PASSWORD = '********';
const DENY_CAP_SECONDS = 10 * 365 * 24 * 3600;

export function accountViews({ ctx, tokens }: Deps) {
  /** §5.1: the core login (lockout, dummy hash, audit, metrics); every failure is the same 401. */
  async function login({ request }: ViewInput): Promise<Outcome> {
    const read = readObject(request);
    if (!read.ok) return read.outcome;
    const fields = checkFields(read.body, LOGIN_FIELDS);
    if (!fields.ok) return fields.outcome;
    const username = fields.values.username as string;
    // An impossible name costs no query; the core still spends the dummy hash on it.
    const user = unmatchableName(username) ? undefined : await ctx.accounts.byUsername(username);
    const outcome = await ctx.login.attempt({ user, password: fields.values.pwd as string, identifier: username, method: 'jwt', meta: requestMeta(request, 'user-account') });
    if (!outcome.ok) return WRONG_CREDENTIALS;
    const issued = await tokens.issue(outcome.user);
    return { status: 200, body: { msg: 'login successful', token: issued.token }, token: issued };
  }

  /** §5.2: checks, uniqueness (the unique index decides a race), then the user and the mail. */
  async function registration({ request }: ViewInput): Promise<Outcome> {
    const read = readObject(request);
    if (!read.ok) return read.outcome;
    const fields = checkFields(read.body, REGISTRATION_FIELDS);
    if (!fields.ok) return fields.outcome;
    const v = fields.values;
    if (await ctx.accounts.usernameTaken(v.username as string)) return USERNAME_NOT_ALLOWED;
    if (v.email && (await ctx.accounts.emailTaken(v.email))) return EMAIL_NOT_ALLOWED;

    // An empty password (allowed here) is a real one.
    const created = await ctx.actions.register(
      { username: v.username, email: v.email, password: v.pwd as string, fullName: v.full_name as string, phone: v.phone, contacts: v.contacts, emailVerified: false },
      { meta: requestMeta(request, 'user-account') },
    );
    if (!created.ok) return created.conflict === 'username' ? USERNAME_NOT_ALLOWED : EMAIL_NOT_ALLOWED;
    await ctx.accountMail.sendUaConfirmation(created.user);
    return CHECK_EMAIL;
  }

  /** §5.4 */
  async function profileSettings({ auth }: ViewInput): Promise<Outcome> {
    const u = auth!.user;
    return {
      status: 200,
      body: { contacts: u.contacts, email: maskEmail(u.email), full_name: u.full_name, is_email_verified: u.email_verified === 1, phone: u.phone, pwd: MASKED_PASSWORD, username: u.username },
    };
  }

  /** §5.7: the token's jti is denylisted until its exp; the cookies are cleared. */
  async function logout({ request, auth }: ViewInput): Promise<Outcome> {
    const { user, jti, claims } = auth!;
    // Our tokens always carry exp; should one lack it (or carry an absurd one), the entry is capped.
    const cap = Math.floor(Date.now() / 1000) + DENY_CAP_SECONDS;
    await ctx.actions.logoutUserAccount(user, { jti, exp: Math.min(pyInt(claims.exp) ?? cap, cap) }, { meta: requestMeta(request, 'user-account') });
    return LOGOUT_OK;
  }

  return { login, registration, profileSettings, logout };
}
