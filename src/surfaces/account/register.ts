// POST /account/register (account.md §2.1): every validation outcome is HTTP 200 with a
// `success` flag, as the original answered. The user and their key are created in one
// transaction, so a failed registration leaves neither behind.
import type { AppContext } from '../../context.js';
import type { KeyHolder } from '../../core/account-keys.js';
import type { Conflict, User } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { FieldErrors, type FieldMap, type View, readData } from '../../http/drf-view.js';
import { DRF_TEXT, charField, emailFormat, maxLength, unique } from '../../http/drf-fields.js';
import { NO_STORE } from './replies.js';

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

export function registerView(ctx: AppContext): View<KeyHolder> {
  return {
    name: 'Register',
    summary: 'Create a user and their key; every outcome is HTTP 200 with success true or false',
    method: 'POST',
    auth: 'optional',
    async handle({ request }) {
      const body = await readData(request);
      if (body.kind === 'refused') return body.reply;
      if (body.kind === 'not_object') return failure(body.errors);
      const checked = await validate(ctx, body.data);
      if (!checked.ok) return failure(checked.errors);
      const created = await createWithKey(ctx, checked.account, request);
      // The unique index decided a race the field checks could not see.
      if ('conflict' in created) return failure({ [created.conflict]: [TAKEN[created.conflict]] });
      return { status: 200, body: { success: true, token: created.key }, headers: NO_STORE };
    },
  };
}

async function validate(ctx: AppContext, data: FieldMap): Promise<{ ok: true; account: NewAccount } | { ok: false; errors: Record<string, string[]> }> {
  const errors = new FieldErrors();
  const username = await charField(data, 'username', {}, [unique((v) => ctx.accounts.usernameTaken(v), TAKEN.username), maxLength(32), ...DRF_TEXT]);
  const email = await charField(data, 'email', {}, [unique((v) => ctx.accounts.emailTaken(v), TAKEN.email), maxLength(256), ...DRF_TEXT, emailFormat]);
  const password = await charField(data, 'password', {}, [maxLength(128), ...DRF_TEXT]);
  if (!username.ok) errors.add('username', username.errors);
  if (!email.ok) errors.add('email', email.errors);
  if (!password.ok) errors.add('password', password.errors);
  if (!username.ok || !email.ok || !password.ok || !username.present || !email.present || !password.present) return { ok: false, errors: errors.errors };
  return { ok: true, account: { username: username.value, email: email.value, password: password.value } };
}

async function createWithKey(ctx: AppContext, a: NewAccount, request: Parameters<typeof requestMeta>[0]): Promise<{ user: User; key: string } | { conflict: Conflict }> {
  const created = await ctx.actions.register(
    { username: a.username, email: a.email, password: a.password, picture: ctx.config.accountDefaultPicture, withAccountKey: true },
    { meta: requestMeta(request, 'account') },
  );
  if (!created.ok) return { conflict: created.conflict };
  return { user: created.user, key: created.accountKey! };
}
