// A passkey's name (passkeys.md §2.2, §2.3): trimmed, at most 64 characters, "Passkey" when a
// registration gives none.
import { charLength } from '../text.js';
import { DEFAULT_PASSKEY_NAME, MAX_PASSKEY_NAME_LENGTH } from './store.js';

export type PasskeyNameResult = { ok: true; name: string } | { ok: false; reason: 'name_blank' | 'name_too_long' };

/**
 * `required` (a rename): a blank name is refused. Otherwise (a registration) a missing or
 * blank name becomes the default.
 */
export function normalizePasskeyName(raw: string | null | undefined, required: boolean): PasskeyNameResult {
  const name = (raw ?? '').trim();
  if (name === '') return required ? { ok: false, reason: 'name_blank' } : { ok: true, name: DEFAULT_PASSKEY_NAME };
  if (charLength(name) > MAX_PASSKEY_NAME_LENGTH) return { ok: false, reason: 'name_too_long' };
  return { ok: true, name };
}
