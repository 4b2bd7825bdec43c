// What an admin action answers, whoever asked (UI or API). Each surface side maps these onto
// its own words: a 403 page or {"detail": …}, a notice or a 400.
import type { RequestMeta } from '../audit.js';
import type { User } from '../accounts.js';
import type { FormErrors } from '../django-forms.js';

/** The staff user acting, and where the request came from (for the audit). */
export interface Actor {
  user: User;
  meta: RequestMeta;
}

export type Refusal =
  /** A superuser-only action tried by staff (admin.md §1). */
  | { ok: false; kind: 'forbidden' }
  /** A guard: last active superuser, or one's own account. */
  | { ok: false; kind: 'guard'; message: string }
  | { ok: false; kind: 'invalid'; errors: FormErrors }
  /** The target went away while the action waited its turn. */
  | { ok: false; kind: 'gone' };

export type AdminOutcome<T extends object = object> = ({ ok: true } & T) | Refusal;

export const FORBIDDEN: Refusal = Object.freeze({ ok: false, kind: 'forbidden' });
export const GONE: Refusal = Object.freeze({ ok: false, kind: 'gone' });

export function guard(message: string): Refusal {
  return { ok: false, kind: 'guard', message };
}

export function invalidInput(errors: FormErrors): Refusal {
  return { ok: false, kind: 'invalid', errors };
}

/** `{field: {old, new}}` for an audit entry; only fields whose value really changed. */
export type Changes = Record<string, { old: unknown; new: unknown }>;
