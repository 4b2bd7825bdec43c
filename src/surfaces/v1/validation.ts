// Field validation of every v1 body (v1.md §1.4): fields in their declared order, every field
// checked, every failing validator of a field reported, then the caller's cross-field rules
// only when no field failed. The words are the original's: "<Key> field is required." etc.
import { type FieldWords, charLength, isPlainObject, stringField, titleKey } from '../../http/fields.js';
import { pythonTypeName } from '../../http/body.js';
import { DRF_TEXT } from '../../http/drf-fields.js';
import { isValidEmail, isValidUrl } from '../../core/validators.js';

export const V1_WORDS: FieldWords = {
  required: (key) => `${titleKey(key)} field is required.`,
  null: () => 'This field may not be null.',
  invalid: (key) => `${titleKey(key)} error. Not a valid string.`,
  blank: (key) => `${titleKey(key)} field cannot be blank.`,
};

/** One validator of a field's cleaned value: a message, or null when it passes. */
export type Validator = (value: string) => string | null | Promise<string | null>;

export interface FieldSpec {
  key: string;
  required?: boolean; // default true
  trim?: boolean; // default true
  allowBlank?: boolean; // default false
  validators?: readonly Validator[];
}

export type Validated =
  | { ok: true; values: Record<string, string>; data: Record<string, unknown> }
  | { ok: false; errors: string[] };

/**
 * A parsed body (undefined = empty) as the dictionary a serializer needs: JSON null counts as
 * {}, anything else that is not an object is the Non_Field_Errors message.
 */
export function asDictionary(body: unknown): { ok: true; data: Record<string, unknown> } | { ok: false; errors: string[] } {
  if (body === undefined || body === null) return { ok: true, data: {} };
  if (isPlainObject(body)) return { ok: true, data: body };
  return { ok: false, errors: [`Non_Field_Errors error. Invalid data. Expected a dictionary, but got ${pythonTypeName(body)}.`] };
}

/** Runs the fields over `body`; `values` holds the cleaned value of every field that was sent. */
export async function validate(body: unknown, fields: readonly FieldSpec[]): Promise<Validated> {
  const dict = asDictionary(body);
  if (!dict.ok) return dict;
  const errors: string[] = [];
  const values: Record<string, string> = {};
  for (const f of fields) {
    const r = stringField(dict.data, f.key, { required: f.required ?? true, allowBlank: f.allowBlank ?? false, trim: f.trim ?? true }, V1_WORDS);
    if (!r.ok) {
      errors.push(r.error);
      continue;
    }
    if (!r.present || r.value === null) continue;
    values[f.key] = r.value;
    const before = errors.length;
    for (const check of f.validators ?? []) {
      const problem = await check(r.value);
      if (problem !== null) errors.push(problem);
    }
    // DRF's CharField rules (no NUL, no lone surrogate), for a value its own checks let through.
    if (errors.length === before) {
      for (const rule of DRF_TEXT) {
        const problem = await rule(r.value);
        if (problem !== null) errors.push(problem);
      }
    }
  }
  return errors.length ? { ok: false, errors } : { ok: true, values, data: dict.data };
}

/**
 * The value of `key` as the client sent it (numbers as their text, no trimming), for the
 * places that check credentials untrimmed (v1.md §3.2). Call after `validate` passed.
 */
export function rawText(data: Record<string, unknown>, key: string): string {
  const r = stringField(data, key, { required: false, allowBlank: true, trim: false }, V1_WORDS);
  return r.ok && r.present && r.value !== null ? r.value : '';
}

export function maxLength(n: number): Validator {
  const message = `Ensure this field has no more than ${n} characters.`;
  return (v) => (charLength(v) > n ? message : null);
}

export const emailFormat: Validator = (v) => (isValidEmail(v) ? null : 'Email error. Enter a valid email address.');

export const instagramFormat: Validator = (v) => (v === '' || isValidUrl(v) ? null : 'Instagram error. Enter a valid URL.');

/** No v1 surface accepts a password longer than 128 characters (v1.md §0.5). */
export const PASSWORD_MAX = 128;
export const passwordLength = maxLength(PASSWORD_MAX);

/** Password fields of password/change/, reset confirm and me/ DELETE: required, trimmed, ≤ 128. */
export function passwordField(key: string): FieldSpec {
  return { key, validators: [passwordLength] };
}
