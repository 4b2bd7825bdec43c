// The Django form style that two sets of forms speak: the users registration form (users.md
// §2.2) and the admin's forms (admin.md §2.3–§2.6, read from HTML forms and from the JSON API).
// Where they check the same thing they say it with the same words, and both report errors as
// lists of messages by field, in the form's field order.
import { charLength } from './text.js';

/** `{"<field>": ["<message>", …]}`. */
export type FormErrors = Record<string, string[]>;

/** Django's stock messages that more than one form uses. */
export const FORM_WORDS = {
  required: 'This field is required.',
  passwordMismatch: 'The two password fields didn\u2019t match.',
  usernameTaken: 'A user with that username already exists.',
} as const;

/** Django's MaxLengthValidator message; lengths count characters (code points), as Python's len(). */
function maxLengthMessage(max: number, length: number): string {
  return `Ensure this value has at most ${max} characters (it has ${length}).`;
}

/**
 * Django's ProhibitNullCharactersValidator, which every CharField (a form's, and DRF's) runs after
 * its length check; the one place its words live.
 */
export function nullCharactersProblem(value: string): string | null {
  return value.includes('\0') ? 'Null characters are not allowed.' : null;
}

/** The MaxLengthValidator step: its message when `value` is longer than `max`, else null. */
export function maxLengthProblem(value: string, max: number): string | null {
  const length = charLength(value);
  return length > max ? maxLengthMessage(max, length) : null;
}

export function addError(errors: FormErrors, key: string, message: string): void {
  (errors[key] ??= []).push(message);
}

/** Errors re-keyed in the field order of the form, whatever order they were found in. */
export function orderErrors(errors: FormErrors, order: readonly string[]): FormErrors {
  const out: FormErrors = {};
  for (const key of order) if (errors[key]) out[key] = errors[key];
  for (const key of Object.keys(errors)) if (!out[key]) out[key] = errors[key];
  return out;
}
