// GET /api/user/me and PUT /api/user/update (api-user.md §3.3, §3.4). Update is partial:
// only the fields sent change, all of them in one transaction, and the picture file is
// written before and the old one deleted after, so no failure leaves the user half-changed.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { AccountChange } from '../../core/actions/update-account.js';
import type { RequestMeta } from '../../core/audit.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS, callerOf } from '../../http/drf-style.js';
import { DRF_TEXT, type FieldMap, SerializerErrors, charField, invalidFields, maxChars, serializerInput, unique, validEmail } from '../../http/drf-fields.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { type ProfilePic, avatarFilename, checkProfilePic } from './profile-pic.js';
import { API_USER_BAD_REQUEST, ProfilePicField, API_USER_UNAUTHORIZED, UserObjectDoc } from './schemas.js';
import { UPDATED, UPDATE_BODY, USER } from './examples.js';
import { type ApiUserCall, type ApiUserRoute, withAndWithoutSlash } from './style.js';
import { userObject } from './user-view.js';

const EMAIL_TAKEN = 'user with this email already exists.';

interface Changes {
  email?: string;
  fullName?: string;
  password?: string;
  pic: ProfilePic;
}

async function validate(ctx: AppContext, user: User, data: FieldMap): Promise<{ ok: true; changes: Changes } | { ok: false; reply: GenericReply }> {
  const errors = new SerializerErrors();
  const optional = { required: false };
  const email = await charField(data, 'email', optional, [unique((v) => ctx.accounts.emailTaken(v, user.number), EMAIL_TAKEN), maxChars(254), ...DRF_TEXT, validEmail]);
  const fullName = await charField(data, 'full_name', optional, [maxChars(250), ...DRF_TEXT]);
  const pic = await checkProfilePic(data);
  const password = await charField(data, 'password', optional, [maxChars(128), ...DRF_TEXT]);
  if (!email.ok) errors.add('email', email.errors);
  if (!fullName.ok) errors.add('full_name', fullName.errors);
  if (pic.kind === 'error') errors.add('profile_pic', [pic.message]);
  if (!password.ok) errors.add('password', password.errors);
  if (!email.ok || !fullName.ok || !password.ok || errors.any) return { ok: false, reply: invalidFields(errors.errors) };
  return {
    ok: true,
    changes: {
      email: email.present ? email.value : undefined,
      fullName: fullName.present ? fullName.value : undefined,
      password: password.present ? password.value : undefined,
      pic,
    },
  };
}

/**
 * The new user row, or undefined when the email was taken meanwhile (nothing changed then).
 * Email, name, password and picture change in one transaction (the core's one update rule: a
 * new address is unverified and voids mailed tokens, a new password voids them too and is
 * audited, and ends no other login here, api-user.md §3.4), reported as one user.updated.
 */
async function apply(ctx: AppContext, user: User, c: Changes, meta: RequestMeta): Promise<User | undefined> {
  const change: AccountChange = {};
  if (c.email !== undefined) change.email = c.email;
  if (c.fullName !== undefined) change.fullName = c.fullName;
  if (c.password !== undefined) change.password = c.password;
  if (c.pic.kind === 'image') change.newAvatar = { image: c.pic, naming: { filename: avatarFilename(c.pic.format) } };
  if (c.pic.kind === 'clear') change.newAvatar = 'remove';
  const saved = await ctx.actions.update(user, change, { meta, audit: 'self' });
  return saved.ok ? saved.user : undefined;
}

export function apiUserMeRoutes(ctx: AppContext): ApiUserRoute[] {
  async function me({ request, auth }: ApiUserCall): Promise<GenericReply> {
    return { status: 200, body: await userObject(ctx, request, callerOf(auth)) };
  }

  async function update({ request, auth, body }: ApiUserCall): Promise<GenericReply> {
    const user = callerOf(auth);
    const input = serializerInput(body);
    if (!input.ok) return invalidFields(input.errors);
    const checked = await validate(ctx, user, input.data);
    if (!checked.ok) return checked.reply;
    const updated = await apply(ctx, user, checked.changes, requestMeta(request, 'api-user'));
    if (!updated) return invalidFields({ email: [EMAIL_TAKEN] });
    return { status: 200, body: await userObject(ctx, request, updated) };
  }

  return [
    {
      paths: withAndWithoutSlash('me'),
      name: 'Me',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'apiUserGetMe',
          summary: 'The authenticated user',
          responses: { 200: { description: 'The user object', schema: UserObjectDoc, example: USER }, 401: API_USER_UNAUTHORIZED, ...DRF_COMMON_DOCS },
          handle: me,
        },
      },
    },
    {
      paths: withAndWithoutSlash('update'),
      name: 'Update',
      credential: 'required',
      methods: {
        PUT: {
          operationId: 'apiUserUpdate',
          summary: 'Change the authenticated user (partial: only the fields sent; profile_pic null or "" deletes the picture)',
          description: 'A new email is unverified and voids mailed tokens; a new password ends no other login. PATCH is 405.',
          body: {
            schema: Type.Object({
              email: Type.Optional(Type.String({ format: 'email', maxLength: 254 })),
              full_name: Type.Optional(Type.String({ maxLength: 250 })),
              profile_pic: Type.Optional(ProfilePicField),
              password: Type.Optional(Type.String({ maxLength: 128 })),
            }),
            example: UPDATE_BODY,
          },
          responses: {
            200: { description: 'The changed user object (unchanged for an empty body)', schema: UserObjectDoc, example: UPDATED },
            400: API_USER_BAD_REQUEST,
            401: API_USER_UNAUTHORIZED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: update,
        },
      },
    },
  ];
}
