// me/ (v1.md §5.1): the caller's own account. GET shows it; PUT changes email and username with
// the register/ rules (uniqueness ignoring the caller's own row); DELETE, with the password,
// deletes the user and everything that hangs on it (§0.9).
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { AccountChange } from '../../core/actions/update-account.js';
import { isoMicros } from '../../core/time.js';
import { v1AvatarUrl } from '../../http/avatar-url.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { conflictMessage, emailField, storedEmail, usernameField } from './account-fields.js';
import { NO_CONTENT, TEXT, invalid, json } from './messages.js';
import { BAD_REQUEST, COMMON, Me, NO_CONTENT as NO_CONTENT_DOC } from './schemas.js';
import { DELETE_BODY, ME, ME_UPDATE, ME_UPDATED } from './examples.js';
import { type V1Call, type V1Route, signedIn, v1Path } from './style.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

const DELETE_FIELDS: FieldSpec[] = [passwordField('password')];

export function meRoutes(ctx: AppContext): V1Route[] {
  async function meJson(request: FastifyRequest, user: User) {
    return {
      id: user.id,
      email: user.email,
      username: user.username,
      email_verified: user.email_verified === 1,
      avatar: await v1AvatarUrl(ctx, request, user),
      created: isoMicros(user.created),
    };
  }

  async function show({ request, auth }: V1Call): Promise<GenericReply> {
    return json(200, await meJson(request, signedIn(auth).user));
  }

  /** Partial: only `email` and `username` are read; the core's email rule does the rest. */
  async function update({ request, auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const fields = [emailField(ctx.accounts, { required: false, except: user }), usernameField(ctx.accounts, { required: false, except: user })];
    const v = await validate(body, fields);
    if (!v.ok) return invalid(v.errors);
    const change: AccountChange = {};
    const email = v.values.email === undefined ? undefined : storedEmail(v.values.email);
    if (email !== undefined && email !== user.email) change.email = email;
    if (v.values.username !== undefined && v.values.username !== user.username) change.username = v.values.username;
    const saved = await ctx.actions.update(user, change, { meta: requestMeta(request, 'v1'), audit: 'self' });
    if (!saved.ok) return invalid([conflictMessage(saved.conflict)]);
    return json(202, await meJson(request, saved.user));
  }

  async function remove({ request, auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const v = await validate(body, DELETE_FIELDS);
    if (!v.ok) return invalid(v.errors);
    if (!(await ctx.login.checkPassword(user, v.values.password))) return invalid([TEXT.incorrectPassword]);
    await ctx.actions.deleteUser(user, { meta: requestMeta(request, 'v1'), event: 'user.delete' });
    return NO_CONTENT;
  }

  return [
    {
      paths: [v1Path('me/')],
      name: 'Me',
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: { operationId: 'v1GetMe', summary: 'The caller’s account', responses: { 200: { description: 'The account', schema: Me, example: ME }, ...COMMON }, handle: show },
        PUT: {
          operationId: 'v1UpdateMe',
          summary: 'Change the caller’s email or username (only the keys sent)',
          description: 'A new email is unverified, voids mailed tokens and is announced to the old address.',
          body: { schema: Type.Object({ email: Type.Optional(Type.String({ format: 'email', maxLength: 200 })), username: Type.Optional(Type.String({ maxLength: 250 })) }), example: ME_UPDATE },
          responses: { 202: { description: 'Updated', schema: Me, example: ME_UPDATED }, 400: BAD_REQUEST, ...COMMON },
          handle: update,
        },
        DELETE: {
          operationId: 'v1DeleteMe',
          summary: 'Delete the caller’s account and everything that hangs on it',
          body: { schema: Type.Object({ password: Type.String() }, { required: ['password'] }), example: DELETE_BODY },
          responses: { 204: NO_CONTENT_DOC, 400: BAD_REQUEST, ...COMMON },
          handle: remove,
        },
      },
    },
  ];
}
