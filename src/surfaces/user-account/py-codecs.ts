// Python's json.loads(bytes) decoding step, reproduced so a JWT's "Invalid header string:
// <detail>" carries the same detail the original (PyJWT on CPython) gave: the encoding is
// guessed from the first bytes (json.detect_encoding) and decoded with 'surrogatepass'.
// Results are code points, not a JS string, so lone surrogates and positions survive as Python
// sees them.

export type Decoded = { ok: true; codePoints: number[] } | { ok: false; message: string };

/** json.detect_encoding: BOMs first, then the pattern of zero bytes (RFC 4627 §3). */
export function detectEncoding(b: Uint8Array): string {
  if (startsWith(b, [0x00, 0x00, 0xfe, 0xff]) || startsWith(b, [0xff, 0xfe, 0x00, 0x00])) return 'utf-32';
  if (startsWith(b, [0xfe, 0xff]) || startsWith(b, [0xff, 0xfe])) return 'utf-16';
  if (startsWith(b, [0xef, 0xbb, 0xbf])) return 'utf-8-sig';
  if (b.length >= 4) {
    if (!b[0]) return b[1] ? 'utf-16-be' : 'utf-32-be';
    if (!b[1]) return b[2] || b[3] ? 'utf-16-le' : 'utf-32-le';
  } else if (b.length === 2) {
    if (!b[0]) return 'utf-16-be';
    if (!b[1]) return 'utf-16-le';
  }
  return 'utf-8';
}

function startsWith(b: Uint8Array, prefix: number[]): boolean {
  return b.length >= prefix.length && prefix.every((v, i) => b[i] === v);
}

/** bytes.decode(detect_encoding(bytes), 'surrogatepass'). */
export function decodeForJson(b: Uint8Array): Decoded {
  const enc = detectEncoding(b);
  switch (enc) {
    case 'utf-8':
      return decodeUtf8(b);
    case 'utf-8-sig':
      // Python decodes what follows the BOM, so error positions count from there.
      return decodeUtf8(b.subarray(3));
    case 'utf-16':
      // After the BOM, CPython reports errors under the byte order's own name.
      return decodeUtf16(b, b[0] === 0xff, 2, b[0] === 0xff ? 'utf-16-le' : 'utf-16-be');
    case 'utf-16-le':
      return decodeUtf16(b, true, 0, enc);
    case 'utf-16-be':
      return decodeUtf16(b, false, 0, enc);
    case 'utf-32':
      return decodeUtf32(b, b[0] === 0xff, 4, b[0] === 0xff ? 'utf-32-le' : 'utf-32-be');
    default:
      return decodeUtf32(b, enc === 'utf-32-le', 0, enc);
  }
}

/** UnicodeDecodeError.__str__ */
function decodeError(codec: string, b: Uint8Array, start: number, end: number, reason: string): Decoded {
  const where = end === start + 1
    ? `byte 0x${b[start].toString(16).padStart(2, '0')} in position ${start}`
    : `bytes in position ${start}-${end - 1}`;
  return { ok: false, message: `'${codec}' codec can't decode ${where}: ${reason}` };
}

const isCont = (x: number | undefined): boolean => x !== undefined && (x & 0xc0) === 0x80;

/**
 * CPython's UTF-8 decoder: the same error ranges and reasons ("invalid start byte",
 * "invalid continuation byte", "unexpected end of data"). 'surrogatepass' lets an encoded
 * surrogate (ED A0..BF 80..BF) through.
 */
function decodeUtf8(b: Uint8Array): Decoded {
  const out: number[] = [];
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      out.push(c);
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (need === 0) return decodeError('utf-8', b, i, i + 1, 'invalid start byte');
    const bad = firstBadByte(b, i, need);
    if (bad !== null) {
      if (need === 3 && c === 0xed && isCont(b[i + 1]) && isCont(b[i + 2])) {
        out.push(((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f)); // surrogatepass
        i += 3;
        continue;
      }
      return bad.eod
        ? decodeError('utf-8', b, i, b.length, 'unexpected end of data')
        : decodeError('utf-8', b, i, i + bad.at, 'invalid continuation byte');
    }
    let cp = need === 2 ? c & 0x1f : need === 3 ? c & 0x0f : c & 0x07;
    for (let k = 1; k < need; k++) cp = (cp << 6) | (b[i + k] & 0x3f);
    out.push(cp);
    i += need;
  }
  return { ok: true, codePoints: out };
}

/** Which continuation byte is wrong (its offset), or the end of data; null when all are fine. */
function firstBadByte(b: Uint8Array, i: number, need: number): { eod: boolean; at: number } | null {
  const c = b[i];
  for (let k = 1; k < need; k++) {
    const x = b[i + k];
    if (x === undefined) return { eod: true, at: k };
    let ok = isCont(x);
    if (k === 1 && ok) {
      if (c === 0xe0) ok = x >= 0xa0;
      else if (c === 0xed) ok = x < 0xa0;
      else if (c === 0xf0) ok = x >= 0x90;
      else if (c === 0xf4) ok = x < 0x90;
    }
    if (!ok) return { eod: false, at: k };
  }
  return null;
}

// With 'surrogatepass' every 16-bit unit decodes; only a dangling odd byte fails.
function decodeUtf16(b: Uint8Array, le: boolean, skip: number, codec: string): Decoded {
  const units: number[] = [];
  const whole = b.length - ((b.length - skip) % 2);
  for (let i = skip; i < whole; i += 2) units.push(le ? b[i] | (b[i + 1] << 8) : (b[i] << 8) | b[i + 1]);
  if (whole !== b.length) return decodeError(codec, b, whole, b.length, 'truncated data');
  const out: number[] = [];
  for (let i = 0; i < units.length; i++) {
    const u = units[i];
    const next = units[i + 1];
    if (u >= 0xd800 && u < 0xdc00 && next !== undefined && next >= 0xdc00 && next < 0xe000) {
      out.push(0x10000 + ((u - 0xd800) << 10) + (next - 0xdc00));
      i++;
    } else {
      out.push(u);
    }
  }
  return { ok: true, codePoints: out };
}

function decodeUtf32(b: Uint8Array, le: boolean, skip: number, codec: string): Decoded {
  const out: number[] = [];
  let i = skip;
  for (; i + 4 <= b.length; i += 4) {
    const cp = le ? (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0 : ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
    if (cp > 0x10ffff) return decodeError(codec, b, i, i + 4, 'code point not in range(0x110000)');
    out.push(cp);
  }
  if (i !== b.length) return decodeError(codec, b, i, b.length, 'truncated data');
  return { ok: true, codePoints: out };
}
