// POST /users/login/ and POST /users/logout/ (users.md §2.3, §2.4) over the shared login slot.
import { requestMeta } from '../../http/request.js';
import { endLogin, startLogin } from '../../http/session-login.js';
import type { GenericReply } from '../../http/surface.js';
import { jsonObject } from './json-object.js';
import type { Call } from './pipeline.js';
import { REPLY, userMessage } from './replies.js';

export async function login({ ctx, request, reply, login: current }: Call): Promise<GenericReply> {
  if (current) return REPLY.alreadyAuthenticated;
  const data = jsonObject(request);
  if (!data) return REPLY.invalidJson;
  const { username, password } = data;
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    return REPLY.credentialsRequired;
  }
  // PostgreSQL text cannot hold NUL, so no account has one; don't send it to the database.
  const user = username.includes('\0') ? undefined : await ctx.accounts.byUsername(username);
  const meta = requestMeta(request, 'users');
  const outcome = await ctx.login.attempt({ user, password, identifier: username, method: 'session', meta });
  if (outcome.ok) {
    await startLogin(ctx, request, reply, outcome.user);
    return { status: 200, body: userMessage(outcome.user, 'Login successful.') };
  }
  if (outcome.reason === 'unknown_account') return REPLY.unknownUsername;
  if (outcome.reason === 'locked') return REPLY.locked;
  return REPLY.invalidPassword;
}

export async function logout({ ctx, request, reply, login: current }: Call): Promise<GenericReply> {
  // The pipeline answers 401 before this runs; `current` is always set here.
  const { user } = current!;
  await endLogin(ctx, reply, current!, requestMeta(request, 'users'));
  return { status: 200, body: userMessage(user, 'Logout successful.') };
}
