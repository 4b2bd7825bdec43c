// Request bodies and field checks (user-account.md §1.1, §5): a JSON object or 415/400, then
// each field in the endpoint's order through "required", "must be a string", "too long";
// the first failure is the whole answer.
import type { FastifyRequest } from 'fastify';
import { isJsonType, mediaType, rawBody } from '../../http/body.js';
import { charLength, isPlainObject } from '../../http/fields.js';
import type { GenericReply } from '../../http/surface.js';
import { detectEncoding } from './py-codecs.js';
import { INVALID_JSON, UNSUPPORTED_MEDIA_TYPE, msg } from './words.js';

type JsonObject = Record<string, unknown>;

export interface FieldRule {
  name: string;
  /** Absent or null fails "required"; false lets both through as null. */
  required: boolean;
  /** `""` fails "required" too (registration's username). */
  emptyIsAbsent?: boolean;
  max?: number;
  /** Kept as text in the database: NUL and lone surrogates are refused (see UNSTORABLE). */
  stored?: boolean;
}

/**
 * PostgreSQL text cannot hold NUL, and a lone surrogate would be rewritten to U+FFFD by either
 * driver; the original crashed (500) on both. Refused the same way on every database.
 */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const UNSTORABLE = /\u0000|\p{Cs}/u;

/** A username no account can have, so it is not worth a query. */
export function unmatchableName(name: string): boolean {
  return name.includes('\u0000') || name.length > 1000;
}

const DECODERS: Record<string, TextDecoder> = {
  'utf-8': new TextDecoder('utf-8', { fatal: true }),
  'utf-8-sig': new TextDecoder('utf-8', { fatal: true }),
  'utf-16': new TextDecoder('utf-16le', { fatal: true }),
  'utf-16-le': new TextDecoder('utf-16le', { fatal: true }),
  'utf-16-be': new TextDecoder('utf-16be', { fatal: true }),
};

/**
 * The body as Flask's get_json() read it: UTF-8 (or UTF-16 by its BOM or zero bytes), then
 * JSON, which must be an object. UTF-32, rare as it is, is refused as not decodable.
 */
export function readFlaskJson(request: FastifyRequest): { ok: true; body: JsonObject } | { ok: false; answer: GenericReply } {
  if (!isJsonType(mediaType(request))) return { ok: false, answer: UNSUPPORTED_MEDIA_TYPE };
  const bytes = rawBody(request);
  let enc = detectEncoding(bytes);
  if (enc === 'utf-16' && bytes[0] === 0xfe) enc = 'utf-16-be';
  const decoder = DECODERS[enc];
  if (!decoder) return { ok: false, answer: INVALID_JSON };
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return isPlainObject(value) ? { ok: true, body: value } : { ok: false, answer: INVALID_JSON };
  } catch {
    return { ok: false, answer: INVALID_JSON };
  }
}

/** Checks `specs` in order; the values come back as strings, or null for an absent optional field. */
export function checkFields(body: JsonObject, specs: readonly FieldRule[]): { ok: true; values: Record<string, string | null> } | { ok: false; answer: GenericReply } {
  const values: Record<string, string | null> = {};
  for (const spec of specs) {
    const raw = Object.prototype.hasOwnProperty.call(body, spec.name) ? body[spec.name] : undefined;
    const absent = raw === undefined || raw === null || (spec.emptyIsAbsent === true && raw === '');
    if (absent) {
      if (spec.required) return { ok: false, answer: msg(400, `${spec.name} is required`) };
      values[spec.name] = null;
      continue;
    }
    if (typeof raw !== 'string') return { ok: false, answer: msg(400, `${spec.name} must be a string`) };
    if (spec.max !== undefined && charLength(raw) > spec.max) return { ok: false, answer: msg(400, `${spec.name} is too long`) };
    if (spec.stored && UNSTORABLE.test(raw)) return { ok: false, answer: msg(400, `${spec.name} contains invalid characters`) };
    values[spec.name] = raw;
  }
  return { ok: true, values };
}
