// DRF-style string field checks, shared by the surfaces that came from Django REST framework
// (v1, api-user, account, admin API). The steps are the same everywhere; only the words differ.

export interface FieldWords {
  required(key: string): string;
  null(key: string): string;
  invalid(key: string): string; // a bool, array or object where a string is expected
  blank(key: string): string;
}

/** api-user, account, admin API: DRF's stock messages. */
export const DRF_WORDS: FieldWords = {
  required: () => 'This field is required.',
  null: () => 'This field may not be null.',
  invalid: () => 'Not a valid string.',
  blank: () => 'This field may not be blank.',
};

export interface StringFieldOptions {
  required?: boolean; // default true
  allowNull?: boolean; // default false
  allowBlank?: boolean; // default false
  trim?: boolean; // default true
}

export type FieldResult =
  | { ok: true; present: false }
  | { ok: true; present: true; value: string | null }
  | { ok: false; error: string };

/** Python's str() of a JSON number, so 12345678 → "12345678". */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? 'inf' : n < 0 ? '-inf' : 'nan';
}

/**
 * One field through DRF's CharField steps: absent → required; null → null; bool, array or
 * object → invalid; numbers become text; trimmed; empty → blank.
 */
export function stringField(data: Record<string, unknown>, key: string, opts: StringFieldOptions, words: FieldWords): FieldResult {
  const { required = true, allowNull = false, allowBlank = false, trim = true } = opts;
  if (!Object.prototype.hasOwnProperty.call(data, key) || data[key] === undefined) {
    return required ? { ok: false, error: words.required(key) } : { ok: true, present: false };
  }
  const raw = data[key];
  if (raw === null) return allowNull ? { ok: true, present: true, value: null } : { ok: false, error: words.null(key) };
  if (typeof raw === 'boolean' || (typeof raw !== 'string' && typeof raw !== 'number')) return { ok: false, error: words.invalid(key) };
  const text = typeof raw === 'number' ? numberText(raw) : raw;
  const value = trim ? pyStrip(text) : text;
  if (value === '' && !allowBlank) return { ok: false, error: words.blank(key) };
  return { ok: true, present: true, value };
}

// Python's str.strip() removes Unicode whitespace; JavaScript's trim() is the same set plus BOM.

import { charLength, pyStrip } from '../core/text.js';

export { charLength, pyStrip };

/** Python's str.title() on a field name: `confirm_password` → `Confirm_Password`. */
export function titleKey(key: string): string {
  return key.replace(/[A-Za-z]+/g, (run) => run[0].toUpperCase() + run.slice(1).toLowerCase());
}

/** A plain JSON object (not an array or null)? */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
