// POST register/ (v1.md §3.1): field checks, then the password rules (first failure only),
// then the core registration, where the unique indexes decide a race between identical
// registrations.
import type { AppContext } from '../../context.js';
import { v1PasswordProblem } from '../../core/password-rules.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import { conflictMessage, emailField, storedEmail, usernameField } from './account-fields.js';
import { invalid, json } from './messages.js';
import { BAD_REQUEST, COMMON, UserSummary } from './schemas.js';
import { REGISTER_BODY, USER_SUMMARY } from './examples.js';
import { type V1Call, type V1Route, v1Path } from './style.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

export function registerRoutes(ctx: AppContext): V1Route[] {
  const fields: FieldSpec[] = [
    emailField(ctx.accounts, { required: true }),
    usernameField(ctx.accounts, { required: true }),
    passwordField('password'),
    passwordField('confirm_password'),
  ];

  async function register({ request, body }: V1Call) {
    const v = await validate(body, fields);
    if (!v.ok) return invalid(v.errors);
    const { email, username, password, confirm_password } = v.values;
    const problem = v1PasswordProblem(password, confirm_password);
    if (problem) return invalid([`Password error. ${problem}`]);
    const created = await ctx.actions.register({ email: storedEmail(email), username, password }, { meta: requestMeta(request, 'v1') });
    if (!created.ok) return invalid([conflictMessage(created.conflict)]);
    const { user } = created;
    return json(201, { id: user.id, email: user.email, username: user.username });
  }

  return [
    {
      paths: [v1Path('register/')],
      name: 'Register',
      credential: 'optional',
      throttle: 'anon',
      methods: {
        POST: {
          operationId: 'v1Register',
          summary: 'Create an account (email, username, password)',
          body: {
            schema: Type.Object({
              email: Type.String({ maxLength: 200, format: 'email' }),
              username: Type.String({ maxLength: 250 }),
              password: Type.String({ maxLength: 128, description: 'At least 8 characters with a digit, an upper-case letter and a symbol' }),
              confirm_password: Type.String({ maxLength: 128 }),
            }, { required: ['email', 'username', 'password', 'confirm_password'] }),
            example: REGISTER_BODY,
          },
          responses: { 201: { description: 'Created; no token', schema: UserSummary, example: USER_SUMMARY }, 400: BAD_REQUEST, ...COMMON },
          handle: register,
        },
      },
    },
  ];
}
