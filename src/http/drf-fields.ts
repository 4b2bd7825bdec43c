// The field checks of the surfaces that came from Django REST framework (api-user, account):
// the body as a serializer received it, DRF CharField/EmailField validation (the presence
// steps of http/fields.ts with DRF's stock words, then every rule, each failure reported in
// order), and the errors collected in field order.
import { DRF_WORDS, type StringFieldOptions, charLength, isPlainObject, stringField } from './fields.js';
import { pythonTypeName } from './body.js';
import { isValidEmail } from '../core/validators.js';
import { nullCharactersProblem } from '../core/django-forms.js';
import type { GenericReply } from './surface.js';

/** A body's fields: a JSON object, form fields, or multipart fields with files as UploadedFile. */
export type FieldMap = Record<string, unknown>;

/** The body a serializer was handed, or its own non-field error when it was not an object. */
export type SerializerInput = { ok: true; data: FieldMap } | { ok: false; errors: { non_field_errors: string[] } };

/**
 * The parsed body (route.ts: undefined when empty) as a serializer saw it: an empty body is
 * `{}`; a JSON value that is not an object is "Invalid data. Expected a dictionary, but got
 * <type>.", and a JSON null "No data provided" (DRF's Serializer.errors).
 */
export function serializerInput(body: unknown): SerializerInput {
  if (body === undefined) return { ok: true, data: {} };
  if (isPlainObject(body)) return { ok: true, data: body };
  const message = body === null ? 'No data provided' : `Invalid data. Expected a dictionary, but got ${pythonTypeName(body)}.`;
  return { ok: false, errors: { non_field_errors: [message] } };
}

/** A failing rule returns its message. */
export type CharRule = (value: string) => string | null | Promise<string | null>;

export type CharResult = { ok: true; present: false } | { ok: true; present: true; value: string } | { ok: false; errors: string[] };

export function maxChars(limit: number): CharRule {
  const message = `Ensure this field has no more than ${limit} characters.`;
  return (value) => (charLength(value) > limit ? message : null);
}

export function minChars(limit: number): CharRule {
  const message = `Ensure this field has at least ${limit} characters.`;
  return (value) => (charLength(value) < limit ? message : null);
}

/** DRF's EmailField format check. */
export const validEmail: CharRule = (value) => (isValidEmail(value) ? null : 'Enter a valid email address.');

/** Does an account match this value? (Accounts' look-ups: a value with a NUL matches none.) */
export type AccountMatch = (value: string) => Promise<boolean>;

/** Uniqueness: fails when an account matches. */
export function unique(match: AccountMatch, message: string): CharRule {
  return async (value) => ((await match(value)) ? message : null);
}

/** Existence: fails when no account matches. */
export function exists(match: AccountMatch, message: string): CharRule {
  return async (value) => ((await match(value)) ? null : message);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The two rules every DRF CharField appended after its length checks. Besides being what the
 * original answered, they keep values PostgreSQL would refuse out of the database.
 */
export const DRF_TEXT: readonly CharRule[] = [
  nullCharactersProblem,
  (value) => {
    const lone = LONE_SURROGATE.exec(value);
    return lone ? `Surrogate characters are not allowed: U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}.` : null;
  },
];

export async function charField(data: FieldMap, key: string, opts: StringFieldOptions, rules: readonly CharRule[] = []): Promise<CharResult> {
  const r = stringField(data, key, opts, DRF_WORDS);
  if (!r.ok) return { ok: false, errors: [r.error] };
  if (!r.present || r.value === null) return { ok: true, present: false };
  const errors: string[] = [];
  for (const rule of rules) {
    const message = await rule(r.value);
    if (message !== null) errors.push(message);
  }
  return errors.length ? { ok: false, errors } : { ok: true, present: true, value: r.value };
}

/** A field's value exactly as sent, before trimming: a string, or a number's text (api-user login). */
export function sentText(data: FieldMap, key: string): string {
  const v = data[key];
  return typeof v === 'string' ? v : String(v);
}

/** Collects field errors in field order, as a serializer's `errors`. */
export class SerializerErrors {
  readonly errors: Record<string, string[]> = {};

  add(field: string, messages: readonly string[]): void {
    if (messages.length) this.errors[field] = [...messages];
  }

  get any(): boolean {
    return Object.keys(this.errors).length > 0;
  }
}

/** 400 with a serializer's errors (an object of field names to messages). */
export function invalidFields(errors: Record<string, unknown>): GenericReply {
  return { status: 400, body: errors };
}
