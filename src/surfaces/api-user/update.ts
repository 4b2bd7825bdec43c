// GET /api/user/me and PUT /api/user/update (api-user.md §3.3, §3.4). Update is partial:
// only the fields sent change, all of them in one transaction, and the picture file is
// written before and the old one deleted after, so no failure leaves the user half-changed.
import type { AppContext } from '../../context.js';
import { type User, type UserPatch, person } from '../../core/accounts.js';
import type { RequestMeta } from '../../core/audit.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { FieldErrors, type FieldMap, type View, badRequest, readObject } from '../../http/drf-view.js';
import { DRF_TEXT, charField, emailFormat, maxLength, unique } from '../../http/drf-fields.js';
import { type ProfilePic, checkProfilePic, saveAvatarFile } from './profile-pic.js';
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
      const updated = await apply(ctx, user, checked.changes);
      if (!updated) return badRequest({ email: [EMAIL_TAKEN] });
      await audit(ctx, requestMeta(request, 'api-user'), user, updated, checked.changes);
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

/** The new user row, or undefined when the email was taken meanwhile (nothing changed then). */
async function apply(ctx: AppContext, user: User, c: Changes): Promise<User | undefined> {
  const newAvatar = c.pic.kind === 'image' ? await saveAvatarFile(ctx, user.number, c.pic) : undefined;
  const patch: UserPatch = {};
  if (c.email !== undefined) patch.email = c.email;
  // A different address has not been verified (§3.4).
  if (c.email !== undefined && c.email !== user.email) patch.emailVerified = false;
  if (c.fullName !== undefined) patch.fullName = c.fullName;
  if (newAvatar !== undefined) patch.avatar = newAvatar;
  if (c.pic.kind === 'clear') patch.avatar = null;
  let updated: User | undefined;
  try {
    updated = await save(ctx, user, patch, c.password);
  } catch (err) {
    await ctx.media.remove(newAvatar);
    throw err;
  }
  if (!updated) {
    await ctx.media.remove(newAvatar);
    return undefined;
  }
  // Only once the row points elsewhere is the old file deleted.
  if (patch.avatar !== undefined && user.avatar && user.avatar !== patch.avatar) await removeQuietly(ctx, user.avatar);
  return updated;
}

class EmailConflict extends Error {}

/** The row and the password hash change together or not at all. */
async function save(ctx: AppContext, user: User, patch: UserPatch, password: string | undefined): Promise<User | undefined> {
  if (Object.keys(patch).length === 0 && password === undefined) return user;
  // Hashed before the transaction, so no database connection waits on argon2.
  const hash = password === undefined ? undefined : await ctx.passwords.hash(password);
  try {
    return await ctx.db.transaction().execute(async (trx) => {
      const r = await ctx.accounts.update(user.number, patch, trx);
      if (!r.ok) throw new EmailConflict();
      if (hash === undefined) return r.user;
      await ctx.accounts.setPasswordHash(user.number, hash, trx);
      return { ...r.user, password: hash };
    });
  } catch (err) {
    if (err instanceof EmailConflict) return undefined;
    throw err;
  }
}

/** The update already succeeded; a file that cannot be deleted is logged, not reported. */
async function removeQuietly(ctx: AppContext, relPath: string): Promise<void> {
  try {
    await ctx.media.remove(relPath);
  } catch (err) {
    ctx.log.error({ err }, 'old avatar file could not be removed');
  }
}

/** §3.4: email and password changes are audited; a new password does not end other logins. */
async function audit(ctx: AppContext, meta: RequestMeta, before: User, after: User, c: Changes): Promise<void> {
  if (before.email !== after.email) {
    await ctx.audit.record({ event: 'user.email_change', meta, actor: person(after), user: person(after), details: { old: before.email, new: after.email } });
  }
  if (c.password !== undefined) await ctx.audit.record({ event: 'password.change', meta, actor: person(after), user: person(after) });
}
