// The shapes of user-account bodies and answers, for the OpenAPI document (user-account.md §1.1,
// §2, §5). Every error is `{"msg": "…"}`.
import type { ResponseDoc } from '../../http/route.js';
import { Nullable, Type } from '../../http/schemas.js';

const MsgAnswer = Type.Object({ msg: Type.String() });

export const LoginAnswer = Type.Object({ msg: Type.Literal('login successful'), token: Type.String({ description: 'The access JWT (HS256, 60 minutes)' }) });

export const ProfileSettings = Type.Object({
  contacts: Nullable(Type.String()),
  email: Nullable(Type.String({ description: 'Masked, e.g. `d******z@yandex.ru`' })),
  full_name: Type.String(),
  is_email_verified: Type.Boolean(),
  phone: Nullable(Type.String()),
  pwd: Type.Literal('********'),
  username: Nullable(Type.String()),
});

export const LoginFields = Type.Object(
  { username: Type.String(), pwd: Type.String({ maxLength: 128 }) },
  { description: 'Other keys (e.g. `remember`) are ignored' },
);

export const RegistrationFields = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 50 }),
  full_name: Type.String({ maxLength: 50 }),
  email: Type.String({ maxLength: 50, description: '`""` for no email; the format is not checked' }),
  pwd: Type.String({ maxLength: 128 }),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 12 }))),
  contacts: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
});

export const UsernameField = Type.Object({ username: Type.String() });

export const NewPasswordField = Type.Object({ new_pwd: Type.String({ maxLength: 128 }) });

/** `{"msg": …}` answers; `example` is the msg of the one /docs shows. */
export function said(description: string, example?: string): ResponseDoc {
  return example === undefined ? { description, schema: MsgAnswer } : { description, schema: MsgAnswer, example: { msg: example } };
}

/** A 400 of a JSON body: the body and field checks, then the operation's own messages. */
export function badBody(example: string, ...own: string[]): ResponseDoc {
  return said(['"Invalid JSON"', '"<field> is required"', '"<field> must be a string"', '"<field> is too long"', ...own].join(', '), example);
}

/** What a JSON body may answer besides 400 (§1.1). */
export const BODY_ERRORS: Record<number, ResponseDoc> = {
  413: said('"Request body too large." (over 1 MiB)', 'Request body too large.'),
  415: said('"Unsupported Media Type": the body must be `application/json` (or `application/…+json`)', 'Unsupported Media Type'),
};

const MISSING_JWT = 'Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie "access_token_cookie")';
const DEAD_TOKEN = '"Token has been revoked", "Error loading the user <number>" (deleted or inactive)';
const MALFORMED_TOKEN = 'A malformed token: "Bad Authorization header. Expected \'Authorization: Bearer <JWT>\'", or the decoder\'s reason ("Not enough segments", "Signature verification failed", …)';

/** A token's failures (§2.4) on a route that requires one (all of them GET: no CSRF check). */
export const TOKEN_ERRORS: Record<number, ResponseDoc> = {
  401: said(`"Missing JWT in headers or cookies (…)", ${DEAD_TOKEN}`, MISSING_JWT),
  403: said('"Token has expired"'),
  422: said(MALFORMED_TOKEN, 'Signature verification failed'),
};

/** The same on a POST route that takes no token but checks one that is sent (§2.3 included), and refuses a valid one (§5.3). */
export const REFUSED_TOKEN_ERRORS: Record<number, ResponseDoc> = {
  401: said(`"Missing CSRF token", "CSRF double submit tokens do not match" (a cookie token), ${DEAD_TOKEN}`, 'Token has been revoked'),
  403: said('"user is already authenticated" (a valid token was sent), or "Token has expired"', 'user is already authenticated'),
  422: said(MALFORMED_TOKEN, 'Signature verification failed'),
};

export const REISSUE_NOTE = 'When the verified token has under 30 minutes left, the answer also sets both cookies with a new token.';

export const TOKEN_COOKIES = {
  'Set-Cookie': { description: '`access_token_cookie` (HttpOnly) and `csrf_access_token`, both for the browser session, Path=/', schema: Type.String() },
};

export const CLEARED_COOKIES = {
  'Set-Cookie': { description: 'The four cookies of a login cleared: empty, expired, Path=/', schema: Type.String() },
};
