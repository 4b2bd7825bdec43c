// Field values as exports write them -> typed values, or a Rejection naming the field and the
// problem. JSON brings real booleans and nulls; CSV brings only text, so both spellings are read.
// Absent, null and (in CSV) empty all mean "not given", and the caller decides what that means.

/** Why a record is rejected; thrown by the readers of single values, caught per record. */
export class Rejection extends Error {
  override readonly name = 'Rejection';
}

const TRUE_WORDS = new Set(['true', 't', '1', 'yes', 'y']);
const FALSE_WORDS = new Set(['false', 'f', '0', 'no', 'n']);

/** Shown values are cut, so one bad cell cannot flood the report. */
export function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text);
}

export function isGiven(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** Text, or null when given as null; undefined when absent. */
export function text(name: string, value: unknown): string | null | undefined {
  if (value === undefined || value === null || typeof value === 'string') return value;
  throw new Rejection(`${name}: expected text, got ${quote(value)}`);
}

/** true/false (JSON), 1/0, or the words Django, PostgreSQL and spreadsheets write (CSV). */
export function flag(name: string, value: unknown): boolean | undefined {
  if (!isGiven(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === 'string') {
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new Rejection(`${name}: expected true or false, got ${quote(value)}`);
}

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * ISO 8601 as Django writes it (`2024-07-16T20:11:35.123Z`, `…+00:00`) and as databases export
 * it (`2024-07-16 20:11:35.123456`); without a zone it is UTC. Microseconds, or undefined when
 * not given. Impossible dates (Feb 30, 24:00) are rejected, not rolled over.
 */
export function dateTime(name: string, value: unknown): number | undefined {
  if (!isGiven(value)) return undefined;
  const m = typeof value === 'string' ? ISO_DATE_TIME.exec(value.trim()) : null;
  if (!m) throw new Rejection(`${name}: expected an ISO 8601 date and time, got ${quote(value)}`);
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((p) => (p === undefined ? 0 : Number(p)));
  const valid =
    year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 59;
  const offset = zoneOffsetMinutes(m[8]);
  if (!valid || offset === null) throw new Rejection(`${name}: not a valid date and time: ${quote(value)}`);
  const millis = Date.UTC(year, month - 1, day, hour, minute, second) - offset * 60_000;
  const micros = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  return millis * 1000 + micros;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

// Minutes east of UTC; null when out of range.
function zoneOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || /^(z|utc)$/i.test(zone)) return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0;
  if (hours > 23 || minutes > 59) return null;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}
