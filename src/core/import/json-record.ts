// One JSON record's text -> a SourceRecord. Shared by the JSON array and JSON Lines readers.
import type { SourceRecord } from './types.js';

/**
 * Parses one record. The parser's own message is not passed on: it quotes the input, and the
 * input may hold a password hash, which must never reach the terminal or a log.
 */
export function parseJsonRecord(text: string, line: number, record: number): SourceRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, record, fields: null, error: 'invalid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, record, fields: null, error: 'expected a JSON object' };
  }
  return { line, record, fields: value as Record<string, unknown> };
}
