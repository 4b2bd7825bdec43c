// POST /users/register/ (users.md §2.2): a user with a username and a password, nobody logged in.
import { FORM_WORDS } from '../../core/django-forms.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { jsonObject } from './json-object.js';
import { validateRegistration } from './register-form.js';
import { REPLY, errorsByField, userMessage } from './replies.js';
import { CSRF_FAILED, INVALID_JSON_OR_FIELDS, EMPTY_405, USERS_TOO_LARGE, UserMessage } from './schemas.js';
import { REGISTER_BODY, answered } from './examples.js';
import type { UsersCall, UsersRoute } from './style.js';

async function register({ ctx, request }: UsersCall): Promise<GenericReply> {
  const data = jsonObject(request);
  if (!data) return REPLY.invalidJson;
  const form = await validateRegistration(data, (username) => ctx.accounts.usernameTaken(username));
  if (!form.ok) return errorsByField(form.errors);
  // The unique index decides a race the look-up above could not see.
  const saved = await ctx.actions.register({ username: form.username, password: form.password }, { meta: requestMeta(request, 'users') });
  if (!saved.ok) return errorsByField({ username: [FORM_WORDS.usernameTaken] });
  return { status: 201, body: userMessage(saved.user, 'User created.') };
}

const RegisterBody = Type.Object(
  {
    username: Type.String({ maxLength: 150, description: 'Letters, digits and `@ . + - _`; trimmed and NFKC-normalised; unique, case-insensitive' }),
    password1: Type.String({ maxLength: 128 }),
    password2: Type.String({ maxLength: 128, description: 'The same as password1; Django’s four password validators run on it' }),
  },
  { required: ['username', 'password1', 'password2'] },
);

export function registrationRoutes(): UsersRoute[] {
  return [
    {
      paths: ['/users/register/'],
      name: 'Register',
      credential: 'optional',
      methods: {
        POST: {
          operationId: 'usersRegister',
          summary: 'Register a user (username and password); nobody is logged in',
          description: 'The body is read as JSON whatever its Content-Type.',
          body: { readByHandler: true, mediaTypes: ['application/json'], schema: RegisterBody, example: REGISTER_BODY },
          responses: {
            201: { description: '`User created.`', schema: UserMessage, example: answered('User created.') },
            400: INVALID_JSON_OR_FIELDS,
            403: CSRF_FAILED,
            405: EMPTY_405,
            413: USERS_TOO_LARGE,
          },
          handle: register,
        },
      },
    },
  ];
}
