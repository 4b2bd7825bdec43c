// Validation of the admin JSON API's webhook endpoint bodies (events.md §2, admin.md §3.1):
// every field is checked, in the order url, events, description, enabled, and the errors come
// back as `{"<field>": ["<message>", …]}` with DRF's wording where DRF has a word for it.
import { ADDRESS_NOT_ALLOWED, type AddressGuard } from './address-guard.js';
import { EVENT_TYPES } from './model.js';
import { nullCharactersProblem } from '../django-forms.js';

export type FieldErrors = Record<string, string[]>;

export interface EndpointFields {
  url?: string;
  events?: string[];
  description?: string;
  enabled?: boolean;
}

export const URL_MAX_LENGTH = 2048;
export const DESCRIPTION_MAX_LENGTH = 1000;

export const MESSAGES = {
  required: 'This field is required.',
  null: 'This field may not be null.',
  notString: 'Not a valid string.',
  blank: 'This field may not be blank.',
  maxLength: (n: number) => `Ensure this field has no more than ${n} characters.`,
  url: 'Enter a valid URL.',
  httpsOnly: 'Only https:// URLs are allowed.',
  address: ADDRESS_NOT_ALLOWED,
  notList: (type: string) => `Expected a list of items but got type "${type}".`,
  emptyList: 'This list may not be empty.',
  choice: (v: string) => `"${v}" is not a valid choice.`,
  starAlone: '"*" cannot be combined with other event types.',
  boolean: 'Must be a valid boolean.',
  notObject: (type: string) => `Invalid data. Expected a dictionary, but got ${type}.`,
} as const;

/** Python's name for a JSON value's type, as DRF puts it in its messages. */
function pyType(v: unknown): string {
  if (v === null) return 'NoneType';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'dict';
}

interface Policy {
  allowHttp: boolean;
  guard: AddressGuard;
}

type Check<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** DRF CharField: numbers become text, other non-strings are refused; surrounding space is trimmed. */
function text(v: unknown, opts: { allowBlank: boolean; max: number }): Check<string> {
  if (v === null) return { ok: false, errors: [MESSAGES.null] };
  if (typeof v !== 'string' && typeof v !== 'number') return { ok: false, errors: [MESSAGES.notString] };
  const s = String(v).trim();
  if (s === '' && !opts.allowBlank) return { ok: false, errors: [MESSAGES.blank] };
  if ([...s].length > opts.max) return { ok: false, errors: [MESSAGES.maxLength(opts.max)] };
  const nul = nullCharactersProblem(s);
  if (nul) return { ok: false, errors: [nul] };
  return { ok: true, value: s };
}

async function checkUrl(v: unknown, p: Policy): Promise<Check<string>> {
  const t = text(v, { allowBlank: false, max: URL_MAX_LENGTH });
  if (!t.ok) return t;
  let url: URL;
  try {
    url = new URL(t.value);
  } catch {
    return { ok: false, errors: [MESSAGES.url] };
  }
  if (/\s/.test(t.value) || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    return { ok: false, errors: [MESSAGES.url] };
  }
  if (url.protocol === 'http:' && !p.allowHttp) return { ok: false, errors: [MESSAGES.httpsOnly] };
  // A name that does not resolve yet is accepted: every delivery checks the address again.
  const r = await p.guard.resolve(url.hostname);
  if (!r.ok && r.reason === 'forbidden') return { ok: false, errors: [MESSAGES.address] };
  return { ok: true, value: t.value };
}

function checkEvents(v: unknown): Check<string[]> {
  if (v === null) return { ok: false, errors: [MESSAGES.null] };
  if (!Array.isArray(v)) return { ok: false, errors: [MESSAGES.notList(pyType(v))] };
  if (v.length === 0) return { ok: false, errors: [MESSAGES.emptyList] };
  const errors: string[] = [];
  const out: string[] = [];
  for (const item of v) {
    const name = typeof item === 'string' ? item : JSON.stringify(item);
    if (typeof item !== 'string' || (item !== '*' && !(EVENT_TYPES as readonly string[]).includes(item))) {
      if (!errors.includes(MESSAGES.choice(name))) errors.push(MESSAGES.choice(name));
    } else if (!out.includes(item)) {
      out.push(item);
    }
  }
  if (errors.length) return { ok: false, errors };
  if (out.includes('*') && out.length > 1) return { ok: false, errors: [MESSAGES.starAlone] };
  return { ok: true, value: out };
}

/** DRF BooleanField's accepted spellings. */
function checkBoolean(v: unknown): Check<boolean> {
  if (v === null) return { ok: false, errors: [MESSAGES.null] };
  if (v === true || v === 1 || (typeof v === 'string' && ['true', 'True', 'TRUE', 'yes', 'Yes', 'on', 'On', '1', 'y', 'Y', 't', 'T'].includes(v))) return { ok: true, value: true };
  if (v === false || v === 0 || (typeof v === 'string' && ['false', 'False', 'FALSE', 'no', 'No', 'off', 'Off', '0', 'n', 'N', 'f', 'F'].includes(v))) return { ok: true, value: false };
  return { ok: false, errors: [MESSAGES.boolean] };
}

/**
 * `create` needs `url` and `events`; `patch` takes any subset. Unknown keys are ignored, as
 * DRF ignores them.
 */
export async function validateEndpoint(raw: unknown, mode: 'create' | 'patch', p: Policy): Promise<{ ok: true; fields: EndpointFields } | { ok: false; errors: FieldErrors }> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, errors: { non_field_errors: [MESSAGES.notObject(pyType(raw))] } };
  }
  const body = raw as Record<string, unknown>;
  const errors: FieldErrors = {};
  const fields: EndpointFields = {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(body, k);

  if (has('url')) {
    const r = await checkUrl(body.url, p);
    if (r.ok) fields.url = r.value;
    else errors.url = r.errors;
  } else if (mode === 'create') errors.url = [MESSAGES.required];

  if (has('events')) {
    const r = checkEvents(body.events);
    if (r.ok) fields.events = r.value;
    else errors.events = r.errors;
  } else if (mode === 'create') errors.events = [MESSAGES.required];

  if (has('description')) {
    const r = text(body.description, { allowBlank: true, max: DESCRIPTION_MAX_LENGTH });
    if (r.ok) fields.description = r.value;
    else errors.description = r.errors;
  }

  if (has('enabled')) {
    const r = checkBoolean(body.enabled);
    if (r.ok) fields.enabled = r.value;
    else errors.enabled = r.errors;
  }

  return Object.keys(errors).length ? { ok: false, errors } : { ok: true, fields };
}
