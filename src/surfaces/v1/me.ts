// me/ (v1.md §5.1): the caller's own account. GET shows it; PUT changes email and username with
// the register/ rules (uniqueness ignoring the caller's own row); DELETE, with the password,
// deletes the user and everything that hangs on it (§0.9).
import type { FastifyRequest } from 'fastify';
import { type User, type UserPatch, person } from '../../core/accounts.js';
import { isoMicros } from '../../core/time.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { conflictMessage, emailField, storedEmail, usernameField } from './account-fields.js';
import { v1AvatarUrl } from '../../http/avatar-url.js';
import { NO_CONTENT, TEXT, invalid, json } from './messages.js';
import { type Call, type RouteSpec, type V1Deps, signedIn } from './pipeline.js';
import { type FieldSpec, passwordField, validate } from './validation.js';

const DELETE_FIELDS: FieldSpec[] = [passwordField('password')];

export function meRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx } = deps;

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

  async function show({ request, auth }: Call): Promise<GenericReply> {
    return json(200, await meJson(request, signedIn(auth).user));
  }

  /** Partial: only `email` and `username` are read; an email change unverifies and notifies. */
  async function update({ request, auth, body }: Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const fields = [emailField(ctx.accounts, { required: false, except: user }), usernameField(ctx.accounts, { required: false, except: user })];
    const v = await validate(body, fields);
    if (!v.ok) return invalid(v.errors);
    const patch: UserPatch = {};
    const email = v.values.email === undefined ? undefined : storedEmail(v.values.email);
    const emailChanged = email !== undefined && email !== user.email;
    if (emailChanged) patch.email = email;
    if (emailChanged) patch.emailVerified = false;
    if (v.values.username !== undefined && v.values.username !== user.username) patch.username = v.values.username;
    if (Object.keys(patch).length === 0) return json(202, await meJson(request, user));
    const saved = await ctx.accounts.update(user.number, patch);
    if (!saved.ok) return invalid([conflictMessage(saved.conflict)]);
    if (emailChanged) {
      if (user.email) ctx.accountMail.emailChanged(saved.user, user.email);
      await ctx.audit.record({ event: 'user.email_change', meta: requestMeta(request, 'v1'), actor: person(user), user: person(saved.user), details: { from: user.email, to: saved.user.email } });
    }
    return json(202, await meJson(request, saved.user));
  }

  async function remove({ request, auth, body }: Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const v = await validate(body, DELETE_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const verdict = await ctx.passwords.verify(v.values.password, user.password);
    if (!verdict.ok) return invalid([TEXT.incorrectPassword]);
    await ctx.revocation.deleteUser(user);
    await ctx.audit.record({ event: 'user.delete', meta: requestMeta(request, 'v1'), actor: person(user), user: person(user) });
    return NO_CONTENT;
  }

  return [
    {
      path: 'me/',
      name: 'Me',
      credential: 'required',
      throttle: 'user',
      methods: { GET: { view: show }, PUT: { view: update, parse: true }, DELETE: { view: remove, parse: true } },
    },
  ];
}
