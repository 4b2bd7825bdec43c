// Two-factor authentication under /v1/user/ (mfa.md §2, §3.2): turning TOTP on and off, the
// recovery codes, and `login/mfa/`, the second step of a knox or JWT login. The rules (codes,
// replay floor, sealing, lockout, audit, notices) are the core's (core/mfa); these views check
// fields and the password in the spec's order, record the domain events in the core's
// transaction, and word the outcomes.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { Aftermath } from '../../core/revocation.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { answerV1Login, v1Issuer } from './issue-login.js';
import { LOCKED, NO_CONTENT, NO_STORE, TEXT, invalid, json, unauthorized } from './messages.js';
import { credentialUsed } from './password-change.js';
import { BAD_REQUEST, COMMON, JwtLoginAnswer, KnoxLoginAnswer, NO_CONTENT as NO_CONTENT_DOC, says } from './schemas.js';
import { MFA_LOGIN, MFA_LOGIN_BODY, MFA_PASSWORD_BODY, MFA_STATUS, RECOVERY_CODES, TOTP_CONFIRM_BODY, TOTP_DISABLE_BODY, TOTP_ENROLMENT } from './examples.js';
import { type V1Call, type V1Route, challengeOf, signedIn, v1Path } from './style.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

export const MFA_TEXT = {
  alreadyEnabled: 'Two-factor authentication is already enabled.',
  notStarted: 'Two-factor setup was not started or has expired.',
  wrongCode: 'Code error. Invalid code.',
  notEnabled: 'Two-factor authentication is not enabled.',
  invalidMfaToken: 'Invalid or expired MFA token.',
  invalidCode: 'Invalid code.',
} as const;

const ALREADY_ENABLED = json(409, MFA_TEXT.alreadyEnabled);
const NOT_STARTED = json(400, MFA_TEXT.notStarted);
const WRONG_CODE = json(400, MFA_TEXT.wrongCode);
const NOT_ENABLED = json(400, MFA_TEXT.notEnabled);
const INCORRECT_PASSWORD = json(400, TEXT.incorrectPassword);

const CODE: FieldSpec = { key: 'code' };
const LOGIN_FIELDS: FieldSpec[] = [{ key: 'mfa_token' }, CODE];

/**
 * The `password` field of §2.2, §2.4 and §2.5: required (trimmed, ≤ 128) when the account has
 * a usable password; an account without one (made by a social login) is not asked, and whatever
 * it sends is ignored.
 */
function passwordFields(ctx: AppContext, user: User): FieldSpec[] {
  return ctx.login.hasUsablePassword(user) ? [passwordField('password')] : [];
}

/** The password check of §2.2 (like password/change/'s old one: not a login, no lockout). */
async function passwordRight(ctx: AppContext, user: User, values: Record<string, string>): Promise<boolean> {
  return !ctx.login.hasUsablePassword(user) || ctx.login.checkPassword(user, values.password);
}

const Status = Type.Object({
  totp: Type.Boolean(),
  recovery_codes_left: Type.Integer({ minimum: 0 }),
  passkeys: Type.Integer({ minimum: 0, description: 'Registered passkeys' }),
});
const Enrolment = Type.Object({
  secret: Type.String({ pattern: '^[A-Z2-7]{32}$', description: 'Base32, shown only here' }),
  otpauth_url: Type.String({ description: 'otpauth://totp/<issuer>:<label>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30' }),
  qr_svg: Type.String({ description: 'An SVG image of otpauth_url' }),
});
const RecoveryCodes = Type.Object({
  recovery_codes: Type.Array(Type.String({ pattern: '^[a-z2-9]{5}-[a-z2-9]{5}$' }), { minItems: 10, maxItems: 10, description: 'Shown only here; each works once' }),
});
const PasswordBody = Type.Object({ password: Type.Optional(Type.String({ maxLength: 128, description: 'Required when the account has a password' })) });
const CodeBody = Type.Object({ code: Type.String({ description: 'Six digits from the authenticator app' }) }, { required: ['code'] });
const DisableBody = Type.Object(
  { password: Type.Optional(Type.String({ maxLength: 128, description: 'Required when the account has a password' })), code: Type.String({ description: 'A TOTP code or a recovery code' }) },
  { required: ['code'] },
);
const LoginBody = Type.Object(
  { mfa_token: Type.String({ description: 'From the login that answered `mfa_required`' }), code: Type.String({ description: 'A TOTP code or a recovery code' }) },
  { required: ['mfa_token', 'code'] },
);
const Refusal = Type.String();

export function mfaRoutes(ctx: AppContext): V1Route[] {
  async function status({ auth }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const [factor, passkeys] = await Promise.all([ctx.mfa.enrolment.status(user.number), ctx.passkeys.management.count(user.number)]);
    return json(200, { totp: factor.totp, recovery_codes_left: factor.recoveryCodesLeft, passkeys });
  }

  /** §2.2: fields, already on, password; a new pending secret replaces any earlier one. */
  async function start({ auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const v = await validate(body, passwordFields(ctx, user));
    if (!v.ok) return invalid(v.errors);
    if (await ctx.mfa.enrolment.isEnabled(user.number)) return ALREADY_ENABLED;
    if (!(await passwordRight(ctx, user, v.values))) return INCORRECT_PASSWORD;
    const started = await ctx.mfa.enrolment.start(user);
    if (!started.ok) return ALREADY_ENABLED;
    return json(200, { secret: started.secret, otpauth_url: started.otpauthUrl, qr_svg: started.qrSvg }, NO_STORE);
  }

  /** §2.3: TOTP on; every other session and token ends, the credential of this request survives. */
  async function confirm({ request, auth, body }: V1Call): Promise<GenericReply> {
    const signed = signedIn(auth);
    const v = await validate(body, [CODE]);
    if (!v.ok) return invalid(v.errors);
    const meta = requestMeta(request, 'v1');
    // TOTP goes on only together with the end of the other sessions: never one without the other.
    let ending: Aftermath | undefined;
    const r = await ctx.mfa.enrolment.confirm(signed.user, v.values.code, {
      meta,
      within: async (trx) => {
        ending = await ctx.actions.endAllSessionsIn(trx, signed.user, { meta, reason: 'revoked', spare: credentialUsed(signed), why: 'mfa_enabled' });
      },
    });
    if (!r.ok) return r.reason === 'not_started' ? NOT_STARTED : WRONG_CODE;
    if (ending) await ctx.actions.finishEnding(ending);
    return json(200, { recovery_codes: r.recoveryCodes }, NO_STORE);
  }

  /** §2.4: fields, not on, password, code; the code is spent only if TOTP goes off. */
  async function disable({ request, auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const v = await validate(body, [...passwordFields(ctx, user), CODE]);
    if (!v.ok) return invalid(v.errors);
    if (!(await ctx.mfa.enrolment.isEnabled(user.number))) return NOT_ENABLED;
    if (!(await passwordRight(ctx, user, v.values))) return INCORRECT_PASSWORD;
    const r = await ctx.mfa.enrolment.disable(user, v.values.code, { meta: requestMeta(request, 'v1') });
    if (r.ok) return NO_CONTENT;
    return r.reason === 'not_enabled' ? NOT_ENABLED : WRONG_CODE;
  }

  /** §2.5: fields, not on, password; a new set voids the old one. */
  async function regenerate({ request, auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const v = await validate(body, passwordFields(ctx, user));
    if (!v.ok) return invalid(v.errors);
    if (!(await ctx.mfa.enrolment.isEnabled(user.number))) return NOT_ENABLED;
    if (!(await passwordRight(ctx, user, v.values))) return INCORRECT_PASSWORD;
    const r = await ctx.mfa.enrolment.regenerateRecoveryCodes(user, { meta: requestMeta(request, 'v1') });
    if (!r.ok) return NOT_ENABLED;
    return json(200, { recovery_codes: r.recoveryCodes }, NO_STORE);
  }

  /**
   * §3.2: the second step of login-knox/ or login-jwt/. The core settles the login (last_login,
   * streak, audit, recovery-code notice, the `session.created` event) and, in the same
   * transaction, the credential is written; the answer is the one the starting login gives.
   */
  async function secondStep({ request, reply, body, route }: V1Call): Promise<GenericReply> {
    const v = await validate(body, LOGIN_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const challenge = challengeOf(route);
    const meta = requestMeta(request, 'v1');
    const r = await ctx.mfa.challenges.complete(v.values.mfa_token, v.values.code, meta, {
      accept: ['knox', 'jwt'],
      issuer: (step) => v1Issuer(ctx, meta, step.kind === 'jwt' ? 'jwt' : 'knox'),
    });
    if (r.ok) return answerV1Login(ctx, request, reply, r.user, r.issued);
    switch (r.reason) {
      case 'invalid_token':
        return unauthorized(MFA_TEXT.invalidMfaToken, challenge);
      case 'wrong_code':
        return unauthorized(MFA_TEXT.invalidCode, challenge);
      case 'inactive':
        return unauthorized(TEXT.badCredentials, challenge);
      case 'locked':
        return LOCKED;
    }
  }

  const REFUSED_401 = { description: '"Invalid or expired MFA token.", "Invalid code." or "No active account found with the given credentials."', schema: Refusal, example: MFA_TEXT.invalidCode };

  return [
    {
      paths: [v1Path('mfa/')],
      name: 'MFA',
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: { operationId: 'v1MfaStatus', summary: 'Whether TOTP is on, recovery codes left, passkeys registered', responses: { 200: { description: 'The two-factor state', schema: Status, example: MFA_STATUS }, ...COMMON }, handle: status },
      },
    },
    {
      paths: [v1Path('mfa/totp/')],
      name: 'MFA TOTP',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1MfaTotpStart',
          summary: 'Start TOTP enrolment: a new secret, pending for 10 minutes until confirmed',
          body: { schema: PasswordBody, example: MFA_PASSWORD_BODY },
          responses: {
            200: { description: 'The secret, its otpauth URL and a QR code (Cache-Control: no-store)', schema: Enrolment, example: TOTP_ENROLMENT },
            400: BAD_REQUEST,
            409: says(MFA_TEXT.alreadyEnabled),
            ...COMMON,
          },
          handle: start,
        },
        DELETE: {
          operationId: 'v1MfaTotpDisable',
          summary: 'Turn TOTP off with the password and a TOTP or recovery code; the secret and recovery codes are deleted',
          body: { schema: DisableBody, example: TOTP_DISABLE_BODY },
          responses: { 204: NO_CONTENT_DOC, 400: BAD_REQUEST, ...COMMON },
          handle: disable,
        },
      },
    },
    {
      paths: [v1Path('mfa/totp/confirm/')],
      name: 'MFA TOTP Confirm',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1MfaTotpConfirm',
          summary: 'Confirm enrolment with a first code: TOTP is on; every other session ends',
          body: { schema: CodeBody, example: TOTP_CONFIRM_BODY },
          responses: { 200: { description: '10 recovery codes (Cache-Control: no-store)', schema: RecoveryCodes, example: RECOVERY_CODES }, 400: BAD_REQUEST, ...COMMON },
          handle: confirm,
        },
      },
    },
    {
      paths: [v1Path('mfa/recovery-codes/')],
      name: 'MFA Recovery Codes',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1MfaRecoveryCodes',
          summary: 'A new set of 10 recovery codes; the old set no longer works',
          body: { schema: PasswordBody, example: MFA_PASSWORD_BODY },
          responses: { 200: { description: '10 recovery codes (Cache-Control: no-store)', schema: RecoveryCodes, example: RECOVERY_CODES }, 400: BAD_REQUEST, ...COMMON },
          handle: regenerate,
        },
      },
    },
    {
      paths: [v1Path('login/mfa/')],
      name: 'MFA Login',
      credential: 'none',
      throttle: 'anon',
      extra: { crossSiteChecked: true },
      methods: {
        POST: {
          operationId: 'v1LoginMfa',
          summary: 'Complete a knox or JWT login with a TOTP code or a recovery code',
          description: 'Answers as the login that started it would have on success: the knox token body, or the JWT body with the sessionid cookie.',
          body: { schema: LoginBody, example: MFA_LOGIN_BODY },
          responses: {
            200: { description: 'Logged in (Cache-Control: no-store; a JWT login also sets sessionid)', schema: Type.Union([KnoxLoginAnswer, JwtLoginAnswer]), example: MFA_LOGIN },
            400: BAD_REQUEST,
            ...COMMON,
            401: REFUSED_401,
            403: { description: '"Locked out due to too many login failures.", or a cross-site request', schema: Refusal, example: TEXT.lockedOut },
          },
          handle: secondStep,
        },
      },
    },
  ];
}
