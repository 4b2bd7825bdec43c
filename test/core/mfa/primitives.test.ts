// The factor itself (mfa.md §1): RFC 6238 through the library in use, the window, code
// normalisation, the otpauth URL and QR code, recovery codes and their keyed digests.
import { describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { SecretKeys } from '../../../src/core/secrets.js';
import { accountLabel, matchTotp, newTotpSecret, otpauthUrl, qrSvg, timeStep } from '../../../src/core/mfa/totp.js';
import { RECOVERY_ALPHABET, RecoveryCodeDigests, classifyCode, newRecoveryCodes } from '../../../src/core/mfa/codes.js';

// RFC 6238 Appendix B: the SHA1 seed is the ASCII string "12345678901234567890".
const RFC_SEED = new TextEncoder().encode('12345678901234567890');
const RFC_SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_SHA1_VECTORS: Array<[number, string]> = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

describe('RFC 6238 Appendix B (SHA1)', () => {
  it.each(RFC_SHA1_VECTORS)('T=%i gives %s (8 digits) through otplib', async (t, expected) => {
    expect(await generate({ secret: RFC_SEED, epoch: t, digits: 8, algorithm: 'sha1', period: 30 })).toBe(expected);
  });

  it.each(RFC_SHA1_VECTORS)('T=%i: the 6-digit truncation is accepted by matchTotp at its step', async (t, expected) => {
    // An HOTP value of d digits is the same number mod 10^d, so the 6-digit code is the last six.
    const six = expected.slice(-6);
    expect(await matchTotp(RFC_SEED_BASE32, six, t, null)).toBe(timeStep(t));
    expect(await matchTotp(RFC_SEED_BASE32, six, t, timeStep(t))).toBeNull(); // its step already used
  });
});

describe('the window: the current step and one either side', () => {
  const secret = newTotpSecret();
  const now = 1_700_000_010; // 10 s into a step

  it('accepts steps -1, 0, +1 and reports which', async () => {
    for (const offset of [-1, 0, 1]) {
      const code = await generate({ secret, epoch: now + offset * 30 });
      expect(await matchTotp(secret, code, now, null)).toBe(timeStep(now) + offset);
    }
  });

  it('refuses steps -2 and +2', async () => {
    for (const offset of [-2, 2, -3, 3]) {
      const code = await generate({ secret, epoch: now + offset * 30 });
      // A chance collision with a code of the window is one in ~333,000; compare to be sure.
      const inWindow = await Promise.all([-1, 0, 1].map((o) => generate({ secret, epoch: now + o * 30 })));
      if (!inWindow.includes(code)) expect(await matchTotp(secret, code, now, null)).toBeNull();
    }
  });

  it('accepts only steps after the replay floor', async () => {
    const step = timeStep(now);
    const prev = await generate({ secret, epoch: now - 30 });
    const cur = await generate({ secret, epoch: now });
    const next = await generate({ secret, epoch: now + 30 });
    expect(await matchTotp(secret, prev, now, step - 1)).toBeNull();
    expect(await matchTotp(secret, cur, now, step - 1)).toBe(step);
    expect(await matchTotp(secret, cur, now, step)).toBeNull();
    expect(await matchTotp(secret, next, now, step)).toBe(step + 1);
    expect(await matchTotp(secret, next, now, step + 1)).toBeNull();
    expect(await matchTotp(secret, next, now, step + 50)).toBeNull(); // a floor beyond the window
  });

  it('anything but six digits never matches', async () => {
    const code = await generate({ secret, epoch: now });
    for (const bad of ['', code.slice(1), code + '0', ` ${code}`, `${code.slice(0, 3)}-${code.slice(3)}`, 'abcdef', '１２３４５６']) {
      expect(await matchTotp(secret, bad, now, null)).toBeNull();
    }
  });
});

describe('secrets', () => {
  it('are 20 random bytes as 32 upper-case base32 characters without padding', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const s = newTotpSecret();
      expect(s).toMatch(/^[A-Z2-7]{32}$/);
      seen.add(s);
    }
    expect(seen.size).toBe(50);
  });
});

describe('submitted codes (spaces and hyphens ignored; anything else is a wrong code)', () => {
  it.each([
    ['123456', { kind: 'totp', code: '123456' }],
    ['123 456', { kind: 'totp', code: '123456' }],
    ['123-456', { kind: 'totp', code: '123456' }],
    [' 12 34-56 ', { kind: 'totp', code: '123456' }],
    ['abcde-fghjk', { kind: 'recovery_code', code: 'abcdefghjk' }],
    ['ABCDE FGHJK', { kind: 'recovery_code', code: 'abcdefghjk' }],
    ['abcdefghjk', { kind: 'recovery_code', code: 'abcdefghjk' }],
    ['23456-78923', { kind: 'recovery_code', code: '2345678923' }],
    ['12345', { kind: 'malformed' }],
    ['1234567', { kind: 'malformed' }],
    ['12345a', { kind: 'malformed' }],
    ['123\t456', { kind: 'malformed' }],
    ['abcde-fghji', { kind: 'malformed' }], // i is not in the alphabet
    ['abcde-fghj0', { kind: 'malformed' }],
    ['abcde_fghjk', { kind: 'malformed' }],
    ['', { kind: 'malformed' }],
  ])('%j', (raw, expected) => {
    expect(classifyCode(raw)).toEqual(expected);
  });
});

describe('otpauth URL and QR code (mfa.md §2.2)', () => {
  it('has the exact shape, issuer and label percent-encoded', () => {
    expect(otpauthUrl('Gatehouse', 'ann@example.com', 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')).toBe(
      'otpauth://totp/Gatehouse:ann%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30',
    );
    expect(otpauthUrl('Acme & Co', 'a b:c/ü?', 'S')).toBe('otpauth://totp/Acme%20%26%20Co:a%20b%3Ac%2F%C3%BC%3F?secret=S&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30');
  });

  it('labels with the email, else the username, else the id', () => {
    expect(accountLabel({ email: 'e@x.io', username: 'u', id: 'i' })).toBe('e@x.io');
    expect(accountLabel({ email: null, username: 'u', id: 'i' })).toBe('u');
    expect(accountLabel({ email: null, username: null, id: 'i' })).toBe('i');
  });

  it('draws the URL as an SVG image', () => {
    const svg = qrSvg('otpauth://totp/Gatehouse:ann%40example.com?secret=JBSWY3DPEHPK3PXP');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(qrSvg('otpauth://totp/other')).not.toBe(svg);
  });
});

describe('recovery codes (mfa.md §1)', () => {
  it('come 10 to a set, xxxxx-xxxxx from the alphabet, all different', () => {
    const set = newRecoveryCodes();
    expect(set).toHaveLength(10);
    for (const c of set) expect(c).toMatch(new RegExp(`^[${RECOVERY_ALPHABET}]{5}-[${RECOVERY_ALPHABET}]{5}$`));
    expect(new Set(set).size).toBe(10);
  });

  it('use every letter of the alphabet and nothing else over many sets', () => {
    const chars = new Set(Array.from({ length: 100 }, () => newRecoveryCodes().join('').replace(/-/g, '')).join(''));
    expect([...chars].sort().join('')).toBe([...RECOVERY_ALPHABET].sort().join(''));
  });

  it('are stored as a digest keyed by SECRET_KEY and bound to the user, the same for any typing', () => {
    const a = new RecoveryCodeDigests(new SecretKeys('k'.repeat(40)));
    const b = new RecoveryCodeDigests(new SecretKeys('j'.repeat(40)));
    const d = a.digest(7, 'abcde-fghjk');
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(a.digest(7, 'ABCDE FGHJK')).toBe(d);
    expect(a.digest(7, 'abcdefghjk')).toBe(d);
    expect(a.digest(8, 'abcde-fghjk')).not.toBe(d);
    expect(b.digest(7, 'abcde-fghjk')).not.toBe(d);
    expect(d).not.toContain('abcdefghjk');
  });
});
