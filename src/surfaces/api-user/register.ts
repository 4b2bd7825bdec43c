// POST /api/user/register (api-user.md §3.2): a user with an email, a full name, an optional
// picture and a password; no username, no tokens.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { RequestMeta } from '../../core/audit.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { FieldErrors, type FieldMap, type View, badRequest, readObject } from '../../http/drf-view.js';
import { DRF_TEXT, charField, emailFormat, maxLength, unique } from '../../http/drf-fields.js';
import { type ProfilePic, avatarFilename, checkProfilePic } from './profile-pic.js';
import { userObject } from './user-view.js';

const EMAIL_EXISTS = 'Email address already exists.';

interface NewAccount {
  email: string;
  fullName: string;
  password: string;
  pic: ProfilePic;
}

export function registerView(ctx: AppContext): View<User> {
  return {
    name: 'Register',
    summary: 'Create a user (JSON or multipart with profile_pic)',
    method: 'POST',
    auth: 'optional',
    async handle({ request }) {
      const body = await readObject(request);
      if (!body.ok) return body.reply;
      const checked = await validate(ctx, body.data);
      if (!checked.ok) return checked.reply;
      const user = await createUser(ctx, checked.account, requestMeta(request, 'api-user'));
      // The unique index decided a race the field check could not see.
      if (!user) return badRequest({ email: [EMAIL_EXISTS] });
      return { status: 201, body: await userObject(ctx, request, user) };
    },
  };
}

async function validate(ctx: AppContext, data: FieldMap): Promise<{ ok: true; account: NewAccount } | { ok: false; reply: GenericReply }> {
  const errors = new FieldErrors();
  const email = await charField(data, 'email', {}, [unique((v) => ctx.accounts.emailTaken(v), EMAIL_EXISTS), maxLength(254), ...DRF_TEXT, emailFormat]);
  const fullName = await charField(data, 'full_name', {}, [maxLength(250), ...DRF_TEXT]);
  const pic = await checkProfilePic(data);
  const password = await charField(data, 'password', {}, [maxLength(128), ...DRF_TEXT]);
  if (!email.ok) errors.add('email', email.errors);
  if (!fullName.ok) errors.add('full_name', fullName.errors);
  if (pic.kind === 'error') errors.add('profile_pic', [pic.message]);
  if (!password.ok) errors.add('password', password.errors);
  if (!email.ok || !fullName.ok || !password.ok || !email.present || !fullName.present || !password.present || errors.any) {
    return { ok: false, reply: badRequest(errors.errors) };
  }
  return { ok: true, account: { email: email.value, fullName: fullName.value, password: password.value, pic } };
}

/** The user with their picture (the core removes the account again if the picture cannot be stored); undefined when the email was taken meanwhile. */
async function createUser(ctx: AppContext, a: NewAccount, meta: RequestMeta): Promise<User | undefined> {
  const avatar = a.pic.kind === 'image' ? { format: a.pic.format, data: a.pic.data, filename: avatarFilename(a.pic.format) } : undefined;
  const created = await ctx.actions.register({ email: a.email, fullName: a.fullName, password: a.password, avatar }, { meta });
  return created.ok ? created.user : undefined;
}
