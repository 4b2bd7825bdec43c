// The shapes of `users` bodies and answers, for the OpenAPI document (users.md §1–§2).
import type { ResponseDoc } from '../../http/route.js';
import { Type } from '../../http/schemas.js';
import { CSRF_FAILURE, INVALID_FIELDS } from './examples.js';
import { REPLY } from './replies.js';

export const HelloMessage = Type.Object({ message: Type.String() });

/** `{"id", "username", "message"}`: `id` is the user's number. */
export const UserMessage = Type.Object({ id: Type.Integer({ minimum: 1 }), username: Type.String(), message: Type.String() });

export const AvatarUpdated = Type.Object({
  id: Type.Integer({ minimum: 1 }),
  username: Type.String(),
  message: Type.Literal('Avatar updated.'),
  avatar_url: Type.String({ description: 'Relative: `/media/avatars/<number>/<name>`', examples: ['/media/avatars/7/photo.png'] }),
});

/** `{"errors": "<text>"}`. */
export const ErrorText = Type.Object({ errors: Type.String() });
/** `{"errors": {"<field>": ["<message>", …]}}`, fields in the form's order. */
const ErrorsByField = Type.Object({ errors: Type.Record(Type.String(), Type.Array(Type.String())) });
const CsrfFailure = Type.Object({ errors: Type.Literal('CSRF verification failed. Request aborted.'), reason: Type.String() });
/** The lockout and the generic failures use the key `error`. */
const ErrorKey = Type.Object({ error: Type.String() });

const ALLOW = { Allow: { description: 'The one method the route serves (`GET, HEAD` for the media)', schema: Type.String() } };

export const CSRF_COOKIE_HEADER = { 'Set-Cookie': { description: '`csrftoken`: 32 letters and digits, not HttpOnly, SameSite=Lax, Path=/, one year', schema: Type.String() } };
export const SESSION_COOKIE_HEADER = { 'Set-Cookie': { description: '`sessionid` (HttpOnly, SameSite=Lax, sliding 2 hours) and a new `csrftoken`', schema: Type.String() } };

export const EMPTY_405: ResponseDoc = { description: 'Method not allowed: an empty body', headers: ALLOW };
export const CSRF_FAILED: ResponseDoc = {
  description: 'CSRF check failed: needs the `csrftoken` cookie and the same value in `X-CSRFToken` (or the `csrfmiddlewaretoken` form field)',
  schema: CsrfFailure,
  example: CSRF_FAILURE,
};
export const USERS_TOO_LARGE: ResponseDoc = { description: 'Body over the limit: `{"errors": "Request body too large."}`', schema: ErrorText, example: REPLY.tooLarge.body };
export const NOT_AUTHENTICATED: ResponseDoc = { description: '`{"errors": "User is not authenticated."}`', schema: ErrorText, example: REPLY.notAuthenticated.body };
export const INVALID_JSON_OR_FIELDS: ResponseDoc = { description: '`{"errors": "Invalid JSON input."}`, or messages by field', schema: Type.Union([ErrorText, ErrorsByField]), example: INVALID_FIELDS };
export const LOGIN_REFUSED: ResponseDoc = {
  description: '`Username and password are required.`, `Username does not exist.` or `Invalid password.`',
  schema: ErrorText,
  example: REPLY.invalidPassword.body,
};
export const LOCKED_OR_CSRF: ResponseDoc = {
  description: 'Locked out (`{"error": "Locked out due to too many login failures."}`), or the CSRF check failed',
  schema: Type.Union([ErrorKey, CsrfFailure]),
  example: REPLY.locked.body,
};
export const PAGE_NOT_FOUND: ResponseDoc = { description: '`{"error": "Page not found."}`', schema: ErrorKey, example: REPLY.notFound.body };
