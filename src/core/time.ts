// All stored times are integer microseconds since the Unix epoch (UTC): exact in a JS number
// until the year 2255, the same on SQLite and PostgreSQL, and enough for the spec's
// microsecond timestamps (v1.md §0.13).
const originMicros = Math.round(performance.timeOrigin * 1000);

/** Now, in microseconds since the epoch (monotonic-derived, so it has real sub-ms digits). */
export function nowMicros(): number {
  return originMicros + Math.round(performance.now() * 1000);
}

export function nowSeconds(): number {
  return Math.floor(nowMicros() / 1_000_000);
}

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60_000_000;

/** `2024-07-16T20:11:35.123456Z`: ISO 8601 with microseconds and Z. */
export function isoMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const frac = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return new Date(ms).toISOString().slice(0, 19) + '.' + frac + 'Z';
}

export function isoOrNull(micros: number | null | undefined): string | null {
  return micros === null || micros === undefined ? null : isoMicros(micros);
}

/** Parses an ISO 8601 timestamp (with zone, or UTC assumed) to microseconds; null if invalid. */
export function parseIsoMicros(text: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6})\d*)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) return null;
  const zone = m[4] ?? 'Z';
  const base = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[2] && m[2].length === 5 ? ':00' : ''}${zone === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(base)) return null;
  const frac = (m[3] ?? '').padEnd(6, '0');
  return base * 1000 + Number(frac);
}
