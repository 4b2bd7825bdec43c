// POST password/change/ (v1.md §5.3): the old password, then the v1 password rules. Success ends
// every other session and token of the user; the credential this request used survives.
import type { AppContext } from '../../context.js';
import { v1PasswordProblem } from '../../core/password-rules.js';
import type { Spare } from '../../core/revocation.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { TEXT, invalid, json } from './messages.js';
import { BAD_REQUEST, COMMON, says } from './schemas.js';
import { PASSWORD_CHANGE_BODY } from './examples.js';
import { type SignedIn, type V1Call, type V1Route, signedIn, v1Path } from './style.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

const FIELDS: FieldSpec[] = [passwordField('old_password'), passwordField('password'), passwordField('confirm_password')];
const CHANGED = json(200, TEXT.passwordChanged);

/** The knox token or JWT login the request came with. */
export function credentialUsed(auth: SignedIn): Spare {
  if (auth.kind === 'knox') return { knoxId: auth.token.id };
  return auth.loginId ? { loginId: auth.loginId } : {};
}

export function passwordRoutes(ctx: AppContext): V1Route[] {
  /** A wrong old password is not a login failure: the user bucket limits guessing here. */
  async function change({ request, auth, body }: V1Call): Promise<GenericReply> {
    const signed = signedIn(auth);
    const v = await validate(body, FIELDS);
    if (!v.ok) return invalid(v.errors);
    const { old_password, password, confirm_password } = v.values;
    if (!(await ctx.login.checkPassword(signed.user, old_password))) return invalid([TEXT.incorrectOldPassword]);
    const problem = v1PasswordProblem(password, confirm_password);
    if (problem) return invalid([`Password error. ${problem}`]);
    await ctx.actions.changePassword(signed.user, password, {
      meta: requestMeta(request, 'v1'), endSessions: 'others', spare: credentialUsed(signed), notify: true, event: 'password.change',
    });
    return CHANGED;
  }

  return [
    {
      paths: [v1Path('password/change/')],
      name: 'Password Change',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1ChangePassword',
          summary: 'Change the password; every other session and token of the user ends',
          body: {
            schema: Type.Object(
              { old_password: Type.String({ maxLength: 128 }), password: Type.String({ maxLength: 128 }), confirm_password: Type.String({ maxLength: 128 }) },
              { required: ['old_password', 'password', 'confirm_password'] },
            ),
            example: PASSWORD_CHANGE_BODY,
          },
          responses: { 200: says('Password changed successfully.'), 400: BAD_REQUEST, ...COMMON },
          handle: change,
        },
      },
    },
  ];
}
