// Tokens mailed to users: password resets and email confirmations (v1.md §5.4–5.7,
// user-account.md §4). Only a SHA-256 digest is stored; a token is found by its digest,
// bound to the address it was sent to, and single-use where the purpose says so.
import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { SecretKeys } from './secrets.js';
import { safeEqual, sha256Hex } from './secrets.js';
import { nowMicros } from './time.js';

export type EmailTokenPurpose = 'v1-reset' | 'v1-verify' | 'ua-confirm' | 'ua-reset';

export interface EmailTokenRow {
  user_number: number;
  purpose: string;
  email: string | null;
  expires: number;
  used_at: number | null;
}

export interface IssueOptions {
  email: string | null;
  ttlMicros: number;
  /** Void the user's older unused tokens of the same purpose (a new reset replaces the old). */
  replaceOlder?: boolean;
  /** user-account tokens are signed with a key derived from SECRET_KEY (user-account.md §4). */
  signed?: boolean;
}

const SIGN_INFO = 'gatehouse/email-token';

export class EmailTokens {
  constructor(private readonly db: Kysely<Database>, private readonly secrets: SecretKeys) {}

  async issue(userNumber: number, purpose: EmailTokenPurpose, opts: IssueOptions): Promise<string> {
    const now = nowMicros();
    const random = randomBytes(32).toString('base64url'); // 43 characters
    const token = opts.signed ? `${random}.${this.signature(random)}` : random;
    if (opts.replaceOlder) {
      await this.db
        .updateTable('email_tokens')
        .set({ used_at: now })
        .where('user_number', '=', userNumber)
        .where('purpose', '=', purpose)
        .where('used_at', 'is', null)
        .execute();
    }
    await this.db
      .insertInto('email_tokens')
      .values({ digest: sha256Hex(token), user_number: userNumber, purpose, email: opts.email, created: now, expires: now + opts.ttlMicros, used_at: null })
      .execute();
    return token;
  }

  /** The unexpired, unused token of this purpose, or null. Reusable tokens stay valid after use. */
  async find(token: string, purpose: EmailTokenPurpose): Promise<EmailTokenRow | null> {
    if (!this.wellFormed(token)) return null;
    const row = await this.db
      .selectFrom('email_tokens')
      .select(['user_number', 'purpose', 'email', 'expires', 'used_at'])
      .where('digest', '=', sha256Hex(token))
      .where('purpose', '=', purpose)
      .executeTakeFirst();
    if (!row || row.expires <= nowMicros() || row.used_at !== null) return null;
    return row;
  }

  /**
   * Marks a single-use token used, atomically: of two concurrent submissions exactly one gets
   * the row back.
   */
  async consume(token: string, purpose: EmailTokenPurpose, db: Kysely<Database> | Transaction<Database> = this.db): Promise<EmailTokenRow | null> {
    if (!this.wellFormed(token)) return null;
    const now = nowMicros();
    const row = await db
      .updateTable('email_tokens')
      .set({ used_at: now })
      .where('digest', '=', sha256Hex(token))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires', '>', now)
      .returning(['user_number', 'purpose', 'email', 'expires', 'used_at'])
      .executeTakeFirst();
    return row ?? null;
  }

  /** Drops tokens past their expiry (housekeeping). */
  async sweep(): Promise<void> {
    await this.db.deleteFrom('email_tokens').where('expires', '<=', nowMicros()).execute();
  }

  private signature(random: string): string {
    return createHmac('sha256', this.secrets.derive(SIGN_INFO)).update(random).digest('base64url').slice(0, 22);
  }

  /** Cheap refusal of forged or mangled tokens before any database work. */
  private wellFormed(token: string): boolean {
    if (token.length < 43 || token.length > 80 || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)?$/.test(token)) return false;
    const dot = token.indexOf('.');
    if (dot < 0) return true;
    return safeEqual(token.slice(dot + 1), this.signature(token.slice(0, dot)));
  }
}
