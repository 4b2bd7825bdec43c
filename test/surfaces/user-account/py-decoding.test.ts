// The Python-compatible pieces behind the 422 reasons (user-account.md §2.4). The expected
// values were produced by CPython 3.11's json, base64 and codecs on the same inputs.
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { maskEmail } from '../../../src/surfaces/user-account/email-mask.js';
import { decodeAccessToken } from '../../../src/surfaces/user-account/jwt-decode.js';
import { base64urlDecode } from '../../../src/surfaces/user-account/py-base64.js';
import { pyJsonLoads } from '../../../src/surfaces/user-account/py-json.js';

describe('pyJsonLoads: CPython json.loads messages', () => {
  it.each([
    ['', 'Expecting value: line 1 column 1 (char 0)'],
    ['{"a":1,}', 'Expecting property name enclosed in double quotes: line 1 column 8 (char 7)'],
    ['[1,]', 'Expecting value: line 1 column 4 (char 3)'],
    ['{"a" 1}', "Expecting ':' delimiter: line 1 column 6 (char 5)"],
    ['{"a":1 "b":2}', "Expecting ',' delimiter: line 1 column 8 (char 7)"],
    ['"abc', 'Unterminated string starting at: line 1 column 1 (char 0)'],
    ['"a\u0001"', 'Invalid control character at: line 1 column 3 (char 2)'],
    ['"\\x"', 'Invalid \\escape: line 1 column 2 (char 1)'],
    ['"\\u12"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
    ['"\\u12zz"', 'Invalid \\uXXXX escape: line 1 column 3 (char 2)'],
    ['"\\ud83d\\uzzzz"', 'Invalid \\uXXXX escape: line 1 column 9 (char 8)'],
    ['{}x', 'Extra data: line 1 column 3 (char 2)'],
    ['\n\n  x', 'Expecting value: line 3 column 3 (char 4)'],
    ['01', 'Extra data: line 1 column 2 (char 1)'],
    ['-', 'Expecting value: line 1 column 1 (char 0)'],
    ['1.', 'Extra data: line 1 column 2 (char 1)'],
    ['1e', 'Extra data: line 1 column 2 (char 1)'],
    ['1e5x', 'Extra data: line 1 column 4 (char 3)'],
    ['[1, 2', "Expecting ',' delimiter: line 1 column 6 (char 5)"],
    ['{"a":', 'Expecting value: line 1 column 6 (char 5)'],
    ['{"a"', "Expecting ':' delimiter: line 1 column 5 (char 4)"],
    ['{', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['nul', 'Expecting value: line 1 column 1 (char 0)'],
    ['[1,\n 2,\n x]', 'Expecting value: line 3 column 2 (char 9)'],
    ['"\\', 'Unterminated string starting at: line 1 column 1 (char 0)'],
    ['[-]', 'Expecting value: line 1 column 2 (char 1)'],
    ['{1:2}', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['[,1]', 'Expecting value: line 1 column 2 (char 1)'],
    ['"é\n', 'Invalid control character at: line 1 column 3 (char 2)'],
  ])('%j → %s', (text, detail) => {
    expect(pyJsonLoads(Buffer.from(text, 'utf8'))).toEqual({ ok: false, detail });
  });

  it.each([
    ['"\\ud83d\\ude00"', '😀'],
    ['{"a":-Infinity}', { a: -Infinity }],
    [' [ ] ', []],
    ['1.5E+3', 1500],
    ['{"a":"\\/"}', { a: '/' }],
    ['{"a":1,"a":2}', { a: 2 }],
    ['"\\ud83dx"', '\ud83dx'],
  ])('%j parses as Python does', (text, value) => {
    const r = pyJsonLoads(Buffer.from(text, 'utf8'));
    expect(r.ok).toBe(true);
    expect(JSON.stringify((r as { value: unknown }).value)).toBe(JSON.stringify(value));
  });

  it('"__proto__" is an ordinary key', () => {
    const r = pyJsonLoads(Buffer.from('{"__proto__":{"polluted":1}}')) as { ok: true; value: Record<string, unknown> };
    expect(Object.keys(r.value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['ff7b', "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"],
    ['7be282', "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data"],
    ['e08080', "'utf-8' codec can't decode byte 0xe0 in position 0: invalid continuation byte"],
    ['eda041', "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte"],
    ['f09080', "'utf-8' codec can't decode bytes in position 0-2: unexpected end of data"],
    ['f4908080', "'utf-8' codec can't decode byte 0xf4 in position 0: invalid continuation byte"],
    ['efbbbfff', "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"],
    ['fffe7b007d', "'utf-16-le' codec can't decode byte 0x7d in position 4: truncated data"],
    ['0000007b', 'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)'],
    ['c2', "'utf-8' codec can't decode byte 0xc2 in position 0: unexpected end of data"],
    ['61c32862', "'utf-8' codec can't decode byte 0xc3 in position 1: invalid continuation byte"],
    ['80', "'utf-8' codec can't decode byte 0x80 in position 0: invalid start byte"],
  ])('bytes %s → %s', (hex, detail) => {
    expect(pyJsonLoads(Buffer.from(hex, 'hex'))).toEqual({ ok: false, detail });
  });

  it.each(['7b2261223a22eda080227d', 'efbbbf7b7d', '7b007d00', 'fffe7b007d00'])('bytes %s decode (surrogatepass, BOMs, UTF-16)', (hex) => {
    expect(pyJsonLoads(Buffer.from(hex, 'hex')).ok).toBe(true);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const r = pyJsonLoads(bytes);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with JSON.parse on what both accept', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const r = pyJsonLoads(Buffer.from(text, 'utf8'));
        expect(r.ok).toBe(true);
        expect(JSON.stringify((r as { value: unknown }).value)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });

  it('deep nesting is refused without exhausting the stack', () => {
    const r = pyJsonLoads(Buffer.from('['.repeat(20_000)));
    expect(r.ok).toBe(false);
  });
});

describe("base64urlDecode: PyJWT's base64url_decode", () => {
  it.each([
    ['', ''],
    ['a', null],
    ['ab', '69'],
    ['abc', '69b7'],
    ['abcd', '69b71d'],
    ['abcde', null],
    ['YQ', '61'],
    ['YQ=', '61'],
    ['YQ==', '61'],
    ['YWI', '6162'],
    ['YW=I', null],
    ['Y=Q', null],
    ['Y===', null],
    ['=YQ', null],
    ['a+b/', '6be6ff'],
    ['a-b_', '6be6ff'],
    ['YQ.=', null],
    ['Y Q', null],
    ['Y\u00e9Q', null],
    ['!!!!', ''],
    ['YQ==YWI=', '61'],
    ['YWJj=', '616263'],
    ['YWJ=', '6162'],
    ['Y*Q*', null],
    ['....', ''],
  ])('%j → %s', (input, hex) => {
    const r = base64urlDecode(Buffer.from(input, 'utf8'));
    expect(r === null ? null : r.toString('hex')).toBe(hex);
  });

  it('decodes whatever Node encodes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = Buffer.from(bytes).toString('base64url');
        expect(base64urlDecode(Buffer.from(encoded))!.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });
});

describe('decodeAccessToken', () => {
  const key = Buffer.alloc(32, 7);
  const now = 1_700_000_000;
  const sign = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);

  it('accepts its own tokens and reports expiry without failing', async () => {
    const ok = decodeAccessToken(Buffer.from(await sign({ sub: 1, nbf: now, exp: now + 10 })), key, now);
    expect(ok).toMatchObject({ ok: true, expired: false });
    const expired = decodeAccessToken(Buffer.from(await sign({ sub: 1, exp: now })), key, now);
    expect(expired).toMatchObject({ ok: true, expired: true });
  });

  it.each([
    [{ iat: 'soon' }, 'Issued At claim (iat) must be an integer.'],
    [{ nbf: [1] }, 'Not Before claim (nbf) must be an integer.'],
    [{ nbf: now + 1 }, 'The token is not yet valid (nbf)'],
    [{ exp: 'never' }, 'Expiration Time claim (exp) must be an integer.'],
    [{ exp: null }, 'Expiration Time claim (exp) must be an integer.'],
    [{ exp: { at: 1 } }, 'Expiration Time claim (exp) must be an integer.'],
  ])('claims %j → %s', async (claims, reason) => {
    expect(decodeAccessToken(Buffer.from(await sign({ sub: 1, ...claims })), key, now)).toEqual({ ok: false, reason });
  });

  it('numeric strings count as integers, as Python int() reads them', async () => {
    expect(decodeAccessToken(Buffer.from(await sign({ sub: 1, nbf: ` ${now - 5} `, exp: `${now + 5}` })), key, now)).toMatchObject({ ok: true, expired: false });
  });

  it('never throws on random input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = decodeAccessToken(Buffer.from(s, 'utf8'), key, now);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('maskEmail (§5.4)', () => {
  it.each([
    ['daniel.z@yandex.ru', 'd******z@yandex.ru'],
    ['ab@x.io', 'a******b@x.io'],
    ['a@x.io', 'a******@x.io'],
    ['@x.io', '******@x.io'],
    ['plainaddress', 'p******s'],
    ['x', 'x******'],
    ['a.b@c@d.e', 'a******b@c@d.e'],
    ['a(b*c)+[d@x.io', 'a******d@x.io'],
    ['😀mid😎@x.io', '😀******😎@x.io'],
  ])('%s → %s', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it('no email → null', () => {
    expect(maskEmail(null)).toBeNull();
    expect(maskEmail('')).toBeNull();
  });

  it('always keeps everything from the first @ and never shows the middle', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (local, rest) => {
        const at = local.indexOf('@');
        const l = at < 0 ? local : local.slice(0, at);
        const email = `${l}@${rest}`;
        const masked = maskEmail(email)!;
        expect(masked.endsWith('@' + rest)).toBe(true);
        expect(masked).toContain('******');
      }),
    );
  });
});
