// The shapes of api-user bodies and answers, for the OpenAPI document (api-user.md §1.3–§3).
import { drfBadRequest, drfUnauthorized } from '../../http/drf-style.js';
import { FieldErrors, Nullable, Type, Uuid } from '../../http/schemas.js';
import { API_USER_CHALLENGE } from './auth.js';
import { BLACKLISTED, INVALID, NOT_PROVIDED } from './examples.js';

/** The user object, keys in the seed document's order (§3). */
export const UserObjectDoc = Type.Object({
  id: Uuid,
  full_name: Type.String(),
  email: Nullable(Type.String()),
  profile_pic: Nullable(Type.String({ format: 'uri', description: '`<base>/api/user/media/<id>.<jpg|png|webp>`' })),
});

export const ApiUserTokenPair = Type.Object({ access: Type.String(), refresh: Type.String() });

/** simplejwt's 401 bodies (§1.4, §3.5). */
const AuthError = Type.Object({
  detail: Type.String(),
  code: Type.Optional(Type.String()),
  messages: Type.Optional(Type.Array(Type.Object({ token_class: Type.String(), token_type: Type.String(), message: Type.String() }))),
});

/** A file part (multipart), or `null` / `""` for no picture. */
export const ProfilePicField = Type.Union([Type.String({ format: 'binary' }), Type.Null()], {
  description: 'JPEG, PNG or WebP, at most 5 MiB and 40 megapixels, file name at most 100 characters; `null` or `""`: none',
});

/** Field errors, or the serializer's `non_field_errors` when the JSON body is not an object. */
export const API_USER_BAD_REQUEST = {
  ...drfBadRequest({
    description: 'Field errors {"<field>": ["<message>", …]} (only failing fields, in field order), or {"non_field_errors": ["Invalid data. Expected a dictionary, but got <type>."]}',
    schema: FieldErrors,
  }),
  example: INVALID,
};

/** The 401s of a route that reads the `JWT` header (§1.4). */
export const API_USER_UNAUTHORIZED = { ...drfUnauthorized('A broken `JWT` header, or none where one is required; token errors add `code` and `messages`', AuthError, API_USER_CHALLENGE), example: NOT_PROVIDED };

export const API_USER_REFRESH_REFUSED = {
  ...drfUnauthorized('{"detail": "Token is invalid or expired" | "Token has wrong type" | "Token is blacklisted", "code": "token_not_valid"}', AuthError, API_USER_CHALLENGE),
  example: BLACKLISTED,
};
