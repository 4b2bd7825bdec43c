// POST password/change/ (v1.md §5.3): the old password, then the v1 password rules. Success ends
// every other session and token of the user; the credential this request used survives.
import { person } from '../../core/accounts.js';
import { v1PasswordProblem } from '../../core/password-rules.js';
import type { Spare } from '../../core/revocation.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { TEXT, invalid, json } from './messages.js';
import { type Call, type RouteSpec, type SignedIn, type V1Deps, signedIn } from './pipeline.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

const FIELDS: FieldSpec[] = [passwordField('old_password'), passwordField('password'), passwordField('confirm_password')];
const CHANGED = json(200, TEXT.passwordChanged);

/** The knox token or JWT login the request came with. */
function credentialUsed(auth: SignedIn): Spare {
  if (auth.kind === 'knox') return { knoxId: auth.token.id };
  return auth.loginId ? { loginId: auth.loginId } : {};
}

export function passwordRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx } = deps;

  /** A wrong old password is not a login failure: the user bucket limits guessing here. */
  async function change({ request, auth: credential, body }: Call): Promise<GenericReply> {
    const auth = signedIn(credential);
    const { user } = auth;
    const v = await validate(body, FIELDS);
    if (!v.ok) return invalid(v.errors);
    const { old_password, password, confirm_password } = v.values;
    if (!(await ctx.passwords.verify(old_password, user.password)).ok) return invalid([TEXT.incorrectOldPassword]);
    const problem = v1PasswordProblem(password, confirm_password);
    if (problem) return invalid([`Password error. ${problem}`]);
    await ctx.accounts.setPassword(user.number, password);
    await ctx.revocation.endAllSessions(user, 'revoked', credentialUsed(auth));
    ctx.accountMail.passwordChanged(user);
    await ctx.audit.record({ event: 'password.change', meta: requestMeta(request, 'v1'), actor: person(user), user: person(user) });
    return CHANGED;
  }

  return [{ path: 'password/change/', name: 'Password Change', credential: 'required', throttle: 'user', methods: { POST: { view: change, parse: true } } }];
}
