// Profile fields as the admin edits them: the rules of v1.md §4 (bio free text, not trimmed;
// instagram trimmed, at most 255 characters, an http(s)/ftp(s) URL or blank), with the admin's
// own word for a bad URL (admin.md §2.2).
import type { ProfileFields } from '../profiles.js';
import { isValidUrl } from '../validators.js';
import { charLength, pyStrip } from '../text.js';
import { type FormErrors, nullCharactersProblem, orderErrors } from '../django-forms.js';

export const PROFILE_KEYS = ['bio', 'instagram'] as const;
const INSTAGRAM_MAX = 255;

const PROFILE_MESSAGES = {
  instagramTooLong: `Ensure this field has no more than ${INSTAGRAM_MAX} characters.`,
  invalidUrl: 'Enter a valid URL.',
} as const;

export type ProfileCheck = { ok: true; fields: ProfileFields } | { ok: false; errors: FormErrors };

/** `known` holds errors found while reading the input (a JSON null, an object). */
export function checkProfileEdit(input: ProfileFields, known: FormErrors = {}): ProfileCheck {
  const errors: FormErrors = { ...known };
  const fields: ProfileFields = {};
  if (input.bio !== undefined && !errors.bio) {
    const nul = nullCharactersProblem(input.bio);
    if (nul) errors.bio = [nul];
    else fields.bio = input.bio;
  }
  if (input.instagram !== undefined && !errors.instagram) {
    const value = pyStrip(input.instagram);
    const problems: string[] = [];
    if (charLength(value) > INSTAGRAM_MAX) problems.push(PROFILE_MESSAGES.instagramTooLong);
    if (value !== '' && !isValidUrl(value)) problems.push(PROFILE_MESSAGES.invalidUrl);
    const nul = nullCharactersProblem(value);
    if (nul) problems.push(nul);
    if (problems.length) errors.instagram = problems;
    else fields.instagram = value;
  }
  if (!Object.keys(errors).length) return { ok: true, fields };
  return { ok: false, errors: orderErrors(errors, PROFILE_KEYS) };
}
