// Password content rules of the v1 surface (v1.md §3.1) and the users surface (users.md §2.2).
import { describe, expect, it } from 'vitest';
import { djangoPasswordProblems, isCommonPassword, v1PasswordProblem } from '../../src/core/password-rules.js';

const SHORT = 'Password must contain at least 8 characters.';
const NUMBER = 'Password must contain at least 1 number.';
const UPPER = 'Password must contain at least 1 uppercase letter.';
const SYMBOL = 'Password must contain at least 1 symbol.';
const MISMATCH = 'Passwords do not match.';

describe('v1PasswordProblem (v1.md §3.1 "Password rules")', () => {
  const same = (pw: string) => v1PasswordProblem(pw, pw);

  it('accepts a password that passes every rule', () => {
    expect(same('Admin,123')).toBeNull();
  });

  it('1. fewer than 8 characters', () => {
    expect(same('Ad,1234')).toBe(SHORT);
    expect(same('Ad,12345')).toBeNull();
  });

  it('2. no ASCII digit', () => {
    expect(same('Admin,abc')).toBe(NUMBER);
    expect(same('Admin,١٢٣')).toBe(NUMBER); // Arabic-Indic digits are not 0-9
  });

  it('3. no ASCII upper-case letter', () => {
    expect(same('admin,123')).toBe(UPPER);
    expect(same('émile,123É')).toBe(UPPER); // É is not A-Z
  });

  it('4. no symbol from the list', () => {
    expect(same('Admin1234')).toBe(SYMBOL);
  });

  it.each([...'!@#$%^&*()_+=,.?/|":;`~'])('4. %s counts as a symbol', (symbol) => {
    expect(same(`Admin123${symbol}`)).toBeNull();
  });

  it.each(['-', ' ', '{', '}', '[', ']', '<', '>', "'", '\\'])('4. %j does not count as a symbol', (notSymbol) => {
    expect(same(`Admin123${notSymbol}`)).toBe(SYMBOL);
  });

  it('5. password and confirmation differ', () => {
    expect(v1PasswordProblem('Admin,123', 'Admin,124')).toBe(MISMATCH);
    expect(v1PasswordProblem('Admin,123', 'admin,123')).toBe(MISMATCH);
  });

  it('reports only the first failure, in rule order', () => {
    expect(v1PasswordProblem('Admin123', 'Admin,123')).toBe(SYMBOL); // the spec's own example
    expect(v1PasswordProblem('a', 'b')).toBe(SHORT);
    expect(v1PasswordProblem('abcdefgh', 'x')).toBe(NUMBER);
    expect(v1PasswordProblem('abcdefg1', 'x')).toBe(UPPER);
    expect(v1PasswordProblem('Abcdefg1', 'x')).toBe(SYMBOL);
  });

  it('counts characters as code points, so an emoji is one character', () => {
    expect(same('A1,😀😀😀😀')).toBe(SHORT); // 7 code points, 11 UTF-16 units
    expect(same('A1,😀😀😀😀😀')).toBeNull(); // 8 code points
  });
});

const SIMILAR = 'The password is too similar to the username.';
const TOO_SHORT = 'This password is too short. It must contain at least 8 characters.';
const COMMON = 'This password is too common.';
const NUMERIC = 'This password is entirely numeric.';

describe('djangoPasswordProblems (users.md §2.2 "Password validators")', () => {
  it('accepts a long random passphrase', () => {
    expect(djangoPasswordProblems('violet-kettle-harbour-93', 'alice')).toEqual([]);
    expect(djangoPasswordProblems('violet-kettle-harbour-93', null)).toEqual([]);
  });

  it('1. too similar to the username (case-insensitive)', () => {
    expect(djangoPasswordProblems('testuser1', 'testuser')).toEqual([SIMILAR]);
    expect(djangoPasswordProblems('TESTUSER1', 'TestUser')).toEqual([SIMILAR]);
  });

  it('1. compares with each piece of the username split on non-word characters', () => {
    // Whole username: 2·8/(9+17) ≈ 0.62; the piece "smithson": 2·8/(9+8) ≈ 0.94.
    expect(djangoPasswordProblems('smithson9', 'maryanne-smithson')).toEqual([SIMILAR]);
    // "_" is a word character, so this username has one piece only.
    expect(djangoPasswordProblems('smithson9', 'maryanne_smithson')).toEqual([]);
    // Non-ASCII letters are word characters; the em dash is not.
    expect(djangoPasswordProblems('brontë123', 'zoë—brontë')).toEqual([SIMILAR]);
  });

  it('1. counts shared characters with multiplicity, order ignored (quick_ratio ≥ 0.7)', () => {
    expect(djangoPasswordProblems('smithjohn', 'john.smith')).toEqual([SIMILAR]); // 2·9/(9+10) ≈ 0.95
    expect(djangoPasswordProblems('resutset', 'testuser')).toEqual([SIMILAR]); // anagram: 1.0
    expect(djangoPasswordProblems('tesxyzqw', 'testuser')).toEqual([]); // 2·3/16 < 0.7
  });

  it('1. skips a piece far shorter than the password', () => {
    // "ab" is skipped (20 ≥ 10·2 and 2 < 0.35·20); it could not reach 0.7 anyway.
    expect(djangoPasswordProblems('abqwzxrtyplkjhgfdsvc', 'ab')).toEqual([]);
  });

  it('1. is skipped when the username is missing', () => {
    expect(djangoPasswordProblems('testuser1', null)).toEqual([]);
    expect(djangoPasswordProblems('testuser1', '')).toEqual([]);
  });

  it('2. fewer than 8 characters', () => {
    expect(djangoPasswordProblems('abc', null)).toEqual([TOO_SHORT]);
    expect(djangoPasswordProblems('xq😀😀😀😀😀', null)).toEqual([TOO_SHORT]); // 7 code points
  });

  it('3. on the common-password list after lower-casing and trimming', () => {
    expect(djangoPasswordProblems('Password1', null)).toEqual([COMMON]);
    expect(djangoPasswordProblems(' iloveyou ', null)).toEqual([COMMON]);
  });

  it('4. entirely numeric (any script of decimal digits, as str.isdigit)', () => {
    expect(djangoPasswordProblems('90817263544', null)).toEqual([NUMERIC]);
    expect(djangoPasswordProblems('١٣٥٧٩٢٤٦٨', null)).toEqual([NUMERIC]);
    expect(djangoPasswordProblems('9081726354a', null)).toEqual([]);
  });

  it('reports every failure, in validator order', () => {
    expect(djangoPasswordProblems('12345678', null)).toEqual([COMMON, NUMERIC]);
    expect(djangoPasswordProblems('1234567', '1234567')).toEqual([SIMILAR, TOO_SHORT, COMMON, NUMERIC]);
  });
});

describe('isCommonPassword', () => {
  it("uses zxcvbn's common-password list, lower-cased and trimmed", () => {
    expect(isCommonPassword('password')).toBe(true);
    expect(isCommonPassword('PassWord')).toBe(true);
    expect(isCommonPassword('  qwertyuiop\n')).toBe(true);
    expect(isCommonPassword('12345678')).toBe(true);
  });

  it('does not flag uncommon passwords', () => {
    expect(isCommonPassword('violet-kettle-harbour-93')).toBe(false);
    expect(isCommonPassword('')).toBe(false);
  });
});
