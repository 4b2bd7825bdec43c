// Keys derived from SECRET_KEY, one per purpose, so a token minted for one surface or purpose
// never verifies for another (v1.md §0.12).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export class SecretKeys {
  private readonly cache = new Map<string, Buffer>();
  constructor(private readonly secretKey: string) {}

  /** HKDF-SHA256 of SECRET_KEY with `info`, 32 bytes unless asked otherwise. */
  derive(info: string, length = 32): Buffer {
    const cacheKey = `${info}:${length}`;
    let key = this.cache.get(cacheKey);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', Buffer.from(this.secretKey, 'utf8'), Buffer.alloc(0), info, length));
      this.cache.set(cacheKey, key);
    }
    return key;
  }

  /** AES-256-GCM, for secrets that must be shown again (the `account` key): iv.tag.ciphertext, base64url. */
  seal(info: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.derive(info), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  /** null when the sealed value was tampered with or sealed under another key. */
  unseal(info: string, sealed: string): string | null {
    const parts = sealed.split('.');
    if (parts.length !== 3) return null;
    try {
      const [iv, tag, body] = parts.map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', this.derive(info), iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha512Hex(data: string | Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}

/** Constant-time string equality (lengths may leak, contents do not). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Random letters and digits without modulo bias (CSRF tokens, file name suffixes). */
export function randomAlnum(length: number, alphabet = ALNUM): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 256 - (256 % alphabet.length)) out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}
