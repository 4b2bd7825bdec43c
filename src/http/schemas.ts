// Building blocks of the OpenAPI schemas the route declarations carry (TypeBox, so a schema is
// a plain JSON Schema object). Only for the documentation: each surface validates bodies by its
// own rules and answers in its own words.
import { type TSchema, Type } from '@sinclair/typebox';

export { Type };
export type { TSchema };

/** A timestamp as every surface shows it: ISO 8601 with microseconds and `Z`. */
export const Timestamp = Type.String({ format: 'date-time', examples: ['2024-07-16T20:11:35.123456Z'] });

export const Uuid = Type.String({ format: 'uuid' });

/** `{"detail": "…"}`, the DRF-style error object. */
export const Detail = Type.Object({ detail: Type.String() });

/** A JSON value that is `null` or of `schema`. */
export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

/** An object of field names to lists of messages (DRF validation errors). */
export const FieldErrors = Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Messages by field, in field order' });

/** A JSON body of any shape, for the rare endpoint whose body is free-form. */
export const AnyJson = Type.Unknown();
