// CPython's json.loads (the C scanner, strict mode) over code points, so that a JWT segment
// that is not JSON fails with the same "<message>: line L column C (char P)" text the original
// put into "Invalid header string: …" / "Invalid payload string: …". It accepts what Python
// accepts (NaN, Infinity, duplicate keys: last wins) and builds prototype-free objects, so a
// "__proto__" key is plain data.
import { decodeForJson } from './py-codecs.js';

export type JsonResult = { ok: true; value: unknown } | { ok: false; detail: string };

/** Python's recursion limit would raise RecursionError long before this; we stop politely. */
const MAX_DEPTH = 900;

class DecodeError {
  constructor(readonly msg: string, readonly pos: number) {}
}
/** The C scanner's StopIteration: "no value starts here", reported as "Expecting value". */
class NoValue {
  constructor(readonly pos: number) {}
}
class TooDeep {}

const Q = 0x22; // "
const BS = 0x5c; // \
const isWs = (c: number | undefined): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** json.loads(bytes) */
export function pyJsonLoads(bytes: Uint8Array): JsonResult {
  const decoded = decodeForJson(bytes);
  if (!decoded.ok) return { ok: false, detail: decoded.message };
  return new Scanner(decoded.codePoints).document();
}

class Scanner {
  private depth = 0;
  constructor(private readonly s: number[]) {}

  document(): JsonResult {
    try {
      const [value, end] = this.scanOnce(this.skipWs(0));
      const after = this.skipWs(end);
      if (after !== this.s.length) throw new DecodeError('Extra data', after);
      return { ok: true, value };
    } catch (err) {
      if (err instanceof NoValue) return { ok: false, detail: this.describe('Expecting value', err.pos) };
      if (err instanceof DecodeError) return { ok: false, detail: this.describe(err.msg, err.pos) };
      if (err instanceof TooDeep) return { ok: false, detail: 'maximum recursion depth exceeded while decoding a JSON document' };
      throw err;
    }
  }

  /** JSONDecodeError.__str__ */
  private describe(msg: string, pos: number): string {
    let line = 1;
    let lastNl = -1;
    for (let i = 0; i < pos; i++) {
      if (this.s[i] === 0x0a) {
        line++;
        lastNl = i;
      }
    }
    return `${msg}: line ${line} column ${pos - lastNl} (char ${pos})`;
  }

  private skipWs(i: number): number {
    while (isWs(this.s[i])) i++;
    return i;
  }

  private matches(i: number, word: string): boolean {
    for (let k = 0; k < word.length; k++) if (this.s[i + k] !== word.charCodeAt(k)) return false;
    return true;
  }

  private scanOnce(i: number): [unknown, number] {
    const c = this.s[i];
    if (c === undefined) throw new NoValue(i);
    if (c === Q) return this.scanString(i + 1);
    if (c === 0x7b || c === 0x5b) return this.nested(i, c === 0x7b);
    for (const [word, value] of CONSTANTS) if (this.matches(i, word)) return [value, i + word.length];
    return this.scanNumber(i);
  }

  private nested(i: number, object: boolean): [unknown, number] {
    if (++this.depth > MAX_DEPTH) throw new TooDeep();
    try {
      return object ? this.scanObject(i + 1) : this.scanArray(i + 1);
    } finally {
      this.depth--;
    }
  }

  private scanObject(start: number): [unknown, number] {
    const obj: Record<string, unknown> = Object.create(null);
    let i = this.skipWs(start);
    if (this.s[i] === 0x7d) return [obj, i + 1];
    for (;;) {
      if (this.s[i] !== Q) throw new DecodeError('Expecting property name enclosed in double quotes', i);
      const [key, afterKey] = this.scanString(i + 1);
      i = this.skipWs(afterKey);
      if (this.s[i] !== 0x3a) throw new DecodeError("Expecting ':' delimiter", i);
      const [value, afterValue] = this.scanOnce(this.skipWs(i + 1));
      obj[key] = value;
      i = this.skipWs(afterValue);
      if (this.s[i] === 0x7d) return [obj, i + 1];
      if (this.s[i] !== 0x2c) throw new DecodeError("Expecting ',' delimiter", i);
      i = this.skipWs(i + 1);
    }
  }

  private scanArray(start: number): [unknown, number] {
    const arr: unknown[] = [];
    let i = this.skipWs(start);
    if (this.s[i] === 0x5d) return [arr, i + 1];
    for (;;) {
      const [value, after] = this.scanOnce(i);
      arr.push(value);
      i = this.skipWs(after);
      if (this.s[i] === 0x5d) return [arr, i + 1];
      if (this.s[i] !== 0x2c) throw new DecodeError("Expecting ',' delimiter", i);
      i = this.skipWs(i + 1);
    }
  }

  /** `end` is just past the opening quote, as in scanstring_unicode. */
  private scanString(end: number): [string, number] {
    const s = this.s;
    const begin = end - 1;
    const out: number[] = [];
    let i = end;
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new DecodeError('Unterminated string starting at', begin);
      if (c === Q) return [String.fromCodePoint(...out), i + 1];
      if (c <= 0x1f) throw new DecodeError('Invalid control character at', i);
      if (c !== BS) {
        out.push(c);
        i++;
        continue;
      }
      const esc = s[i + 1];
      if (esc === undefined) throw new DecodeError('Unterminated string starting at', begin);
      if (esc !== 0x75) {
        const simple = SIMPLE_ESCAPES.get(esc);
        if (simple === undefined) throw new DecodeError('Invalid \\escape', i);
        out.push(simple);
        i += 2;
        continue;
      }
      i = this.unicodeEscape(i + 2, out);
    }
  }

  /** `\uXXXX`, joining a following `\uXXXX` low surrogate as the C scanner does. */
  private unicodeEscape(next: number, out: number[]): number {
    const s = this.s;
    // The C scanner wants at least one character after the four digits (end >= len).
    if (next + 4 >= s.length) throw new DecodeError('Invalid \\uXXXX escape', next - 1);
    const c = this.hex4(next);
    if (c === null) throw new DecodeError('Invalid \\uXXXX escape', next - 1);
    const end = next + 4;
    if (c >= 0xd800 && c <= 0xdbff && end + 6 < s.length && s[end] === BS && s[end + 1] === 0x75) {
      const c2 = this.hex4(end + 2);
      if (c2 === null) throw new DecodeError('Invalid \\uXXXX escape', end + 1);
      if (c2 >= 0xdc00 && c2 <= 0xdfff) {
        out.push(0x10000 + ((c - 0xd800) << 10) + (c2 - 0xdc00));
        return end + 6;
      }
    }
    out.push(c);
    return end;
  }

  private hex4(i: number): number | null {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const d = this.s[i + k];
      const h = d >= 0x30 && d <= 0x39 ? d - 0x30 : d >= 0x61 && d <= 0x66 ? d - 0x57 : d >= 0x41 && d <= 0x46 ? d - 0x37 : -1;
      if (h < 0) return null;
      v = v * 16 + h;
    }
    return v;
  }

  /** _match_number_unicode: the longest JSON number at i, or "Expecting value". */
  private scanNumber(start: number): [number, number] {
    const s = this.s;
    let i = start;
    if (s[i] === 0x2d) i++;
    if (s[i] !== undefined && s[i] >= 0x31 && s[i] <= 0x39) {
      while (isDigit(s[i])) i++;
    } else if (s[i] === 0x30) {
      i++;
    } else {
      throw new NoValue(start);
    }
    if (s[i] === 0x2e && isDigit(s[i + 1])) {
      i += 2;
      while (isDigit(s[i])) i++;
    }
    if (s[i] === 0x65 || s[i] === 0x45) {
      let j = i + 1;
      if (s[j] === 0x2d || s[j] === 0x2b) j++;
      const digits = j;
      while (isDigit(s[j])) j++;
      if (j > digits) i = j;
    }
    return [Number(String.fromCharCode(...s.slice(start, i))), i];
  }
}

const CONSTANTS: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['false', false],
  ['NaN', NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
];

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);
