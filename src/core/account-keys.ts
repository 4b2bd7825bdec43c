// The `account` surface's one persistent key per user (account.md §1.3). `login` must hand
// back the key a user already has, so the key cannot be stored as a one-way digest only: it
// is kept sealed (AES-GCM under a key derived from SECRET_KEY) and found through its SHA-256
// digest. Nothing here keeps or logs the key in plain text.
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import type { User } from './accounts.js';
import type { Issuer } from './login.js';
import { type SecretKeys, sha256Hex } from './secrets.js';
import { nowMicros } from './time.js';

type Db = Kysely<Database> | Transaction<Database>;

/** HKDF info of the sealing key; changing it makes every stored key unreadable. */
export const ACCOUNT_KEY_PURPOSE = 'gatehouse/account/key';

const KEY_FORMAT = /^[0-9a-f]{40}$/;

/** 40 lowercase hex characters from 20 random bytes, the format of DRF's authtoken keys. */
export function newAccountKey(): string {
  return randomBytes(20).toString('hex');
}

export interface KeyHolder {
  user: User;
  /** Digest of the key the request presented, so logout deletes exactly that key. */
  digest: string;
}

export class AccountKeys {
  constructor(private readonly db: Kysely<Database>, private readonly secrets: SecretKeys) {}

  /**
   * The user's key, minted on first use. Race-safe: concurrent callers all insert with
   * ON CONFLICT DO NOTHING on the user's primary key and then read back whichever row won,
   * so two parallel logins of one user return the same key.
   */
  async getOrCreate(userNumber: number, db: Db = this.db): Promise<string> {
    // A concurrent logout can delete the row between our insert and our read: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = (await this.readKey(userNumber, db)) ?? (await this.insertAndRead(userNumber, db));
      if (stored) return stored.key ?? this.replaceUnreadable(userNumber, stored.sealed, db);
    }
    throw new Error('account key could not be created');
  }

  /** A login's key (the same one until a logout), read or minted in the login's transaction. */
  issuer(): Issuer<string, Pick<User, 'number'>> {
    return { write: (trx, user) => this.getOrCreate(user.number, trx) };
  }

  /** A key for a user who has none yet (registration, inside the creating transaction). */
  async create(userNumber: number, db: Db = this.db): Promise<string> {
    const key = newAccountKey();
    await this.row(userNumber, key, db).execute();
    return key;
  }

  /** The holder of a presented key, or undefined. Only well-formed keys reach the database. */
  async holder(key: string): Promise<KeyHolder | undefined> {
    if (!KEY_FORMAT.test(key)) return undefined;
    const digest = sha256Hex(key);
    const user = await this.db
      .selectFrom('account_tokens')
      .innerJoin('users', 'users.number', 'account_tokens.user_number')
      .selectAll('users')
      .where('account_tokens.digest', '=', digest)
      .executeTakeFirst();
    return user ? { user, digest } : undefined;
  }

  /** Deletes one key (logout). Returns whether it still existed. */
  async revoke(digest: string): Promise<boolean> {
    const r = await this.db.deleteFrom('account_tokens').where('digest', '=', digest).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private row(userNumber: number, key: string, db: Db) {
    return db.insertInto('account_tokens').values({
      user_number: userNumber,
      digest: sha256Hex(key),
      sealed: this.secrets.seal(ACCOUNT_KEY_PURPOSE, key),
      created: nowMicros(),
    });
  }

  private async insertAndRead(userNumber: number, db: Db) {
    await this.row(userNumber, newAccountKey(), db).onConflict((oc) => oc.column('user_number').doNothing()).execute();
    return this.readKey(userNumber, db);
  }

  /** The stored key, or `key: null` when its sealed value cannot be opened. */
  private async readKey(userNumber: number, db: Db): Promise<{ key: string | null; sealed: string } | null> {
    const row = await db.selectFrom('account_tokens').select(['sealed', 'digest']).where('user_number', '=', userNumber).executeTakeFirst();
    if (!row) return null;
    const key = this.secrets.unseal(ACCOUNT_KEY_PURPOSE, row.sealed);
    // The digest check guards against a sealed value copied from another row.
    return { key: key !== null && sha256Hex(key) === row.digest ? key : null, sealed: row.sealed };
  }

  /**
   * A row whose sealed value cannot be opened (SECRET_KEY changed since it was sealed): nobody
   * can be shown that key again, so it is replaced. Conditional on the old value, so of two
   * parallel logins one replaces it and both read back the same new key.
   */
  private async replaceUnreadable(userNumber: number, unreadable: string, db: Db): Promise<string> {
    const key = newAccountKey();
    await db
      .updateTable('account_tokens')
      .set({ digest: sha256Hex(key), sealed: this.secrets.seal(ACCOUNT_KEY_PURPOSE, key), created: nowMicros() })
      .where('user_number', '=', userNumber)
      .where('sealed', '=', unreadable)
      .execute();
    const stored = await this.readKey(userNumber, db);
    if (!stored?.key) throw new Error('account key could not be stored');
    return stored.key;
  }
}
