// Password content rules. Each surface keeps the rules of the backend it replaces
// (v1.md §0.5), so these are two faithful rule sets, not one policy with options:
// - v1 (v1.md §3.1): the original's regex checks, first failure only;
// - users (users.md §2.2): Django's four default validators, every failure.
// Lengths are counted in Unicode code points, as Python's len() (both originals) did, so an
// emoji counts as one character, not two UTF-16 units.
import { dictionary } from '@zxcvbn-ts/language-common';

const MIN_LENGTH = 8;

// v1.md §3.1 rule 4: exactly these count as symbols (not `-`, space, `{}[]<>'` or `\`).
const V1_SYMBOL = /[!@#$%^&*()_+=,.?/|":;`~]/;

/**
 * v1 register, password change and reset: the first failing rule's message (without the
 * "Password error. " prefix the surface adds), or null when the password is acceptable.
 */
export function v1PasswordProblem(password: string, confirm: string): string | null {
  if (codePointLength(password) < MIN_LENGTH) return 'Password must contain at least 8 characters.';
  if (!/[0-9]/.test(password)) return 'Password must contain at least 1 number.';
  if (!/[A-Z]/.test(password)) return 'Password must contain at least 1 uppercase letter.';
  if (!V1_SYMBOL.test(password)) return 'Password must contain at least 1 symbol.';
  if (password !== confirm) return 'Passwords do not match.';
  return null;
}

/**
 * users surface: Django's UserAttributeSimilarity, MinimumLength, CommonPassword and
 * NumericPassword validators, in that order, every failing message. `username` is the
 * normalised username, or null when it is missing or invalid (the similarity check is skipped).
 */
export function djangoPasswordProblems(password: string, username: string | null): string[] {
  const problems: string[] = [];
  if (username && isTooSimilar(password, username)) problems.push('The password is too similar to the username.');
  if (codePointLength(password) < MIN_LENGTH) {
    problems.push('This password is too short. It must contain at least 8 characters.');
  }
  if (isCommonPassword(password)) problems.push('This password is too common.');
  if (isEntirelyNumeric(password)) problems.push('This password is entirely numeric.');
  return problems;
}

/** The lower-cased, trimmed password is on zxcvbn's common-password list (~49k entries). */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.trim().toLowerCase());
}

// Immutable data built once at import (a few milliseconds), so sharing it between app
// instances is safe.
const COMMON_PASSWORDS: ReadonlySet<string> = new Set(dictionary['passwords-common']);
function commonPasswords(): ReadonlySet<string> {
  return COMMON_PASSWORDS;
}

// Python's str.isdigit() on the whole string; decimal digits of every script count (Django
// would reject "١٢٣٤٥٦٧٨" too). Superscript and circled digits, which isdigit() also accepts,
// are not numbers anyone types as a password and are left out.
function isEntirelyNumeric(password: string): boolean {
  return /^\p{Nd}+$/u.test(password);
}

// Django's UserAttributeSimilarityValidator (max_similarity 0.7) for the one attribute the
// `users` surface has: the username, whole and split on runs of non-word characters (Python's
// Unicode-aware \W+), each part compared with difflib's quick_ratio().
function isTooSimilar(password: string, username: string): boolean {
  const pw = Array.from(password.toLowerCase());
  const name = username.toLowerCase();
  const candidates = [...name.split(/[^\p{L}\p{N}_]+/u), name].map((part) => Array.from(part));
  return candidates.some((part) => !isLengthRatioExceeded(pw.length, part.length) && quickRatio(pw, part) >= 0.7);
}

// Django skips a part so short next to the password that it could never reach 0.7.
function isLengthRatioExceeded(passwordLength: number, partLength: number): boolean {
  return passwordLength >= 10 * partLength && partLength < (0.7 / 2) * passwordLength;
}

// difflib.SequenceMatcher.quick_ratio(): 2·M/T, M = characters in common counted with
// multiplicity, T = both lengths; two empty strings are identical (1.0), as in difflib.
function quickRatio(a: string[], b: string[]): number {
  const total = a.length + b.length;
  if (total === 0) return 1;
  const available = new Map<string, number>();
  for (const ch of b) available.set(ch, (available.get(ch) ?? 0) + 1);
  let matches = 0;
  for (const ch of a) {
    const left = available.get(ch) ?? 0;
    if (left > 0) {
      available.set(ch, left - 1);
      matches += 1;
    }
  }
  return (2 * matches) / total;
}

// Code points, not UTF-16 units, so lengths agree with Python's len() (see the file header).
function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
