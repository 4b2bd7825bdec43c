// POST /api/user/login (api-user.md §3.1): field checks, then the core password login with its
// lockout, then a new token pair and the user object.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS, NO_STORE } from '../../http/drf-style.js';
import { DRF_TEXT, type FieldMap, SerializerErrors, charField, exists, invalidFields, minChars, sentText, serializerInput, validEmail } from '../../http/drf-fields.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { ApiUserTokenPair, API_USER_BAD_REQUEST, API_USER_UNAUTHORIZED, UserObjectDoc } from './schemas.js';
import { LOGIN, LOGIN_BODY } from './examples.js';
import { type ApiUserCall, type ApiUserRoute, withAndWithoutSlash } from './style.js';
import { userObject } from './user-view.js';

/** Every credential failure, the locked answer included (§1.5), looks the same. */
const BAD_CREDENTIALS = invalidFields({ email: ['Invalid User Credentials.'], password: ['Invalid User Credentials.'] });

interface Credentials {
  /** The email exactly as sent (untrimmed): what the credential check looks up. */
  rawEmail: string;
  /** Trimmed, as the serializer's CharField left it. */
  password: string;
  /** The account the field check found by the trimmed email; it is the one meant when nothing was trimmed. */
  found: { email: string; user: User | undefined };
}

async function validate(ctx: AppContext, data: FieldMap): Promise<{ ok: true; credentials: Credentials } | { ok: false; reply: GenericReply }> {
  let user: User | undefined;
  const known = exists(async (email) => (user = await ctx.accounts.byEmail(email)) !== undefined, 'Invalid user credentials');
  const email = await charField(data, 'email', {}, [known, minChars(5), ...DRF_TEXT, validEmail]);
  const password = await charField(data, 'password', {}, [minChars(8), ...DRF_TEXT]);
  const errors = new SerializerErrors();
  if (!email.ok) errors.add('email', email.errors);
  if (!password.ok) errors.add('password', password.errors);
  if (!email.ok || !password.ok || !email.present || !password.present) return { ok: false, reply: invalidFields(errors.errors) };
  return { ok: true, credentials: { rawEmail: sentText(data, 'email'), password: password.value, found: { email: email.value, user } } };
}

export function apiUserLoginRoutes(ctx: AppContext): ApiUserRoute[] {
  async function login({ request, body }: ApiUserCall): Promise<GenericReply> {
    const input = serializerInput(body);
    if (!input.ok) return invalidFields(input.errors);
    const checked = await validate(ctx, input.data);
    if (!checked.ok) return checked.reply;
    const { rawEmail, password, found } = checked.credentials;
    const user = rawEmail === found.email ? found.user : await ctx.accounts.byEmail(rawEmail);
    const outcome = await ctx.login.attempt({ user, password, identifier: rawEmail, method: 'jwt', meta: requestMeta(request, 'api-user') }, ctx.apiUserTokens.issuer());
    if (!outcome.ok) return BAD_CREDENTIALS;
    const pair = outcome.issued;
    const data = await userObject(ctx, request, outcome.user);
    return { status: 200, body: { tokens: { refresh: pair.refresh, access: pair.access }, data }, headers: NO_STORE };
  }

  return [
    {
      paths: withAndWithoutSlash('login'),
      name: 'Login',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'apiUserLogin',
          summary: 'Log in with email and password; returns a JWT pair and the user',
          description:
            'Every credential failure (unknown email, wrong password, inactive or locked account) answers the same 400 ' +
            '{"email": ["Invalid User Credentials."], "password": ["Invalid User Credentials."]}. No credential is needed, but a broken `JWT` header answers 401.',
          body: { schema: Type.Object({ email: Type.String({ format: 'email', minLength: 5 }), password: Type.String({ minLength: 8 }) }), example: LOGIN_BODY },
          responses: {
            200: { description: 'Logged in', schema: Type.Object({ tokens: ApiUserTokenPair, data: UserObjectDoc }), example: LOGIN },
            400: API_USER_BAD_REQUEST,
            401: API_USER_UNAUTHORIZED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: login,
        },
      },
    },
  ];
}
