// register and login read the raw body as JSON whatever its Content-Type (users.md §1.1).
import type { FastifyRequest } from 'fastify';
import { parseJson, rawBody } from '../../http/body.js';
import { isPlainObject } from '../../http/fields.js';

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** The body as a JSON object, or null for anything else (empty, malformed, an array, a number). */
export function jsonObject(request: FastifyRequest): Record<string, unknown> | null {
  let buf = rawBody(request);
  // Python's json.loads(bytes) accepts a UTF-8 byte order mark; JSON.parse does not.
  if (buf.subarray(0, 3).equals(UTF8_BOM)) buf = buf.subarray(3);
  const parsed = parseJson(buf);
  return parsed.ok && isPlainObject(parsed.value) ? parsed.value : null;
}
