// PasswordHasher (v1.md §0.5): argon2id for new hashes, verification of every importable
// legacy format, bounded costs, and "no match" (never an exception) for anything unusable.
import { createHash, pbkdf2Sync, scryptSync } from 'node:crypto';
import { hash as argon2Hash, type Algorithm } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_ARGON2, MAX_PASSWORD_BYTES, PasswordHasher } from '../../src/core/passwords.js';

// Small argon2 parameters keep the many verifies below fast; one test runs the defaults.
const TEST_ARGON2 = { memoryCost: 1024, timeCost: 1, parallelism: 1 };
const hasher = new PasswordHasher(TEST_ARGON2);

const PW = 'lètmein'; // non-ASCII on purpose: every format hashes UTF-8 bytes

async function expectMatches(stored: string, password = PW): Promise<void> {
  expect(await hasher.verify(password, stored)).toEqual({ ok: true, needsRehash: true });
  expect(await hasher.verify(`${password}z`, stored)).toEqual({ ok: false, needsRehash: false });
  expect(hasher.isUsable(stored)).toBe(true);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

describe('hash()', () => {
  it('produces an argon2id PHC string at the configured parameters that verifies', async () => {
    const stored = await hasher.hash('correct horse');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify('correct horse', stored)).toEqual({ ok: true, needsRehash: false });
    expect(await hasher.verify('correct horsf', stored)).toEqual({ ok: false, needsRehash: false });
  });

  it('uses a fresh salt each time', async () => {
    expect(await hasher.hash('same')).not.toBe(await hasher.hash('same'));
  });

  it('works at the default parameters (OWASP minimum m=19 MiB, t=2, p=1)', async () => {
    const strong = new PasswordHasher(DEFAULT_ARGON2);
    const stored = await strong.hash('Admin,123');
    expect(stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(await strong.verify('Admin,123', stored)).toEqual({ ok: true, needsRehash: false });
    expect(await strong.verify('Admin,124', stored)).toEqual({ ok: false, needsRehash: false });
  });

  it('refuses passwords over 4096 UTF-8 bytes with a RangeError that does not echo the password', async () => {
    await expect(hasher.hash('a'.repeat(MAX_PASSWORD_BYTES))).resolves.toMatch(/^\$argon2id\$/);
    const tooLong = 'é'.repeat(2049); // 2049 characters but 4098 bytes
    await expect(hasher.hash(tooLong)).rejects.toThrow(RangeError);
    await expect(hasher.hash(tooLong)).rejects.not.toThrow(/é/);
  });

  it('rejects argon2 settings it would later refuse to verify', () => {
    expect(() => new PasswordHasher({ memoryCost: 4, timeCost: 1, parallelism: 1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ memoryCost: 2 ** 21, timeCost: 1, parallelism: 1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ memoryCost: 1024, timeCost: 0, parallelism: 1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ memoryCost: 1024, timeCost: 1.5, parallelism: 1 })).toThrow(RangeError);
    expect(() => new PasswordHasher({ memoryCost: 1024, timeCost: 1, parallelism: 17 })).toThrow(RangeError);
  });
});

describe('verify(): needsRehash', () => {
  it('is true when the stored argon2id is weaker than the configured parameters', async () => {
    const stronger = new PasswordHasher({ memoryCost: 2048, timeCost: 1, parallelism: 1 });
    const weak = await hasher.hash('pw');
    expect(await stronger.verify('pw', weak)).toEqual({ ok: true, needsRehash: true });
    const longer = new PasswordHasher({ memoryCost: 1024, timeCost: 2, parallelism: 1 });
    expect(await longer.verify('pw', weak)).toEqual({ ok: true, needsRehash: true });
  });

  it('is false when the stored argon2id is at or above the configured parameters', async () => {
    const stronger = new PasswordHasher({ memoryCost: 2048, timeCost: 2, parallelism: 2 });
    expect(await hasher.verify('pw', await stronger.hash('pw'))).toEqual({ ok: true, needsRehash: false });
  });

  it('is true for argon2i and argon2d, and false whenever the password is wrong', async () => {
    const argon2d = await argon2Hash('pw', { ...TEST_ARGON2, algorithm: 0 as Algorithm });
    expect(argon2d.startsWith('$argon2d$')).toBe(true);
    expect(await hasher.verify('pw', argon2d)).toEqual({ ok: true, needsRehash: true });
    expect(await hasher.verify('px', argon2d)).toEqual({ ok: false, needsRehash: false });
  });
});

describe('verify(): argon2 formats', () => {
  // Vectors from Django's own test suite (tests/auth_tests/test_hashers.py).
  it('accepts argon2i PHC strings, with and without the version field', async () => {
    const v19 = '$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q';
    const v16 =
      '$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg';
    await expectMatches(v19, 'secret');
    await expectMatches(v16, 'secret');
  });

  it("accepts Django's `argon2$` wrapping and asks for a rehash into the bare format", async () => {
    const django = 'argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw';
    await expectMatches(django, 'secret');
    const ours = await hasher.hash('pw');
    expect(await hasher.verify('pw', `argon2${ours}`)).toEqual({ ok: true, needsRehash: true });
  });
});

describe('verify(): Django PBKDF2', () => {
  // Fixed vectors from Django's test suite (PBKDF2PasswordHasher, 390000 iterations).
  it('matches Django 4.x vectors', async () => {
    await expectMatches('pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=');
    await expectMatches('pbkdf2_sha256$390000$seasalt2$geC/uZ92nRXDSjSxeoiBqYyRcrLzMm8xK3ro1QS1uo8=');
    await expectMatches('pbkdf2_sha1$390000$seasalt2$aDapRanzW8aHTz97v2TcfHzWD+I=');
  });

  it('matches hashes built the Django way with node:crypto', async () => {
    const sha256 = pbkdf2Sync(PW, 'NaCl€salt', 1000, 32, 'sha256').toString('base64');
    await expectMatches(`pbkdf2_sha256$1000$NaCl€salt$${sha256}`);
    const sha1 = pbkdf2Sync(PW, 'salt', 1000, 20, 'sha1').toString('base64');
    await expectMatches(`pbkdf2_sha1$1000$salt$${sha1}`);
    const blank = pbkdf2Sync('', 'salt', 1000, 32, 'sha256').toString('base64');
    expect((await hasher.verify('', `pbkdf2_sha256$1000$salt$${blank}`)).ok).toBe(true);
  });

  it('compares the encoded form exactly, as Django does', async () => {
    const digest = pbkdf2Sync(PW, 'salt', 1000, 32, 'sha256').toString('base64');
    expect((await hasher.verify(PW, `pbkdf2_sha256$01000$salt$${digest}`)).ok).toBe(false);
    expect((await hasher.verify(PW, `pbkdf2_sha256$1000$salt$${digest.replace(/=$/, '')}`)).ok).toBe(false);
    expect((await hasher.verify(PW, `pbkdf2_sha512$1000$salt$${digest}`)).ok).toBe(false);
  });
});

describe('verify(): bcrypt', () => {
  it('accepts the classic OpenBSD vector and $2a$/$2b$/$2y$ prefixes', async () => {
    await expectMatches('$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW', 'U*U');
    const b = await bcrypt.hash(PW, 4);
    expect(b.startsWith('$2b$04$')).toBe(true);
    await expectMatches(b);
    await expectMatches(`$2a$${b.slice(4)}`);
    await expectMatches(`$2y$${b.slice(4)}`);
  });

  it("accepts Django's bcrypt (plain) and bcrypt_sha256 (bcrypt of the hex SHA-256)", async () => {
    await expectMatches(`bcrypt$${await bcrypt.hash(PW, 4)}`);
    await expectMatches(`bcrypt_sha256$${await bcrypt.hash(sha256Hex(PW), 4)}`);
  });

  it('bcrypt_sha256 is not truncated at 72 bytes; plain bcrypt is, as in the originals', async () => {
    const long = 'x'.repeat(80);
    const sha = `bcrypt_sha256$${await bcrypt.hash(sha256Hex(long), 4)}`;
    expect((await hasher.verify(long, sha)).ok).toBe(true);
    expect((await hasher.verify(long.slice(0, 72), sha)).ok).toBe(false);
    const plain = `bcrypt$${await bcrypt.hash(long, 4)}`;
    expect((await hasher.verify(long.slice(0, 72), plain)).ok).toBe(true);
  });
});

describe('verify(): Werkzeug', () => {
  // Fixed vectors made by Werkzeug 3.1.8's generate_password_hash('lètmein', method=…).
  it('matches hashes made by Werkzeug itself', async () => {
    await expectMatches(
      'scrypt:32768:8:1$yHgsN4YTmNTe5nJ7$c83073ccd789f50f69ad05eb34fceb64ca97dce1d66da9ab117f5954ebbe76ec954ad8e5c9033895f3cde3d19617e0cf2fa5d006cefc6291d0831df2d8d43002',
    );
    await expectMatches(
      'scrypt:1024:8:1$eY13SWSjPRzIsGAx$23881a0ad8b466aeb06f53fc07fcf840e9e139575af453fd5f0128635d49cac4d1e2235c7da9f7bc4d191d492c2d3fb6f1a9209aca344138cfa0f2355fb5081a',
    );
    await expectMatches('pbkdf2:sha256:1000$nXIKpj1ioX1lHyQb$9a45ba4194b838a26f40fc3240d8723b04b02ebce2fd1964b26d5c6e86331500');
    await expectMatches(
      'pbkdf2:sha512:1000$bb9AxWpwW0xKrK2G$7fc8e24d8ad3026f051d5820ec7a911ba15eb5d5dae8b652d167e1eee3953c64bc3271fbd4f8cc182948bd4df58a39681264765237b296837706621014c17054',
    );
    await expectMatches('pbkdf2:sha1:1000$vJQ1SjokihhAQCT6$959710d8f17a6789b879b46970d665953200c48e');
  });

  it('matches the current Werkzeug default (pbkdf2:sha256:1000000)', async () => {
    await expectMatches('pbkdf2:sha256:1000000$6WO0AIUKErsrGKxA$b00f90dd9135b7ff952e5d1062cd135400b25a77024017b5b771db49202063c2');
  });

  it('reads a method without iterations as 260000 (Werkzeug 2.0–2.2 default)', async () => {
    const hex = pbkdf2Sync(PW, 'abcdEFGH', 260_000, 32, 'sha256').toString('hex');
    await expectMatches(`pbkdf2:sha256$abcdEFGH$${hex}`);
    await expectMatches(`pbkdf2$abcdEFGH$${hex}`);
  });

  it('matches pbkdf2 and scrypt hashes built the Werkzeug way with node:crypto', async () => {
    const sha512 = pbkdf2Sync(PW, 'salty', 2000, 64, 'sha512').toString('hex');
    await expectMatches(`pbkdf2:sha512:2000$salty$${sha512}`);
    // The salt is the salt text's UTF-8 bytes, not decoded from anything.
    const scrypt = scryptSync(PW, 'sält', 64, { N: 2048, r: 4, p: 2 }).toString('hex');
    await expectMatches(`scrypt:2048:4:2$sält$${scrypt}`);
  });

  it('compares the hex digest exactly (lower-case), as Werkzeug does', async () => {
    const hex = pbkdf2Sync(PW, 'salty', 2000, 32, 'sha256').toString('hex');
    expect((await hasher.verify(PW, `pbkdf2:sha256:2000$salty$${hex.toUpperCase()}`)).ok).toBe(false);
    expect((await hasher.verify(PW, `pbkdf2:sha256:2000$salty$${hex.slice(2)}`)).ok).toBe(false);
  });
});

describe('verify(): Django scrypt', () => {
  it("matches Django's test-suite vector and a node:crypto-built hash", async () => {
    await expectMatches(
      'scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==',
    );
    const digest = scryptSync(PW, 'pepper', 64, { N: 1024, r: 8, p: 1 }).toString('base64');
    await expectMatches(`scrypt$1024$pepper$8$1$${digest}`);
  });
});

describe('verify(): what is not a usable hash', () => {
  const unusable: (string | null | undefined)[] = [
    null,
    undefined,
    '',
    '!',
    '!Qwe7Yd9ZbLaGz2nW5hKj0sXcVt1RpMu3oE8iFyAb', // Django set_unusable_password()
    'lolcat$salt$hash',
    'md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3', // Django MD5: deliberately not imported
    'plain$$secret',
    '$argon2id$v=19$m=abc',
    '$2b$04$tooShort',
    'pbkdf2_sha256$$salt$AAAA',
    'pbkdf2:md4:1000$salt$abcd',
    'pbkdf2:toString:1000$salt$abcd',
    'scrypt:1000:8:1$salt$abcd', // N not a power of two
    'x'.repeat(5000),
  ];

  it.each(unusable.map((s) => [String(s).slice(0, 40), s]))('%s is unusable and never matches', async (_label, stored) => {
    expect(hasher.isUsable(stored)).toBe(false);
    expect(await hasher.verify('secret', stored)).toEqual({ ok: false, needsRehash: false });
  });

  it('spends a dummy argon2 verify instead of returning at once', async () => {
    const own = new PasswordHasher(TEST_ARGON2);
    const dummy = vi.spyOn(own, 'verifyDummy');
    await own.verify('secret', null);
    await own.verify('secret', 'lolcat$salt$hash');
    await own.verify('x'.repeat(MAX_PASSWORD_BYTES + 1), await own.hash('x'));
    expect(dummy).toHaveBeenCalledTimes(3);
  });

  it('verifyDummy always answers false', async () => {
    expect(await hasher.verifyDummy('anything')).toBe(false);
    expect(await hasher.verifyDummy('x'.repeat(10_000))).toBe(false);
  });
});

describe('verify(): cost bounds on imported hashes', () => {
  // Each would take minutes or gigabytes if attempted; the test timeout is the guard.
  const overBound = [
    'pbkdf2_sha256$5000001$salt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=',
    'pbkdf2_sha1$999999999999$salt$aDapRanzW8aHTz97v2TcfHzWD+I=',
    `pbkdf2:sha256:5000001$salt$${'ab'.repeat(32)}`,
    `$2b$17$${'a'.repeat(53)}`,
    `$2a$31$${'a'.repeat(53)}`,
    `bcrypt_sha256$$2b$20$${'a'.repeat(53)}`,
    `scrypt:2097152:8:1$salt$${'ab'.repeat(64)}`, // N > 2^20
    `scrypt:1024:33:1$salt$${'ab'.repeat(64)}`, // r > 32
    `scrypt:1024:8:17$salt$${'ab'.repeat(64)}`, // p > 16
    `scrypt:1048576:8:1$salt$${'ab'.repeat(64)}`, // 128·N·r·p = 1 GiB > 512 MiB
    `scrypt$1048576$salt$8$1$${'A'.repeat(86)}==`,
    '$argon2id$v=19$m=2097152,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q', // 2 GiB
    '$argon2id$v=19$m=1024,t=33,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q',
    '$argon2id$v=19$m=1024,t=1,p=17$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q',
  ];

  it.each(overBound)(
    '%s is refused without being computed',
    async (stored) => {
      expect(hasher.isUsable(stored)).toBe(false);
      expect(await hasher.verify('secret', stored)).toEqual({ ok: false, needsRehash: false });
    },
    10_000,
  );

  it('accepts hashes right at the bounds', () => {
    expect(hasher.isUsable(`pbkdf2:sha256:5000000$salt$${'ab'.repeat(32)}`)).toBe(true);
    expect(hasher.isUsable(`$2b$16$${'a'.repeat(53)}`)).toBe(true);
    expect(hasher.isUsable(`scrypt:524288:8:1$salt$${'ab'.repeat(64)}`)).toBe(true);
    expect(hasher.isUsable('$argon2id$v=19$m=1048576,t=32,p=16$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q')).toBe(true);
  });
});

describe('properties', () => {
  it('a password verifies against its own hash and no other password does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), async (pw, other) => {
        fc.pre(pw !== other);
        const stored = await hasher.hash(pw);
        expect((await hasher.verify(pw, stored)).ok).toBe(true);
        expect((await hasher.verify(other, stored)).ok).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('malformed stored values never throw and never match', async () => {
    const prefixes = ['', '$argon2id$', '$argon2i$v=19$', 'argon2$', '$2b$', 'bcrypt$', 'bcrypt_sha256$', 'pbkdf2_sha256$', 'pbkdf2_sha1$1$', 'pbkdf2:sha256:', 'pbkdf2$', 'scrypt$', 'scrypt:', '!'];
    const stored = fc.tuple(fc.constantFrom(...prefixes), fc.string({ unit: 'binary', maxLength: 80 })).map(([p, rest]) => p + rest);
    await fc.assert(
      fc.asyncProperty(stored, fc.string({ maxLength: 20 }), async (value, pw) => {
        expect(() => hasher.isUsable(value)).not.toThrow();
        expect(await hasher.verify(pw, value)).toEqual({ ok: false, needsRehash: false });
      }),
      { numRuns: 100 },
    );
  });
});
