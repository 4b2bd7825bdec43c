// login, registration, profile_settings and logout (user-account.md §5.1, §5.2, §5.4, §5.7).
import type { AppContext } from '../../context.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { maskEmail } from './email-mask.js';
import { checkFields, readFlaskJson, unmatchableName, type FieldRule } from './fields.js';
import { pyInt } from './jwt-decode.js';
import {
  BODY_ERRORS, CLEARED_COOKIES, LoginAnswer, LoginFields, ProfileSettings, REISSUE_NOTE, RegistrationFields, TOKEN_COOKIES, TOKEN_ERRORS, badBody, said,
} from './schemas.js';
import { LOGIN, LOGIN_BODY, PROFILE_SETTINGS, REGISTRATION_BODY } from './examples.js';
import { type UaCall, type UaRoute, uaPath, verifiedToken } from './style.js';
import { CHECK_EMAIL, msg } from './words.js';

const LOGIN_FIELDS: FieldRule[] = [
  { name: 'username', required: true },
  { name: 'pwd', required: true, max: 128 },
];

const REGISTRATION_FIELDS: FieldRule[] = [
  { name: 'username', required: true, emptyIsAbsent: true, max: 50, stored: true },
  { name: 'full_name', required: true, max: 50, stored: true },
  { name: 'email', required: true, max: 50, stored: true },
  { name: 'pwd', required: true, max: 128 },
  { name: 'phone', required: false, max: 12, stored: true },
  { name: 'contacts', required: false, max: 100, stored: true },
];

const WRONG_CREDENTIALS = msg(401, 'Wrong username or password');
const USERNAME_NOT_ALLOWED = msg(400, 'username is not allowed');
const EMAIL_NOT_ALLOWED = msg(400, 'email is not allowed');
const LOGOUT_OK = msg(200, 'logout successful');
const MASKED_PASSWORD = '********';
const DENY_CAP_SECONDS = 10 * 365 * 24 * 3600;

export function uaAccountRoutes(ctx: AppContext): UaRoute[] {
  /** §5.1: the core login (lockout, dummy hash, audit, metrics); every failure is the same 401. */
  async function login(call: UaCall): Promise<GenericReply> {
    const { request } = call;
    const read = readFlaskJson(request);
    if (!read.ok) return read.answer;
    const fields = checkFields(read.body, LOGIN_FIELDS);
    if (!fields.ok) return fields.answer;
    const username = fields.values.username as string;
    // An impossible name costs no query; the core still spends the dummy hash on it.
    const user = unmatchableName(username) ? undefined : await ctx.accounts.byUsername(username);
    const attempt = await ctx.login.attempt({ user, password: fields.values.pwd as string, identifier: username, method: 'jwt', meta: requestMeta(request, 'user-account') }, ctx.userAccountTokens.issuer());
    if (!attempt.ok) return WRONG_CREDENTIALS;
    const issued = attempt.issued;
    // The style's `after` sets both cookies for it.
    call.auth = { kind: 'issued', token: issued };
    return { status: 200, body: { msg: 'login successful', token: issued.token } };
  }

  /** §5.2: checks, uniqueness (the unique index decides a race), then the user and the mail. */
  async function registration({ request }: UaCall): Promise<GenericReply> {
    const read = readFlaskJson(request);
    if (!read.ok) return read.answer;
    const fields = checkFields(read.body, REGISTRATION_FIELDS);
    if (!fields.ok) return fields.answer;
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
  async function profileSettings({ auth }: UaCall): Promise<GenericReply> {
    const u = verifiedToken(auth).user;
    return {
      status: 200,
      body: { contacts: u.contacts, email: maskEmail(u.email), full_name: u.full_name, is_email_verified: u.email_verified === 1, phone: u.phone, pwd: MASKED_PASSWORD, username: u.username },
    };
  }

  /** §5.7: the token's jti is denylisted until its exp; the cookies are cleared. */
  async function logout(call: UaCall): Promise<GenericReply> {
    const { user, jti, claims } = verifiedToken(call.auth);
    // Our tokens always carry exp; should one lack it (or carry an absurd one), the entry is capped.
    const cap = Math.floor(Date.now() / 1000) + DENY_CAP_SECONDS;
    await ctx.actions.logoutUserAccount(user, { jti, exp: Math.min(pyInt(claims.exp) ?? cap, cap) }, { meta: requestMeta(call.request, 'user-account') });
    // The style's `after` clears the cookies, and re-issues nothing.
    call.auth = { kind: 'ended' };
    return LOGOUT_OK;
  }

  const json = { accept: ['json'], readByHandler: true } as const;

  return [
    {
      paths: [uaPath('login')],
      name: 'login',
      credential: 'none',
      methods: {
        POST: {
          operationId: 'userAccountLogin',
          summary: 'Log in; sets the access-token and CSRF cookies',
          description: 'A token sent along is ignored. A locked account answers as a wrong password.',
          body: { ...json, schema: LoginFields, example: LOGIN_BODY },
          responses: {
            200: { description: 'Logged in', schema: LoginAnswer, headers: TOKEN_COOKIES, example: LOGIN },
            400: badBody('pwd is required'),
            401: said('"Wrong username or password" (also while the account is locked)', 'Wrong username or password'),
            ...BODY_ERRORS,
          },
          handle: login,
        },
      },
    },
    {
      paths: [uaPath('registration')],
      name: 'registration',
      credential: 'none',
      methods: {
        POST: {
          operationId: 'userAccountRegister',
          summary: 'Register; mails an email confirmation link',
          description: 'Nobody is logged in. The confirmation mail goes out when an email was given.',
          body: { ...json, schema: RegistrationFields, example: REGISTRATION_BODY },
          responses: {
            200: said('"Check your email..."', 'Check your email...'),
            400: badBody('username is not allowed', '"<field> contains invalid characters"', '"username is not allowed"', '"email is not allowed"'),
            ...BODY_ERRORS,
          },
          handle: registration,
        },
      },
    },
    {
      paths: [uaPath('profile_settings')],
      name: 'profile_settings',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'userAccountProfileSettings',
          summary: 'The profile, with the email masked',
          description: REISSUE_NOTE,
          responses: { 200: { description: 'The profile', schema: ProfileSettings, example: PROFILE_SETTINGS }, ...TOKEN_ERRORS },
          handle: profileSettings,
        },
      },
    },
    {
      paths: [uaPath('logout')],
      name: 'logout',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'userAccountLogout',
          summary: 'Log out: clears the cookies and revokes the token',
          responses: {
            200: { ...said('"logout successful"', 'logout successful'), headers: CLEARED_COOKIES },
            ...TOKEN_ERRORS,
          },
          handle: logout,
        },
      },
    },
  ];
}
