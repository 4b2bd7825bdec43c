// The set-password checks of admin.md §2.6, shared by the UI form (password1, password2) and
// the API body ({"password": …}). Passwords are never trimmed.
import { charLength } from '../text.js';
import { type FieldErrors, addError, maxLengthMessage } from './user-edit.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export const PASSWORD_MESSAGES = {
  required: 'This field is required.',
  tooShort: `This password is too short. It must contain at least ${PASSWORD_MIN} characters.`,
  mismatch: 'The two password fields didn\u2019t match.',
} as const;

/** The problem with one password value, or null. Empty counts as missing. */
export function passwordProblem(value: string | undefined): string | null {
  if (value === undefined || value === '') return PASSWORD_MESSAGES.required;
  const length = charLength(value);
  if (length < PASSWORD_MIN) return PASSWORD_MESSAGES.tooShort;
  if (length > PASSWORD_MAX) return maxLengthMessage(PASSWORD_MAX, length);
  return null;
}

export type PasswordCheck = { ok: true; password: string } | { ok: false; errors: FieldErrors };

/** The UI form: both fields required, the first one's rules, then the two must match. */
export function checkPasswordPair(password1: string | undefined, password2: string | undefined): PasswordCheck {
  const errors: FieldErrors = {};
  const first = passwordProblem(password1);
  if (first) addError(errors, 'password1', first);
  if (password2 === undefined || password2 === '') addError(errors, 'password2', PASSWORD_MESSAGES.required);
  else if (password1 && password1 !== password2) addError(errors, 'password2', PASSWORD_MESSAGES.mismatch);
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, password: password1! };
}
