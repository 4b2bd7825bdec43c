// POST /users/login/ and POST /users/logout/ (users.md §2.3, §2.4) over the shared login slot.
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import { endLogin, startLogin } from '../../http/session-login.js';
import type { GenericReply } from '../../http/surface.js';
import { jsonObject } from './json-object.js';
import { REPLY, userMessage } from './replies.js';
import { CSRF_FAILED, ErrorText, LOCKED_OR_CSRF, LOGIN_REFUSED, EMPTY_405, NOT_AUTHENTICATED, SESSION_COOKIE_HEADER, USERS_TOO_LARGE, UserMessage } from './schemas.js';
import { LOGIN_BODY, answered } from './examples.js';
import { type UsersCall, type UsersRoute, loggedIn } from './style.js';

async function login({ ctx, request, reply, auth }: UsersCall): Promise<GenericReply> {
  if (auth) return REPLY.alreadyAuthenticated;
  const data = jsonObject(request);
  if (!data) return REPLY.invalidJson;
  const { username, password } = data;
  if (typeof username !== 'string' || typeof password !== 'string' || username === '' || password === '') {
    return REPLY.credentialsRequired;
  }
  const user = await ctx.accounts.byUsername(username);
  const meta = requestMeta(request, 'users');
  const attempt = await ctx.login.attempt({ user, password, identifier: username, method: 'session', meta });
  if (attempt.ok) {
    await startLogin(ctx, request, reply, attempt.user);
    return { status: 200, body: userMessage(attempt.user, 'Login successful.') };
  }
  if (attempt.reason === 'unknown_account') return REPLY.unknownUsername;
  if (attempt.reason === 'locked') return REPLY.locked;
  return REPLY.invalidPassword;
}

async function logout({ ctx, request, reply, auth }: UsersCall): Promise<GenericReply> {
  const current = loggedIn(auth);
  await endLogin(ctx, reply, current, requestMeta(request, 'users'));
  return { status: 200, body: userMessage(current.user, 'Logout successful.') };
}

const LoginBody = Type.Object({ username: Type.String({ description: 'Matched case-insensitively, untrimmed' }), password: Type.String() }, { required: ['username', 'password'] });

export function loginRoutes(): UsersRoute[] {
  return [
    {
      paths: ['/users/login/'],
      name: 'Login',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'usersLogin',
          summary: 'Log in: a new session with a login slot, and a new CSRF token',
          description: 'The body is read as JSON whatever its Content-Type. Five consecutive failures lock the account for 15 minutes (shared with every surface).',
          body: { readByHandler: true, mediaTypes: ['application/json'], schema: LoginBody, example: LOGIN_BODY },
          responses: {
            200: { description: '`Login successful.`', schema: UserMessage, headers: SESSION_COOKIE_HEADER, example: answered('Login successful.') },
            400: { description: '`User is already authenticated.` or `Invalid JSON input.`', schema: ErrorText, example: REPLY.alreadyAuthenticated.body },
            401: LOGIN_REFUSED,
            403: LOCKED_OR_CSRF,
            405: EMPTY_405,
            413: USERS_TOO_LARGE,
          },
          handle: login,
        },
      },
    },
    {
      paths: ['/users/logout/'],
      name: 'Logout',
      credential: 'required',
      methods: {
        POST: {
          operationId: 'usersLogout',
          summary: 'Log out: the whole session goes (a v1 login held in it too) and the cookie is cleared',
          responses: {
            200: { description: '`Logout successful.`', schema: UserMessage, example: answered('Logout successful.') },
            401: NOT_AUTHENTICATED,
            403: CSRF_FAILED,
            405: EMPTY_405,
          },
          handle: logout,
        },
      },
    },
  ];
}
