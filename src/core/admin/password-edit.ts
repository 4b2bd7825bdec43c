// The set-password checks of admin.md §2.6, shared by the UI form (password1, password2) and
// the API body ({"password": …}). Passwords are never trimmed.
import { FORM_WORDS, type FormErrors, addError, maxLengthProblem } from '../django-forms.js';
import { PASSWORD_MAX_LENGTH } from '../login.js';
import { charLength } from '../text.js';

const PASSWORD_MIN = 8;

const TOO_SHORT = `This password is too short. It must contain at least ${PASSWORD_MIN} characters.`;

/** The problem with one password value, or null. Empty counts as missing. */
export function passwordProblem(value: string | undefined): string | null {
  if (value === undefined || value === '') return FORM_WORDS.required;
  if (charLength(value) < PASSWORD_MIN) return TOO_SHORT;
  return maxLengthProblem(value, PASSWORD_MAX_LENGTH);
}

export type PasswordCheck = { ok: true; password: string } | { ok: false; errors: FormErrors };

/** The UI form: both fields required, the first one's rules, then the two must match. */
export function checkPasswordPair(password1: string | undefined, password2: string | undefined): PasswordCheck {
  const errors: FormErrors = {};
  const first = passwordProblem(password1);
  if (first) addError(errors, 'password1', first);
  if (password2 === undefined || password2 === '') addError(errors, 'password2', FORM_WORDS.required);
  else if (password1 && password1 !== password2) addError(errors, 'password2', FORM_WORDS.passwordMismatch);
  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, password: password1! };
}
