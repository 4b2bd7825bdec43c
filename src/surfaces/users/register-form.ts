// The registration form of users.md §2.2: Django's UserCreationForm with its field steps,
// messages and order. Pure rules, no HTTP; the uniqueness look-up is passed in.
import { FORM_WORDS, type FormErrors, maxLengthProblem } from '../../core/django-forms.js';
import { PASSWORD_MAX_LENGTH } from '../../core/login.js';
import { djangoPasswordProblems } from '../../core/password-rules.js';
import { pyStrip } from '../../http/fields.js';
import { MSG } from './replies.js';

const USERNAME_MAX = 150;
// Django's UnicodeUsernameValidator, ^[\w.@+-]+\Z, where Python's \w is a letter, a number or _.
const USERNAME_PATTERN = /^[\p{L}\p{N}_.@+-]+$/u;

export type RegisterForm =
  | { ok: true; username: string; password: string }
  | { ok: false; errors: FormErrors };

type Field = { value: string | null; errors: string[] };

/** Validates the parsed JSON object; `isTaken` is asked only about a well-formed username. */
export async function validateRegistration(data: Record<string, unknown>, isTaken: (username: string) => Promise<boolean>): Promise<RegisterForm> {
  const username = await usernameField(data.username, isTaken);
  const password1 = passwordField(data.password1);
  const password2 = passwordField(data.password2);
  if (password1.value !== null && password2.value !== null) {
    // Django's clean_password2, then the password validators, which run only on a match.
    if (password1.value !== password2.value) password2.errors.push(FORM_WORDS.passwordMismatch);
    else password2.errors.push(...djangoPasswordProblems(password2.value, username.value));
    if (password2.errors.length) password2.value = null;
  }
  const errors: FormErrors = {};
  if (username.errors.length) errors.username = username.errors;
  if (password1.errors.length) errors.password1 = password1.errors;
  if (password2.errors.length) errors.password2 = password2.errors;
  if (Object.keys(errors).length || username.value === null || password2.value === null) return { ok: false, errors };
  return { ok: true, username: username.value, password: password2.value };
}

// Trimmed, then NFKC (Django's UsernameField); the length and character rules are both
// reported; uniqueness only once both pass. `value` is null whenever there is an error, which
// also turns the similarity check off, as in Django.
async function usernameField(raw: unknown, isTaken: (username: string) => Promise<boolean>): Promise<Field> {
  const text = formText(raw);
  const stripped = text === null ? '' : pyStrip(text);
  if (stripped === '') return { value: null, errors: [FORM_WORDS.required] };
  const value = stripped.normalize('NFKC');
  const errors: string[] = [];
  const tooLong = maxLengthProblem(value, USERNAME_MAX);
  if (tooLong) errors.push(tooLong);
  if (!USERNAME_PATTERN.test(value)) errors.push(MSG.usernameInvalid);
  if (!errors.length && (await isTaken(value))) errors.push(FORM_WORDS.usernameTaken);
  return errors.length ? { value: null, errors } : { value, errors };
}

// Passwords are not trimmed (Django's strip=False).
function passwordField(raw: unknown): Field {
  const value = formText(raw);
  if (value === null || value === '') return { value: null, errors: [FORM_WORDS.required] };
  const tooLong = maxLengthProblem(value, PASSWORD_MAX_LENGTH);
  return tooLong ? { value: null, errors: [tooLong] } : { value, errors: [] };
}

/**
 * What a Django form field makes of a JSON value: null for Django's "empty values" (absent,
 * null, "", [] and {}), else Python's str() of it, so 12345678 is "12345678" and true is "True".
 */
function formText(raw: unknown): string | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (Array.isArray(raw) && raw.length === 0) return null;
  if (typeof raw === 'object' && !Array.isArray(raw) && Object.keys(raw).length === 0) return null;
  return typeof raw === 'string' ? raw : pythonRepr(raw);
}

// Python's repr() of a value from json.loads (str() differs only for strings, handled above).
function pythonRepr(v: unknown): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return pythonStringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  return `{${entries.map(([k, x]) => `${pythonStringRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
}

function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return quote + out + quote;
}
