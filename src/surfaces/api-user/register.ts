// POST /api/user/register (api-user.md §3.2): a user with an email, a full name, an optional
// picture and a password; no username, no tokens.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Registered } from '../../core/actions/register.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS } from '../../http/drf-style.js';
import { DRF_TEXT, type FieldMap, SerializerErrors, charField, invalidFields, maxChars, serializerInput, unique, validEmail } from '../../http/drf-fields.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { type ProfilePic, avatarFilename, checkProfilePic } from './profile-pic.js';
import { API_USER_BAD_REQUEST, ProfilePicField, API_USER_UNAUTHORIZED, UserObjectDoc } from './schemas.js';
import { REGISTER_BODY, USER } from './examples.js';
import { type ApiUserCall, type ApiUserRoute, withAndWithoutSlash } from './style.js';
import { type UserObject, userObjectOf } from './user-view.js';

const EMAIL_EXISTS = 'Email address already exists.';

interface NewAccount {
  email: string;
  fullName: string;
  password: string;
  pic: ProfilePic;
}

async function validate(ctx: AppContext, data: FieldMap): Promise<{ ok: true; account: NewAccount } | { ok: false; reply: GenericReply }> {
  const errors = new SerializerErrors();
  const email = await charField(data, 'email', {}, [unique((v) => ctx.accounts.emailTaken(v), EMAIL_EXISTS), maxChars(254), ...DRF_TEXT, validEmail]);
  const fullName = await charField(data, 'full_name', {}, [maxChars(250), ...DRF_TEXT]);
  const pic = await checkProfilePic(data);
  const password = await charField(data, 'password', {}, [maxChars(128), ...DRF_TEXT]);
  if (!email.ok) errors.add('email', email.errors);
  if (!fullName.ok) errors.add('full_name', fullName.errors);
  if (pic.kind === 'error') errors.add('profile_pic', [pic.message]);
  if (!password.ok) errors.add('password', password.errors);
  if (!email.ok || !fullName.ok || !password.ok || !email.present || !fullName.present || !password.present || errors.any) {
    return { ok: false, reply: invalidFields(errors.errors) };
  }
  return { ok: true, account: { email: email.value, fullName: fullName.value, password: password.value, pic } };
}

/**
 * The user with their picture, and the 201 body, built inside the registration's transaction
 * (it is also the seed-001 broker message, events.md §4); undefined when the email was taken
 * meanwhile.
 */
async function createUser(ctx: AppContext, request: FastifyRequest, a: NewAccount): Promise<UserObject | undefined> {
  const avatar = a.pic.kind === 'image' ? { format: a.pic.format, data: a.pic.data, filename: avatarFilename(a.pic.format) } : undefined;
  let body: UserObject | undefined;
  const legacy = ({ user, avatarFormat }: Registered) => (body = userObjectOf(ctx, request, user, avatarFormat));
  const created = await ctx.actions.register({ email: a.email, fullName: a.fullName, password: a.password, avatar }, { meta: requestMeta(request, 'api-user'), legacy });
  return created.ok ? body : undefined;
}

export function apiUserRegisterRoutes(ctx: AppContext): ApiUserRoute[] {
  async function register({ request, body }: ApiUserCall): Promise<GenericReply> {
    const input = serializerInput(body);
    if (!input.ok) return invalidFields(input.errors);
    const checked = await validate(ctx, input.data);
    if (!checked.ok) return checked.reply;
    const created = await createUser(ctx, request, checked.account);
    // The unique index decided a race the field check could not see.
    if (!created) return invalidFields({ email: [EMAIL_EXISTS] });
    return { status: 201, body: created };
  }

  return [
    {
      paths: withAndWithoutSlash('register'),
      name: 'Register',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'apiUserRegister',
          summary: 'Create a user (JSON, or multipart with a profile_pic file); issues no tokens',
          description: 'No credential is needed, but a broken `JWT` header answers 401. The picture is re-encoded and its metadata dropped.',
          body: {
            schema: Type.Object({
              email: Type.String({ format: 'email', maxLength: 254 }),
              full_name: Type.String({ maxLength: 250 }),
              profile_pic: Type.Optional(ProfilePicField),
              password: Type.String({ maxLength: 128 }),
            }),
            example: REGISTER_BODY,
          },
          responses: {
            201: { description: 'Created: the user object', schema: UserObjectDoc, example: USER },
            400: API_USER_BAD_REQUEST,
            401: API_USER_UNAUTHORIZED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: register,
        },
      },
    },
  ];
}
