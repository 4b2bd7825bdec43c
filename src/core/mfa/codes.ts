// What a user types where a second factor is asked (mfa.md §1): a TOTP code or a recovery code.
// Spaces and hyphens never matter; six digits are a TOTP code; ten characters of the recovery
// alphabet (any case) are a recovery code; anything else is simply a wrong code.
import { createHmac } from 'node:crypto';
import { randomAlnum, type SecretKeys } from '../secrets.js';

/** No 0/o, 1/l/i: nothing a reader can confuse. */
export const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const RECOVERY_CODES_PER_SET = 10;
const RECOVERY_LENGTH = 10;
const RECOVERY_FORMAT = new RegExp(`^[${RECOVERY_ALPHABET}]{${RECOVERY_LENGTH}}$`);
const DIGEST_INFO = 'gatehouse/mfa/recovery-codes';

export type SubmittedCode =
  | { kind: 'totp'; code: string }
  | { kind: 'recovery_code'; code: string }
  | { kind: 'malformed' };

export function classifyCode(raw: string): SubmittedCode {
  const bare = raw.replace(/[ -]/g, '');
  if (/^\d{6}$/.test(bare)) return { kind: 'totp', code: bare };
  const lower = bare.toLowerCase();
  if (RECOVERY_FORMAT.test(lower)) return { kind: 'recovery_code', code: lower };
  return { kind: 'malformed' };
}

/** A new set of recovery codes as shown to the user, `xxxxx-xxxxx`. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES_PER_SET }, () => {
    const code = randomAlnum(RECOVERY_LENGTH, RECOVERY_ALPHABET);
    return `${code.slice(0, 5)}-${code.slice(5)}`;
  });
}

/**
 * Recovery codes are stored as a keyed digest: an HMAC with a key derived from SECRET_KEY, over
 * the user's number and the normalised code. A copy of the table alone gives nothing to guess
 * offline, and a digest names one user's code only.
 */
export class RecoveryCodeDigests {
  private readonly key: Buffer;

  constructor(secrets: SecretKeys) {
    this.key = secrets.derive(DIGEST_INFO);
  }

  /** `code` as shown or typed; it is normalised here as classifyCode does. */
  digest(userNumber: number, code: string): string {
    const normal = code.replace(/[ -]/g, '').toLowerCase();
    return createHmac('sha256', this.key).update(`${userNumber}:${normal}`).digest('hex');
  }
}
