// The shapes of account bodies and answers, for the OpenAPI document (account.md §1.2–§2).
import { drfBadRequest, drfUnauthorized } from '../../http/drf-style.js';
import { Detail, FieldErrors, Nullable, Type } from '../../http/schemas.js';
import { ACCOUNT_CHALLENGE } from './auth.js';
import { BAD_CREDENTIALS, NOT_PROVIDED } from './examples.js';

export const AccountKey = Type.String({ pattern: '^[0-9a-f]{40}$' });

export const Success = Type.Object({ success: Type.Literal(true) });

export const ProfileAnswer = Type.Object({
  success: Type.Literal(true),
  data: Type.Object({
    id: Type.Integer({ description: 'The user’s number' }),
    username: Nullable(Type.String()),
    email: Nullable(Type.String()),
    created: Type.String({ pattern: '^[0-9]{2}-[0-9]{2}-[0-9]{4}$', description: 'UTC creation date, DD-MM-YYYY' }),
    picture: Nullable(Type.String()),
  }),
});

export const PictureCatalogue = Type.Record(Type.String(), Type.Array(Type.Object({ id: Type.Integer({ minimum: 1 }), name: Type.String(), picture: Type.String({ format: 'uri' }) })), {
  description: 'Group name → pictures; ids are unique across groups',
});

/** 400 when the body cannot be parsed (validation answers 200 on the routes that use this). */
export const ACCOUNT_PARSE_ERROR = drfBadRequest();

/** Field errors, the credential failure, or the serializer's `non_field_errors` when the JSON body is not an object. */
export const ACCOUNT_BAD_REQUEST = {
  ...drfBadRequest({
    description:
      'Field errors {"<field>": ["<message>", …]}, {"non_field_errors": ["Unable to log in with provided credentials."]}, or {"non_field_errors": ["Invalid data. Expected a dictionary, but got <type>."]}',
    schema: FieldErrors,
  }),
  example: BAD_CREDENTIALS,
};

/** The 401s of the `Token` header (§1.3). */
export const ACCOUNT_UNAUTHORIZED = {
  ...drfUnauthorized('A broken `Token` header, an unknown or deleted key, a key of an inactive user, or none where one is required', Detail, ACCOUNT_CHALLENGE),
  example: NOT_PROVIDED,
};
