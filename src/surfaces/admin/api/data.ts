// Request bodies of the JSON API, read as Django REST framework read them (JSON, form or
// multipart; an empty body is {}), and their values turned into the typed edits the core's
// admin actions take. Type errors use DRF's words; the rules themselves live in core/admin.
import type { FastifyRequest } from 'fastify';
import { passwordProblem } from '../../../core/admin/password-edit.js';
import { FLAG_KEYS, TEXT_KEYS, type UserEdit } from '../../../core/admin/user-edit.js';
import { FORM_WORDS, type FormErrors } from '../../../core/django-forms.js';
import type { ProfileFields } from '../../../core/profiles.js';
import { parseBody, pythonTypeName } from '../../../http/body.js';
import { DRF_WORDS, isPlainObject } from '../../../http/fields.js';
import type { GenericReply } from '../../../http/surface.js';
import { invalidFields } from './replies.js';
import { adminApiStyle } from './style.js';

type Data = Record<string, unknown>;
type ReadData = { ok: true; data: Data } | { ok: false; reply: GenericReply };

const BOOLEAN_INVALID = 'Must be a valid boolean.';
// DRF's BooleanField accepts these spellings (and JSON true/false, 1/0).
const TRUE_TEXT = new Set(['t', 'y', 'yes', 'true', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'n', 'no', 'false', 'off', '0']);

function has(data: Data, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(data, key) && data[key] !== undefined;
}

/** The body as a dictionary, or the API's 400/415; a view reads it after its own 404 and 403. */
export async function readApiData(request: FastifyRequest): Promise<ReadData> {
  const { words } = adminApiStyle;
  const parsed = await parseBody(request);
  switch (parsed.kind) {
    case 'empty':
      return { ok: true, data: {} };
    case 'form':
    case 'multipart':
      return { ok: true, data: parsed.fields };
    case 'json':
      if (parsed.value === null) return { ok: true, data: {} };
      if (isPlainObject(parsed.value)) return { ok: true, data: parsed.value };
      return { ok: false, reply: invalidFields({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(parsed.value)}.`] }) };
    case 'bad_json':
      return { ok: false, reply: words.malformedJson(parsed.reason) };
    case 'bad_multipart':
      return { ok: false, reply: words.malformedMultipart(parsed.reason) };
    case 'unsupported':
      return { ok: false, reply: words.unsupportedMediaType(parsed.mediaType) };
  }
}

/** A text value as DRF's CharField takes it: numbers become text; bool, list, object, file refused. */
function text(value: unknown): { ok: true; value: string } | { ok: false } {
  if (typeof value === 'string') return { ok: true, value };
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value: String(value) };
  return { ok: false };
}

function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (TRUE_TEXT.has(v)) return true;
    if (FALSE_TEXT.has(v)) return false;
  }
  return null;
}

/** PATCH /users/<id>/: the editable fields present; other keys are ignored. */
export function userEditFrom(data: Data): { input: UserEdit; known: FormErrors } {
  const input: UserEdit = {};
  const known: FormErrors = {};
  for (const key of TEXT_KEYS) {
    if (!has(data, key)) continue;
    const raw = data[key];
    if (raw === null) {
      // Clearing an optional field is allowed; full_name is never absent, only empty.
      if (key === 'full_name') known[key] = [DRF_WORDS.null(key)];
      else input[key] = null;
      continue;
    }
    const t = text(raw);
    if (t.ok) input[key] = t.value;
    else known[key] = [DRF_WORDS.invalid(key)];
  }
  for (const key of FLAG_KEYS) {
    if (!has(data, key)) continue;
    const raw = data[key];
    const b = raw === null ? null : bool(raw);
    if (b === null) known[key] = [raw === null ? DRF_WORDS.null(key) : BOOLEAN_INVALID];
    else input[key] = b;
  }
  return { input, known };
}

/** POST /users/<id>/password/: `{"password": "…"}`, 8 to 128 characters, not trimmed. */
export function passwordFrom(data: Data): { ok: true; password: string } | { ok: false; errors: FormErrors } {
  if (!has(data, 'password')) return { ok: false, errors: { password: [FORM_WORDS.required] } };
  const raw = data.password;
  if (raw === null) return { ok: false, errors: { password: [DRF_WORDS.null('password')] } };
  const t = text(raw);
  if (!t.ok) return { ok: false, errors: { password: [DRF_WORDS.invalid('password')] } };
  const problem = passwordProblem(t.value);
  return problem ? { ok: false, errors: { password: [problem] } } : { ok: true, password: t.value };
}

/** PATCH /profiles/<kind>/<id>/: `bio` and `instagram`. */
export function profileEditFrom(data: Data): { input: ProfileFields; known: FormErrors } {
  const input: ProfileFields = {};
  const known: FormErrors = {};
  for (const key of ['bio', 'instagram'] as const) {
    if (!has(data, key)) continue;
    const raw = data[key];
    const t = raw === null ? null : text(raw);
    if (t === null) known[key] = [DRF_WORDS.null(key)];
    else if (!t.ok) known[key] = [DRF_WORDS.invalid(key)];
    else input[key] = t.value;
  }
  return { input, known };
}
