// POST /account/register (account.md §2.1): every validation outcome is HTTP 200 with a
// `success` flag, as the original answered. The user and their key are created in one
// transaction, so a failed registration leaves neither behind.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Conflict, User } from '../../core/accounts.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS, NO_STORE } from '../../http/drf-style.js';
import { DRF_TEXT, type FieldMap, SerializerErrors, charField, maxChars, serializerInput, unique, validEmail } from '../../http/drf-fields.js';
import { requestMeta } from '../../http/request.js';
import { FieldErrors, Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { ACCOUNT_PARSE_ERROR, ACCOUNT_UNAUTHORIZED, AccountKey } from './schemas.js';
import { REGISTERED, REGISTER_BODY } from './examples.js';
import { type AccountCall, type AccountRoute, accountPath } from './style.js';

const TAKEN: Record<Conflict, string> = {
  username: 'user with this username already exists.',
  email: 'user with this email already exists.',
};

interface NewAccount {
  username: string;
  email: string;
  password: string;
}

function failure(errors: Record<string, string[]>): GenericReply {
  return { status: 200, body: { success: false, errors } };
}

async function validate(ctx: AppContext, data: FieldMap): Promise<{ ok: true; account: NewAccount } | { ok: false; errors: Record<string, string[]> }> {
  const errors = new SerializerErrors();
  const username = await charField(data, 'username', {}, [unique((v) => ctx.accounts.usernameTaken(v), TAKEN.username), maxChars(32), ...DRF_TEXT]);
  const email = await charField(data, 'email', {}, [unique((v) => ctx.accounts.emailTaken(v), TAKEN.email), maxChars(256), ...DRF_TEXT, validEmail]);
  const password = await charField(data, 'password', {}, [maxChars(128), ...DRF_TEXT]);
  if (!username.ok) errors.add('username', username.errors);
  if (!email.ok) errors.add('email', email.errors);
  if (!password.ok) errors.add('password', password.errors);
  if (!username.ok || !email.ok || !password.ok || !username.present || !email.present || !password.present) return { ok: false, errors: errors.errors };
  return { ok: true, account: { username: username.value, email: email.value, password: password.value } };
}

async function createWithKey(ctx: AppContext, a: NewAccount, request: FastifyRequest): Promise<{ user: User; key: string } | { conflict: Conflict }> {
  const created = await ctx.actions.register(
    { username: a.username, email: a.email, password: a.password, picture: ctx.config.accountDefaultPicture, withAccountKey: true },
    { meta: requestMeta(request, 'account') },
  );
  if (!created.ok) return { conflict: created.conflict };
  return { user: created.user, key: created.accountKey! };
}

export function accountRegisterRoutes(ctx: AppContext): AccountRoute[] {
  async function register({ request, body }: AccountCall): Promise<GenericReply> {
    const input = serializerInput(body);
    if (!input.ok) return failure(input.errors);
    const checked = await validate(ctx, input.data);
    if (!checked.ok) return failure(checked.errors);
    const created = await createWithKey(ctx, checked.account, request);
    // The unique index decided a race the field checks could not see.
    if ('conflict' in created) return failure({ [created.conflict]: [TAKEN[created.conflict]] });
    return { status: 200, body: { success: true, token: created.key }, headers: NO_STORE };
  }

  return [
    {
      paths: [accountPath('register')],
      name: 'Register',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'accountRegister',
          summary: 'Create a user and their key; every outcome is HTTP 200 with success true or false',
          description:
            'Field errors answer 200 {"success": false, "errors": {…}} with the keys username, email, password (only the failing ones), ' +
            'or {"non_field_errors": […]} when the JSON body is not an object. No credential is needed, but a broken `Token` header answers 401.',
          body: {
            schema: Type.Object({
              username: Type.String({ maxLength: 32 }),
              email: Type.String({ format: 'email', maxLength: 256 }),
              password: Type.String({ maxLength: 128 }),
            }),
            example: REGISTER_BODY,
          },
          responses: {
            200: {
              description: 'Registered (success true, with the key), or refused (success false, with the errors)',
              schema: Type.Union([Type.Object({ success: Type.Literal(true), token: AccountKey }), Type.Object({ success: Type.Literal(false), errors: FieldErrors })]),
              example: REGISTERED,
            },
            400: ACCOUNT_PARSE_ERROR,
            401: ACCOUNT_UNAUTHORIZED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: register,
        },
      },
    },
  ];
}
