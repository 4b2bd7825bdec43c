// GET /api/user/me and PUT /api/user/update (api-user.md §3.3, §3.4). Update is partial:
// only the fields sent change, all of them in one transaction, and the picture file is
// written before and the old one deleted after, so no failure leaves the user half-changed.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { AccountChange } from '../../core/actions/update-account.js';
import type { RequestMeta } from '../../core/audit.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { FieldErrors, type FieldMap, type View, badRequest, readObject } from '../../http/drf-view.js';
import { DRF_TEXT, charField, emailFormat, maxLength, unique } from '../../http/drf-fields.js';
import { type ProfilePic, avatarFilename, checkProfilePic } from './profile-pic.js';
import { userObject } from './user-view.js';

const EMAIL_TAKEN = 'user with this email already exists.';

export function meView(ctx: AppContext): View<User> {
  return {
    name: 'Me',
    summary: 'The authenticated user',
    method: 'GET',
    auth: 'required',
    async handle({ request, user }) {
      return { status: 200, body: await userObject(ctx, request, user) };
    },
  };
}

interface Changes {
  email?: string;
  fullName?: string;
  password?: string;
  pic: ProfilePic;
}

export function updateView(ctx: AppContext): View<User> {
  return {
    name: 'Update',
    summary: 'Change the authenticated user (partial; profile_pic null deletes the picture)',
    method: 'PUT',
    auth: 'required',
    async handle({ request, user }) {
      const body = await readObject(request);
      if (!body.ok) return body.reply;
      const checked = await validate(ctx, user, body.data);
      if (!checked.ok) return checked.reply;
      const updated = await apply(ctx, user, checked.changes, requestMeta(request, 'api-user'));
      if (!updated) return badRequest({ email: [EMAIL_TAKEN] });
      return { status: 200, body: await userObject(ctx, request, updated) };
    },
  };
}

async function validate(ctx: AppContext, user: User, data: FieldMap): Promise<{ ok: true; changes: Changes } | { ok: false; reply: GenericReply }> {
  const errors = new FieldErrors();
  const optional = { required: false };
  const email = await charField(data, 'email', optional, [unique((v) => ctx.accounts.emailTaken(v, user.number), EMAIL_TAKEN), maxLength(254), ...DRF_TEXT, emailFormat]);
  const fullName = await charField(data, 'full_name', optional, [maxLength(250), ...DRF_TEXT]);
  const pic = await checkProfilePic(data);
  const password = await charField(data, 'password', optional, [maxLength(128), ...DRF_TEXT]);
  if (!email.ok) errors.add('email', email.errors);
  if (!fullName.ok) errors.add('full_name', fullName.errors);
  if (pic.kind === 'error') errors.add('profile_pic', [pic.message]);
  if (!password.ok) errors.add('password', password.errors);
  if (!email.ok || !fullName.ok || !password.ok || errors.any) return { ok: false, reply: badRequest(errors.errors) };
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
 * Email, name and password change in one transaction (the core's one update rule: a new
 * address is unverified and voids mailed tokens, a new password voids them too and is audited,
 * and ends no other login here, api-user.md §3.4); the picture follows.
 */
async function apply(ctx: AppContext, user: User, c: Changes, meta: RequestMeta): Promise<User | undefined> {
  const change: AccountChange = {};
  if (c.email !== undefined) change.email = c.email;
  if (c.fullName !== undefined) change.fullName = c.fullName;
  if (c.password !== undefined) change.password = c.password;
  const saved = await ctx.actions.update(user, change, { meta, audit: 'self' });
  if (!saved.ok) return undefined;
  if (c.pic.kind === 'image') {
    const stored = await ctx.actions.replaceAvatar(user, c.pic, { filename: avatarFilename(c.pic.format) });
    return stored.ok ? stored.user : undefined;
  }
  if (c.pic.kind === 'clear') {
    const removed = await ctx.actions.removeAvatar(user);
    return removed.ok ? removed.user : undefined;
  }
  return saved.user;
}
