// POST /account/login and /account/logout (account.md §2.2, §2.3): one key per user, the same
// one returned by every login until a logout deletes it.
import type { AppContext } from '../../context.js';
import { type AccountKeys, type KeyHolder } from '../../core/account-keys.js';
import { requestMeta } from '../../http/request.js';
import { FieldErrors, type View, badRequest, readObject } from '../../http/drf-view.js';
import { DRF_TEXT, charField } from '../../http/drf-fields.js';
import { NO_STORE, SUCCESS } from './replies.js';

/** Every credential failure, the locked answer included (§1.4), looks the same. */
const BAD_CREDENTIALS = badRequest({ non_field_errors: ['Unable to log in with provided credentials.'] });

export function loginView(ctx: AppContext, keys: AccountKeys): View<KeyHolder> {
  return {
    name: 'Login',
    summary: "Log in with username and password; returns the user's key",
    method: 'POST',
    auth: 'optional',
    async handle({ request }) {
      const body = await readObject(request);
      if (!body.ok) return body.reply;
      const username = await charField(body.data, 'username', {}, DRF_TEXT);
      // DRF's AuthTokenSerializer kept the password's surrounding whitespace.
      const password = await charField(body.data, 'password', { trim: false }, DRF_TEXT);
      const errors = new FieldErrors();
      if (!username.ok) errors.add('username', username.errors);
      if (!password.ok) errors.add('password', password.errors);
      if (!username.ok || !password.ok || !username.present || !password.present) return badRequest(errors.errors);
      const user = await ctx.accounts.byUsername(username.value);
      const outcome = await ctx.login.attempt({ user, password: password.value, identifier: username.value, method: 'token', meta: requestMeta(request, 'account') });
      if (!outcome.ok) return BAD_CREDENTIALS;
      return { status: 200, body: { token: await keys.getOrCreate(outcome.user.number) }, headers: NO_STORE };
    },
  };
}

export function logoutView(ctx: AppContext): View<KeyHolder> {
  return {
    name: 'Logout',
    summary: "Delete the caller's key",
    method: 'POST',
    auth: 'required',
    async handle({ request, user: holder }) {
      await ctx.actions.logoutAccountKey(holder, { meta: requestMeta(request, 'account') });
      return SUCCESS;
    },
  };
}
