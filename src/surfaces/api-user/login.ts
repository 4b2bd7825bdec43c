// POST /api/user/login (api-user.md §3.1): field checks, then the core password login with its
// lockout, then a new token pair and the user object.
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { FieldErrors, type FieldMap, type View, badRequest, readObject } from '../../http/drf-view.js';
import { DRF_TEXT, charField, emailFormat, exists, minLength, rawText } from '../../http/drf-fields.js';
import type { ApiUserTokens } from '../../core/api-user-tokens.js';
import { userObject } from './user-view.js';

/** Every credential failure, the locked answer included (§1.5), looks the same. */
const BAD_CREDENTIALS = badRequest({ email: ['Invalid User Credentials.'], password: ['Invalid User Credentials.'] });

export const NO_STORE = { 'Cache-Control': 'no-store' };

interface Credentials {
  /** The email exactly as sent (untrimmed): what the credential check looks up. */
  rawEmail: string;
  /** Trimmed, as the serializer's CharField left it. */
  password: string;
  /** The account the field check found by the trimmed email; it is the one meant when nothing was trimmed. */
  found: { email: string; user: User | undefined };
}

export function loginView(ctx: AppContext, tokens: ApiUserTokens): View<User> {
  return {
    name: 'Login',
    summary: 'Log in with email and password; returns a JWT pair and the user',
    method: 'POST',
    auth: 'optional',
    async handle({ request }) {
      const body = await readObject(request);
      if (!body.ok) return body.reply;
      const checked = await validate(ctx, body.data);
      if (!checked.ok) return checked.reply;
      const { rawEmail, password, found } = checked.credentials;
      const user = rawEmail === found.email ? found.user : await ctx.accounts.byEmail(rawEmail);
      const outcome = await ctx.login.attempt({ user, password, identifier: rawEmail, method: 'jwt', meta: requestMeta(request, 'api-user') });
      if (!outcome.ok) return BAD_CREDENTIALS;
      const pair = await tokens.issue(outcome.user.id);
      const data = await userObject(ctx, request, outcome.user);
      return { status: 200, body: { tokens: { refresh: pair.refresh, access: pair.access }, data }, headers: NO_STORE };
    },
  };
}

async function validate(ctx: AppContext, data: FieldMap): Promise<{ ok: true; credentials: Credentials } | { ok: false; reply: GenericReply }> {
  let user: User | undefined;
  const known = exists(async (email) => (user = await ctx.accounts.byEmail(email)) !== undefined, 'Invalid user credentials');
  const email = await charField(data, 'email', {}, [known, minLength(5), ...DRF_TEXT, emailFormat]);
  const password = await charField(data, 'password', {}, [minLength(8), ...DRF_TEXT]);
  const errors = new FieldErrors();
  if (!email.ok) errors.add('email', email.errors);
  if (!password.ok) errors.add('password', password.errors);
  if (!email.ok || !password.ok || !email.present || !password.present) return { ok: false, reply: badRequest(errors.errors) };
  return { ok: true, credentials: { rawEmail: rawText(data, 'email'), password: password.value, found: { email: email.value, user } } };
}
