// POST /account/login and /account/logout (account.md §2.2, §2.3): one key per user, the same
// one returned by every login until a logout deletes it.
import type { AppContext } from '../../context.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS, NO_STORE, callerOf } from '../../http/drf-style.js';
import { DRF_TEXT, SerializerErrors, charField, invalidFields, serializerInput } from '../../http/drf-fields.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { SUCCESS } from './replies.js';
import { ACCOUNT_BAD_REQUEST, ACCOUNT_UNAUTHORIZED, AccountKey, Success } from './schemas.js';
import { DONE, LOGIN, LOGIN_BODY } from './examples.js';
import { type AccountCall, type AccountRoute, accountPath } from './style.js';

/** Every credential failure, the locked answer included (§1.4), looks the same. */
const BAD_CREDENTIALS = invalidFields({ non_field_errors: ['Unable to log in with provided credentials.'] });

export function accountLoginRoutes(ctx: AppContext): AccountRoute[] {
  async function login({ request, body }: AccountCall): Promise<GenericReply> {
    const input = serializerInput(body);
    if (!input.ok) return invalidFields(input.errors);
    const username = await charField(input.data, 'username', {}, DRF_TEXT);
    // DRF's AuthTokenSerializer kept the password's surrounding whitespace.
    const password = await charField(input.data, 'password', { trim: false }, DRF_TEXT);
    const errors = new SerializerErrors();
    if (!username.ok) errors.add('username', username.errors);
    if (!password.ok) errors.add('password', password.errors);
    if (!username.ok || !password.ok || !username.present || !password.present) return invalidFields(errors.errors);
    const user = await ctx.accounts.byUsername(username.value);
    const meta = requestMeta(request, 'account');
    const outcome = await ctx.login.attempt({ user, password: password.value, identifier: username.value, method: 'token', meta }, ctx.accountKeys.issuer());
    if (!outcome.ok) return BAD_CREDENTIALS;
    return { status: 200, body: { token: outcome.issued }, headers: NO_STORE };
  }

  async function logout({ request, auth }: AccountCall): Promise<GenericReply> {
    await ctx.actions.logoutAccountKey(callerOf(auth), { meta: requestMeta(request, 'account') });
    return SUCCESS;
  }

  return [
    {
      paths: [accountPath('login')],
      name: 'Login',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'accountLogin',
          summary: "Log in with username and password; returns the user's key",
          description:
            'The same key until a logout deletes it. Every credential failure (unknown username, wrong password, inactive or locked account) answers the same 400. ' +
            'No credential is needed, but a broken `Token` header answers 401.',
          body: { schema: Type.Object({ username: Type.String(), password: Type.String({ description: 'Not trimmed' }) }), example: LOGIN_BODY },
          responses: {
            200: { description: 'The key', schema: Type.Object({ token: AccountKey }), example: LOGIN },
            400: ACCOUNT_BAD_REQUEST,
            401: ACCOUNT_UNAUTHORIZED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: login,
        },
      },
    },
    {
      paths: [accountPath('logout')],
      name: 'Logout',
      credential: 'required',
      methods: {
        POST: {
          operationId: 'accountLogout',
          summary: "Delete the caller's key",
          description: 'The key answers 401 {"detail": "Invalid token."} afterwards; the next login mints a new one.',
          responses: { 200: { description: '{"success": true}', schema: Success, example: DONE }, 401: ACCOUNT_UNAUTHORIZED, ...DRF_COMMON_DOCS },
          handle: logout,
        },
      },
    },
  ];
}
