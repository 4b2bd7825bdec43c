// POST register/ (v1.md §3.1): field checks, then the password rules (first failure only),
// then the insert, where the unique indexes decide a race between identical registrations.
import { person } from '../../core/accounts.js';
import { v1PasswordProblem } from '../../core/password-rules.js';
import { requestMeta } from '../../http/request.js';
import { conflictMessage, emailField, storedEmail, usernameField } from './account-fields.js';
import { invalid, json } from './messages.js';
import type { Call, RouteSpec, V1Deps } from './pipeline.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

export function registerRoutes(deps: V1Deps): RouteSpec[] {
  const { accounts } = deps.ctx;
  const fields: FieldSpec[] = [
    emailField(accounts, { required: true }),
    usernameField(accounts, { required: true }),
    passwordField('password'),
    passwordField('confirm_password'),
  ];

  async function register({ request, body }: Call) {
    const v = await validate(body, fields);
    if (!v.ok) return invalid(v.errors);
    const { email, username, password, confirm_password } = v.values;
    const problem = v1PasswordProblem(password, confirm_password);
    if (problem) return invalid([`Password error. ${problem}`]);
    const created = await accounts.create({ email: storedEmail(email), username, password });
    if (!created.ok) return invalid([conflictMessage(created.conflict)]);
    const user = created.user;
    await deps.ctx.audit.record({ event: 'user.register', meta: requestMeta(request, 'v1'), user: person(user) });
    return json(201, { id: user.id, email: user.email, username: user.username });
  }

  return [{ path: 'register/', name: 'Register', credential: 'optional', throttle: 'anon', methods: { POST: { view: register, parse: true } } }];
}
