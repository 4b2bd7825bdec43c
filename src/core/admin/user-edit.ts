// The editable fields of a user (admin.md §2.5) and their rules. The UI reads them from a
// form and the API from a JSON body; both hand the values here, so the rules and their
// messages exist once. Uniqueness is checked later, by the action, against the database.
import { FORM_WORDS, type FormErrors, maxLengthProblem, nullCharactersProblem, orderErrors } from '../django-forms.js';
import { pyStrip } from '../text.js';
import { isValidEmail } from '../validators.js';

export const TEXT_KEYS = ['full_name', 'email', 'username', 'phone', 'contacts'] as const;
export const FLAG_KEYS = ['is_active', 'is_staff', 'email_verified', 'is_superuser'] as const;
/** The order of fields in forms and in error bodies. */
export const EDIT_KEYS = [...TEXT_KEYS, ...FLAG_KEYS] as const;

export type TextKey = (typeof TEXT_KEYS)[number];
export type FlagKey = (typeof FLAG_KEYS)[number];
export type EditKey = (typeof EDIT_KEYS)[number];

/** A requested change: text as typed (null = clear), flags as booleans. Absent keys stay. */
export type UserEdit = Partial<Record<TextKey, string | null>> & Partial<Record<FlagKey, boolean>>;

export const EDIT_MESSAGES = {
  invalidEmail: 'Enter a valid email address.',
  emailTaken: 'A user with that email already exists.',
  usernameTaken: FORM_WORDS.usernameTaken,
} as const;

interface TextRule { max: number; optional: boolean; email?: boolean }

// Every text field is trimmed, as a Django form's CharField strips by default; an optional
// field left empty is stored as absent (NULL), which is what keeps it out of the unique index.
const TEXT_RULES: Record<TextKey, TextRule> = {
  full_name: { max: 250, optional: false },
  email: { max: 254, optional: true, email: true },
  username: { max: 250, optional: true },
  phone: { max: 12, optional: true },
  contacts: { max: 100, optional: true },
};

/** The valid part of the edit, and the errors of the rest ({} when all is well). */
export interface EditCheck {
  edit: UserEdit;
  errors: FormErrors;
}

/**
 * Normalises and checks a requested edit. `known` holds errors already found while reading
 * the input (a JSON null or a number where a flag goes); they are reported with the rest.
 */
export function checkEdit(input: UserEdit, known: FormErrors = {}): EditCheck {
  const errors: FormErrors = { ...known };
  const edit: UserEdit = {};
  for (const key of TEXT_KEYS) {
    if (!(key in input) || errors[key]) continue;
    const value = normaliseText(input[key] ?? null, TEXT_RULES[key]);
    const problems = textProblems(value, TEXT_RULES[key]);
    if (problems.length) errors[key] = problems;
    else edit[key] = value;
  }
  for (const key of FLAG_KEYS) {
    if (key in input && !errors[key]) edit[key] = input[key];
  }
  return { edit, errors: orderErrors(errors, EDIT_KEYS) };
}

function normaliseText(raw: string | null, rule: TextRule): string | null {
  const trimmed = raw === null ? '' : pyStrip(raw);
  return trimmed === '' && rule.optional ? null : trimmed;
}

// Every failing rule is reported, in the order of the spec's table (format, then length), then
// Django's NUL rule.
function textProblems(value: string | null, rule: TextRule): string[] {
  if (value === null) return [];
  const problems: string[] = [];
  if (rule.email && !isValidEmail(value)) problems.push(EDIT_MESSAGES.invalidEmail);
  const tooLong = maxLengthProblem(value, rule.max);
  if (tooLong) problems.push(tooLong);
  const nul = nullCharactersProblem(value);
  if (nul) problems.push(nul);
  return problems;
}
