// POST /api/user/register (api-user.md §3.2): a user with an email, a full name, an optional
// picture and a password; no username, no tokens.
import type { AppContext } from '../../context.js';
import { type User, person } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { FieldErrors, type FieldMap, type View, badRequest, readObject } from '../../http/drf-view.js';
import { DRF_TEXT, charField, emailFormat, maxLength, unique } from '../../http/drf-fields.js';
import { type ProfilePic, checkProfilePic, saveAvatarFile } from './profile-pic.js';
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
      const user = await createUser(ctx, checked.account);
      // The unique index decided a race the field check could not see.
      if (!user) return badRequest({ email: [EMAIL_EXISTS] });
      await ctx.audit.record({ event: 'user.register', meta: requestMeta(request, 'api-user'), user: person(user) });
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

/**
 * Creates the user, then stores the picture. If storing the picture fails, the user is
 * deleted again, so a failed registration leaves no account and no file behind.
 * Returns undefined when the email was taken meanwhile.
 */
async function createUser(ctx: AppContext, a: NewAccount): Promise<User | undefined> {
  const created = await ctx.accounts.create({ email: a.email, fullName: a.fullName, password: a.password });
  if (!created.ok) return undefined;
  if (a.pic.kind !== 'image') return created.user;
  try {
    const avatar = await saveAvatarFile(ctx, created.user.number, a.pic);
    const updated = await ctx.accounts.update(created.user.number, { avatar });
    if (!updated.ok) throw new Error('storing the avatar path failed');
    return updated.user;
  } catch (err) {
    await ctx.revocation.deleteUser(created.user);
    throw err;
  }
}
