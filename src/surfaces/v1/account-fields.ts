// The account fields shared by register/ and me/ PUT (v1.md §3.1, §5.1): email and username
// with their uniqueness, length and format rules, in the order the original reported them.
import type { AccountReads } from '../../context.js';
import type { Conflict, User } from '../../core/accounts.js';
import { normalizeEmailDomain } from '../../core/validators.js';
import { type FieldSpec, type Validator, emailFormat, maxLength } from './validation.js';

export const EMAIL_TAKEN = 'User with this email already exists.';
export const USERNAME_TAKEN = 'User with this username already exists.';

/** The uniqueness message of a lost race (the unique index decided it). */
export function conflictMessage(conflict: Conflict): string {
  return conflict === 'email' ? EMAIL_TAKEN : USERNAME_TAKEN;
}

function unique(taken: (value: string) => Promise<boolean>, message: string): Validator {
  return async (v) => ((await taken(v)) ? message : null);
}

/** `email`: unique → ≤ 200 → format; `except` is the caller's own row (me/ PUT). */
export function emailField(accounts: AccountReads, opts: { required: boolean; except?: Pick<User, 'number'> }): FieldSpec {
  return {
    key: 'email',
    required: opts.required,
    validators: [unique((v) => accounts.emailTaken(v, opts.except?.number), EMAIL_TAKEN), maxLength(200), emailFormat],
  };
}

/** `username`: unique → ≤ 250; any characters but NUL (validate() refuses NUL in every field). */
export function usernameField(accounts: AccountReads, opts: { required: boolean; except?: Pick<User, 'number'> }): FieldSpec {
  return {
    key: 'username',
    required: opts.required,
    validators: [unique((v) => accounts.usernameTaken(v, opts.except?.number), USERNAME_TAKEN), maxLength(250)],
  };
}

/** Stored form of a v1 email: the domain part lower-cased (`new@Example.COM` → `new@example.com`). */
export function storedEmail(email: string): string {
  return normalizeEmailDomain(email);
}
