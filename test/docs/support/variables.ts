// What changes from one run to the next in a recorded exchange (ids, tokens, cookies, times),
// found by its shape, so the examples can keep the real values of the run that recorded them
// and still be replayed. A replay matches each recorded answer against the new one: fixed text
// must be equal, and each changing value must have the same shape. A recorded id or token is
// bound to the value the replay got in its place; the replay then sends the bound value wherever
// the recording sent the recorded one, and a value seen again must be the one bound (two
// different recorded tokens must stay two different tokens: a token the server failed to renew
// shows up as a mismatch).

export type Kind =
  | 'loopback'
  | 'jwt'
  | 'signed'
  | 'timestamp'
  | 'uuid'
  | 'whsec'
  | 'evt'
  | 'hex64'
  | 'hex40'
  | 'token43'
  | 'alnum32'
  | 'recovery'
  | 'svg'
  | 'date'
  | 'httpdate'
  | 'maxage';

const WORD_EDGE_BEFORE = '(?<![A-Za-z0-9_-])';
const WORD_EDGE_AFTER = '(?![A-Za-z0-9_-])';

/** In order: at one position, the first kind that matches wins (a JWT before its base64 parts). */
const PATTERNS: ReadonlyArray<readonly [Kind, string]> = [
  // A server of the example run on a loopback port (the OpenID provider, the webhook receiver).
  ['loopback', 'http://127\\.0\\.0\\.1:\\d{2,5}(?!\\d)'],
  ['jwt', 'eyJ[A-Za-z0-9_-]*\\.eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+'],
  ['signed', `${WORD_EDGE_BEFORE}[A-Za-z0-9_-]{43}\\.[A-Za-z0-9_-]{22}${WORD_EDGE_AFTER}`],
  ['timestamp', '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{6}Z'],
  ['uuid', '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'],
  // A webhook signing secret, and an event id.
  ['whsec', 'whsec_[A-Za-z0-9+/]{43}='],
  ['evt', 'evt_[0-9A-HJKMNP-TV-Z]{26}(?![A-Za-z0-9])'],
  ['hex64', `${WORD_EDGE_BEFORE}[0-9a-f]{64}${WORD_EDGE_AFTER}`],
  ['hex40', `${WORD_EDGE_BEFORE}[0-9a-f]{40}${WORD_EDGE_AFTER}`],
  ['token43', `${WORD_EDGE_BEFORE}[A-Za-z0-9_-]{43}${WORD_EDGE_AFTER}`],
  ['alnum32', `${WORD_EDGE_BEFORE}[A-Za-z0-9]{32}${WORD_EDGE_AFTER}`],
  // A two-factor recovery code (`xxxxx-xxxxx` from an alphabet without look-alikes).
  ['recovery', `${WORD_EDGE_BEFORE}[a-hjkmnp-z2-9]{5}-[a-hjkmnp-z2-9]{5}${WORD_EDGE_AFTER}`],
  // An SVG image made of the run's values (the QR code of a TOTP secret).
  ['svg', '<svg[\\s\\S]*?</svg>'],
  ['date', '(?<!\\d)\\d{2}-\\d{2}-\\d{4}(?!\\d)'],
  // The 1970 date of a cleared cookie is fixed text.
  ['httpdate', '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?!1970)\\d{4} \\d{2}:\\d{2}:\\d{2} GMT'],
  ['maxage', '(?<=Max-Age=)[1-9]\\d*'],
];

/** Kinds that only need the right shape: times differ between runs and are not bound. */
const FREE: ReadonlySet<Kind> = new Set(['timestamp', 'date', 'httpdate', 'svg']);
/** Cookie lifetimes and Retry-After may differ by the seconds a run takes. */
const SECONDS_TOLERANCE = 5;

const ANY = new RegExp(PATTERNS.map(([kind, p]) => `(?<${kind}>${p})`).join('|'), 'g');

export type Segment = { text: string } | { kind: Kind; value: string };

/** `s` cut into fixed text and changing values. */
export function segments(s: string): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const m of s.matchAll(ANY)) {
    const kind = (Object.keys(m.groups!) as Kind[]).find((k) => m.groups![k] !== undefined)!;
    if (m.index > at) out.push({ text: s.slice(at, m.index) });
    out.push({ kind, value: m[0] });
    at = m.index + m[0].length;
  }
  if (at < s.length) out.push({ text: s.slice(at) });
  return out;
}

/** The kind of a value that is one changing value as a whole. */
export function kindOf(value: string): Kind {
  const seg = segments(value);
  if (seg.length !== 1 || !('kind' in seg[0])) throw new Error(`not one changing value: ${value}`);
  return seg[0].kind;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const PATTERN_OF = new Map(PATTERNS);

/** The values a replay got in place of the recorded ones. */
export class Bindings {
  readonly #toActual = new Map<string, string>();
  readonly #toRecorded = new Map<string, string>();

  /** `recorded` stands for `actual` from now on; a contradiction is an error naming `where`. */
  bind(kind: Kind, recorded: string, actual: string, where: string): void {
    if (FREE.has(kind)) return;
    if (kind === 'maxage') {
      if (Math.abs(Number(actual) - Number(recorded)) > SECONDS_TOLERANCE) throw new Error(`${where}: Max-Age ${actual}, recorded ${recorded}`);
      return;
    }
    const bound = this.#toActual.get(recorded);
    if (bound !== undefined) {
      if (bound !== actual) throw new Error(`${where}: expected the ${kind} seen before (${bound}), got ${actual}`);
      return;
    }
    const other = this.#toRecorded.get(actual);
    if (other !== undefined) throw new Error(`${where}: got the same ${kind} as for another recorded value (${other}): ${actual}`);
    this.#toActual.set(recorded, actual);
    this.#toRecorded.set(actual, recorded);
  }

  /** `s` with every bound recorded value replaced by its actual one. */
  substitute(s: string): string {
    return segments(s)
      .map((seg) => ('text' in seg ? seg.text : (this.#toActual.get(seg.value) ?? seg.value)))
      .join('');
  }

  /** The same through a JSON value. */
  substituteJson(value: unknown): unknown {
    if (typeof value === 'string') return this.substitute(value);
    if (Array.isArray(value)) return value.map((v) => this.substituteJson(v));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substituteJson(v)]));
    return value;
  }
}

/**
 * Matches `actual` against `recorded`: the fixed text equal, each changing value of the same
 * kind (and bound, see Bindings). Throws with `where` on a mismatch.
 */
export function matchString(recorded: string, actual: string, b: Bindings, where: string): void {
  const parts = segments(recorded);
  const vars = parts.filter((p): p is { kind: Kind; value: string } => 'kind' in p);
  if (vars.length === 0) {
    if (recorded !== actual) throw new Error(`${where}: expected ${JSON.stringify(recorded)}, got ${JSON.stringify(actual)}`);
    return;
  }
  const re = new RegExp('^' + parts.map((p) => ('text' in p ? escape(p.text) : `(${PATTERN_OF.get(p.kind)})`)).join('') + '$');
  const m = re.exec(actual);
  if (!m) throw new Error(`${where}: expected the shape of ${JSON.stringify(recorded)}, got ${JSON.stringify(actual)}`);
  vars.forEach((v, i) => b.bind(v.kind, v.value, m[i + 1], where));
}

/** A JSON value: same types, arrays of the same length, object keys in the same order, strings as matchString. */
export function matchJson(recorded: unknown, actual: unknown, b: Bindings, where: string): void {
  if (typeof recorded === 'string') {
    if (typeof actual !== 'string') throw new Error(`${where}: expected a string, got ${JSON.stringify(actual)}`);
    matchString(recorded, actual, b, where);
    return;
  }
  if (Array.isArray(recorded)) {
    if (!Array.isArray(actual) || actual.length !== recorded.length) throw new Error(`${where}: expected ${recorded.length} items, got ${JSON.stringify(actual)}`);
    recorded.forEach((r, i) => matchJson(r, actual[i], b, `${where}[${i}]`));
    return;
  }
  if (recorded !== null && typeof recorded === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) throw new Error(`${where}: expected an object, got ${JSON.stringify(actual)}`);
    const rk = Object.keys(recorded);
    const ak = Object.keys(actual);
    if (rk.join(',') !== ak.join(',')) throw new Error(`${where}: expected the keys ${rk.join(', ')}, got ${ak.join(', ')}`);
    for (const k of rk) matchJson((recorded as Record<string, unknown>)[k], (actual as Record<string, unknown>)[k], b, `${where}.${k}`);
    return;
  }
  if (recorded !== actual) throw new Error(`${where}: expected ${JSON.stringify(recorded)}, got ${JSON.stringify(actual)}`);
}

/** Retry-After counts down while a run goes on: the same number within a few seconds. */
export function matchSeconds(recorded: string, actual: string, where: string): void {
  if (!/^\d+$/.test(actual) || Math.abs(Number(actual) - Number(recorded)) > SECONDS_TOLERANCE) throw new Error(`${where}: expected about ${recorded} seconds, got ${actual}`);
}
