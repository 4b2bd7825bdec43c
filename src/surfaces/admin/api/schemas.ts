// The shapes of the admin JSON API's bodies and answers, for the OpenAPI document (admin.md §3).
import type { ResponseDoc, Schema } from '../../../http/route.js';
import { Detail, FieldErrors, Nullable, Timestamp, Type, Uuid } from '../../../http/schemas.js';
import { BAD_FILTER, FIELD_ERRORS } from './examples.js';
import { API } from './replies.js';

export const AdminUser = Type.Object({
  id: Uuid,
  number: Type.Integer({ minimum: 1 }),
  email: Nullable(Type.String()),
  username: Nullable(Type.String()),
  full_name: Type.String(),
  phone: Nullable(Type.String()),
  contacts: Nullable(Type.String()),
  avatar: Nullable(Type.String({ format: 'uri', description: 'The v1 media URL' })),
  picture: Nullable(Type.String()),
  email_verified: Type.Boolean(),
  is_active: Type.Boolean(),
  is_staff: Type.Boolean(),
  is_superuser: Type.Boolean(),
  locked_until: Nullable(Timestamp),
  failed_logins: Type.Integer({ minimum: 0, description: 'The current streak' }),
  created: Timestamp,
  updated: Timestamp,
  last_login: Nullable(Timestamp),
  mfa: Type.Object(
    { totp: Type.Boolean(), recovery_codes_left: Type.Integer({ minimum: 0 }), passkeys: Type.Integer({ minimum: 0 }) },
    { description: 'Two-factor: TOTP on, unused recovery codes, registered passkeys' },
  ),
  identities: Type.Array(Type.Object({ provider: Type.String(), email: Nullable(Type.String()), created: Timestamp }), { description: 'Linked OpenID Connect provider identities' }),
});

export const AdminProfile = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('artist'), Type.Literal('collector')]),
  bio: Type.String(),
  instagram: Type.String(),
  user_id: Uuid,
  username: Nullable(Type.String()),
  created: Timestamp,
  updated: Timestamp,
});

const Person = Nullable(Type.Object({ id: Uuid, email: Nullable(Type.String()), username: Nullable(Type.String()) }, { description: 'A snapshot kept in the entry' }));

export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Timestamp,
  event: Type.String(),
  surface: Type.String(),
  actor: Person,
  user: Person,
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});

const count = Type.Integer({ minimum: 0 });
export const AdminStats = Type.Object({
  users: count, active_users: count, staff: count, superusers: count, verified: count, locked: count, registrations_7d: count,
  logins_24h: count, login_failures_24h: count, lockouts_24h: count, artist_profiles: count, collector_profiles: count,
  knox_tokens: count, jwt_logins: count, mfa_users: count,
});

/** DRF's page: `{"count", "next", "previous", "results"}`, with absolute next/previous URLs. */
export function pageOf(item: Schema) {
  return Type.Object({
    count: count,
    next: Nullable(Type.String({ format: 'uri' })),
    previous: Nullable(Type.String({ format: 'uri' })),
    results: Type.Array(item as never),
  });
}

const PAGING = {
  page: Type.Optional(Type.Integer({ minimum: 1, description: 'From 1; a page past the end is 404 "Invalid page."' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 50, at most 200' })),
};
const flag = (description: string) => Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description }));

export const UserListQuery = Type.Object({
  q: Type.Optional(Type.String({ description: 'Substring of email, username or full name, case-insensitive' })),
  active: flag('Active users only, or inactive only'),
  staff: flag('Staff only, or non-staff only'),
  locked: flag('Locked now, or not'),
  verified: flag('Verified email, or not'),
  ...PAGING,
});
export const ProfileListQuery = Type.Object({ q: Type.Optional(Type.String({ description: 'Substring of username, bio or instagram' })), ...PAGING });
export const AuditQuery = Type.Object({
  event: Type.Optional(Type.String()),
  user: Type.Optional(Type.String({ format: 'uuid' })),
  actor: Type.Optional(Type.String({ format: 'uuid' })),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  until: Type.Optional(Type.String({ format: 'date-time' })),
  ...PAGING,
});

export const UserEditBody = Type.Object({
  full_name: Type.Optional(Type.String({ maxLength: 250 })),
  email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254, description: 'Unique, case-insensitive' }))),
  username: Type.Optional(Nullable(Type.String({ maxLength: 250, description: 'Unique, case-insensitive' }))),
  phone: Type.Optional(Nullable(Type.String({ maxLength: 12 }))),
  contacts: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  is_active: Type.Optional(Type.Boolean({ description: 'Clearing it ends every session and token' })),
  is_staff: Type.Optional(Type.Boolean()),
  email_verified: Type.Optional(Type.Boolean()),
  is_superuser: Type.Optional(Type.Boolean({ description: 'Superusers only' })),
});
export const PasswordBody = Type.Object({ password: Type.String({ minLength: 8, maxLength: 128 }) }, { required: ['password'] });
export const ProfileEditBody = Type.Object({
  bio: Type.Optional(Type.String()),
  instagram: Type.Optional(Type.String({ maxLength: 255, description: 'An http(s) or ftp(s) URL, or empty' })),
});

export function answer(description: string, schema?: Schema, example?: unknown): ResponseDoc {
  if (!schema) return { description };
  return example === undefined ? { description, schema } : { description, schema, example };
}

export const DONE_NO_CONTENT = answer('Done; empty body');
export const OBJECT_NOT_FOUND = answer('No such object: `{"detail": "Not found."}`', Detail, API.notFound.body);
export const INVALID_PAGE = answer('`{"detail": "Invalid page."}`', Detail, API.invalidPage.body);
const REFUSED_BODY = answer('Malformed JSON (`{"detail": "JSON parse error - …"}`), a guard (`{"detail": "…"}`), or messages by field', Type.Union([Detail, FieldErrors]), FIELD_ERRORS);
export const INVALID_FILTER = answer('A filter that is not valid: messages by parameter', FieldErrors, BAD_FILTER);
const UNSUPPORTED = answer('`{"detail": "Unsupported media type \\"…\\" in request."}`', Detail, { detail: 'Unsupported media type "text/plain" in request.' });
const ADMIN_API_TOO_LARGE = answer('`{"detail": "Request body too large."}`', Detail, API.tooLarge.body);

/** The answers every operation may give besides its own (§3.1). */
export const ADMIN_API_COMMON: Record<number, ResponseDoc> = {
  401: answer('No credential, or a broken one (v1\u2019s failures, each wrapped as an object); a denylisted token answers without WWW-Authenticate', Type.Union([Detail, Type.Object({ detail: Type.String(), code: Type.String() })]), API.noCredentials.body),
  403: answer('Not active staff, a superuser-only action, or (ADMIN_REQUIRE_MFA) staff without a second factor', Detail, API.forbidden.body),
  405: answer('`{"detail": "Method \\"PUT\\" not allowed."}`, with `Allow`', Detail, { detail: 'Method "PUT" not allowed.' }),
  429: { description: 'Throttled (per staff user)', schema: Detail, headers: { 'Retry-After': { description: 'Seconds to wait', schema: Type.Integer() } } },
};

/** The answers of an operation that reads a body. */
export const BODY_ANSWERS: Record<number, ResponseDoc> = { 400: REFUSED_BODY, 413: ADMIN_API_TOO_LARGE, 415: UNSUPPORTED };
