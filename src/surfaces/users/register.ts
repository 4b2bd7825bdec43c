// POST /users/register/ (users.md §2.2): a user with a username and a password, nobody logged in.
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { jsonObject } from './json-object.js';
import type { Call } from './pipeline.js';
import { validateRegistration } from './register-form.js';
import { MSG, REPLY, fieldErrors, userMessage } from './replies.js';

export async function register({ ctx, request }: Call): Promise<GenericReply> {
  const data = jsonObject(request);
  if (!data) return REPLY.invalidJson;
  const form = await validateRegistration(data, (username) => ctx.accounts.usernameTaken(username));
  if (!form.ok) return fieldErrors(form.errors);
  // The unique index decides a race the look-up above could not see.
  const saved = await ctx.actions.register({ username: form.username, password: form.password }, { meta: requestMeta(request, 'users') });
  if (!saved.ok) return fieldErrors({ username: [MSG.usernameTaken] });
  return { status: 201, body: userMessage(saved.user, 'User created.') };
}
