// DRF CharField/EmailField validation for api-user and account: the presence steps of
// http/fields.ts with DRF's stock words, then every validator, each failure reported in order.
// Shared by the DRF-born surfaces (api-user, account).
import { DRF_WORDS, type StringFieldOptions, charLength, stringField } from './fields.js';
import { isValidEmail } from '../core/validators.js';
import type { FieldMap } from './drf-view.js';

/** A failing validator returns its message. */
export type Validator = (value: string) => string | null | Promise<string | null>;

export type CharResult = { ok: true; present: false } | { ok: true; present: true; value: string } | { ok: false; errors: string[] };

export function maxLength(limit: number): Validator {
  const message = `Ensure this field has no more than ${limit} characters.`;
  return (value) => (charLength(value) > limit ? message : null);
}

export function minLength(limit: number): Validator {
  const message = `Ensure this field has at least ${limit} characters.`;
  return (value) => (charLength(value) < limit ? message : null);
}

export const emailFormat: Validator = (value) => (isValidEmail(value) ? null : 'Enter a valid email address.');

/** Does an account match this value? A value with a NUL matches none (PostgreSQL text cannot hold one), unasked. */
export type AccountMatch = (value: string) => Promise<boolean>;

function matches(match: AccountMatch, value: string): Promise<boolean> {
  return value.includes('\0') ? Promise.resolve(false) : match(value);
}

/** Uniqueness: fails when an account matches. */
export function unique(match: AccountMatch, message: string): Validator {
  return async (value) => ((await matches(match, value)) ? message : null);
}

/** Existence: fails when no account matches. */
export function exists(match: AccountMatch, message: string): Validator {
  return async (value) => ((await matches(match, value)) ? null : message);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The two validators every DRF CharField appended after its length checks. Besides being
 * what the original answered, they keep values PostgreSQL would refuse out of the database.
 */
export const DRF_TEXT: readonly Validator[] = [
  (value) => (value.includes('\0') ? 'Null characters are not allowed.' : null),
  (value) => {
    const lone = LONE_SURROGATE.exec(value);
    return lone ? `Surrogate characters are not allowed: U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}.` : null;
  },
];

export async function charField(data: FieldMap, key: string, opts: StringFieldOptions, validators: readonly Validator[] = []): Promise<CharResult> {
  const r = stringField(data, key, opts, DRF_WORDS);
  if (!r.ok) return { ok: false, errors: [r.error] };
  if (!r.present || r.value === null) return { ok: true, present: false };
  const errors: string[] = [];
  for (const validate of validators) {
    const message = await validate(r.value);
    if (message !== null) errors.push(message);
  }
  return errors.length ? { ok: false, errors } : { ok: true, present: true, value: r.value };
}

/** The raw value as sent, before trimming: a string, or a number's text (api-user login). */
export function rawText(data: FieldMap, key: string): string {
  const v = data[key];
  return typeof v === 'string' ? v : String(v);
}
