// Provider identities linked to users (social.md §2.6, §4): listing, unlinking under the
// last-way-in rule, and the admin's view. An identity is the pair (provider id, `sub`); the
// database keeps the pair unique, and deleting a user deletes its identities (foreign key).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { uniqueViolation, limitOf } from '../../store/db.js';
import type { Database, OauthIdentitiesTable } from '../../store/schema.js';
import type { User } from '../accounts.js';
import { person } from '../accounts.js';
import type { Audit, RequestMeta } from '../audit.js';
import type { PasswordHasher } from '../passwords.js';
import { isoMicros, isoOrNull, nowMicros } from '../time.js';

export type Identity = Selectable<OauthIdentitiesTable>;
export type Db = Kysely<Database> | Transaction<Database>;

/**
 * Whether the user has a registered passkey, read with `db` (the unlink's transaction, which
 * holds the user's row lock: see `lockUser`).
 */
export type HasPasskey = (userNumber: number, db: Db) => Promise<boolean>;

/** One entry of GET `identities/`. */
export interface IdentityView {
  id: string;
  provider: string;
  email: string | null;
  created: string;
  last_used: string | null;
}

/** One entry of the admin user object's `identities`. */
export interface AdminIdentityView {
  provider: string;
  email: string | null;
  created: string;
}

export type UnlinkResult = { ok: true; provider: string } | { ok: false; reason: 'not_found' | 'last_way_in' };

export type LinkInsert = { ok: true; identity: Identity } | { ok: false; reason: 'taken' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Serialises changes to a user's ways in: the first statement of a transaction writes the
 * user's row, which takes its row lock on PostgreSQL and the write lock on SQLite, so two
 * removals (an identity, a passkey) can never each see the other as the remaining way in.
 */
export async function lockUser(trx: Transaction<Database>, userNumber: number): Promise<boolean> {
  const r = await trx.updateTable('users').set((eb) => ({ updated: eb.ref('updated') })).where('number', '=', userNumber).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export interface IdentitiesDeps {
  db: Kysely<Database>;
  passwords: Pick<PasswordHasher, 'isUsable'>;
  audit: Audit;
  hasPasskey: HasPasskey;
}

export class Identities {
  constructor(private readonly d: IdentitiesDeps) {}

  find(provider: string, subject: string, db: Db = this.d.db): Promise<Identity | undefined> {
    return db.selectFrom('oauth_identities').selectAll().where('provider', '=', provider).where('subject', '=', subject).executeTakeFirst();
  }

  /** Links (provider, subject) to the user; `taken` when the pair was linked meanwhile (to anyone). */
  async insert(userNumber: number, provider: string, subject: string, email: string | null, db: Db = this.d.db): Promise<LinkInsert> {
    const now = nowMicros();
    try {
      const identity = await db
        .insertInto('oauth_identities')
        .values({ id: randomUUID(), user_number: userNumber, provider, subject, email, created: now, last_used: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ok: true, identity };
    } catch (err) {
      if (uniqueViolation(err) !== null) return { ok: false, reason: 'taken' };
      throw err;
    }
  }

  /** Whether the user has any linked identity; `db`: the transaction to read in. */
  async has(userNumber: number, db: Db = this.d.db): Promise<boolean> {
    const row = await db.selectFrom('oauth_identities').select('id').where('user_number', '=', userNumber).limit(limitOf(1)).executeTakeFirst();
    return row !== undefined;
  }

  /** A sign-in through the identity: when, and the address the provider gives now. */
  async touch(id: string, email: string | null): Promise<void> {
    await this.d.db.updateTable('oauth_identities').set({ last_used: nowMicros(), email }).where('id', '=', id).execute();
  }

  /** GET `identities/`: the user's identities, oldest first. */
  async list(userNumber: number): Promise<IdentityView[]> {
    const rows = await this.d.db
      .selectFrom('oauth_identities')
      .selectAll()
      .where('user_number', '=', userNumber)
      .orderBy('created')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ id: r.id, provider: r.provider, email: r.email, created: isoMicros(r.created), last_used: isoOrNull(r.last_used) }));
  }

  /** The admin user object's `identities`, for one user. */
  async forAdmin(userNumber: number): Promise<AdminIdentityView[]> {
    return (await this.forAdminMany([userNumber])).get(userNumber) ?? [];
  }

  /** The same for a page of users, in one query; every asked number gets an entry. */
  async forAdminMany(userNumbers: readonly number[]): Promise<Map<number, AdminIdentityView[]>> {
    const out = new Map<number, AdminIdentityView[]>(userNumbers.map((n) => [n, []]));
    if (!userNumbers.length) return out;
    const rows = await this.d.db
      .selectFrom('oauth_identities')
      .select(['user_number', 'provider', 'email', 'created'])
      .where('user_number', 'in', [...new Set(userNumbers)])
      .orderBy('created')
      .orderBy('id')
      .execute();
    for (const r of rows) out.get(r.user_number)?.push({ provider: r.provider, email: r.email, created: isoMicros(r.created) });
    return out;
  }

  /**
   * DELETE `identities/<id>/`. Refused when it is the user's last way in: no usable password,
   * no passkey and no other identity. A malformed id is `not_found` here; the route answers
   * its own "Badly formed hexadecimal uuid string" before calling.
   */
  async unlink(user: User, identityId: string, meta: RequestMeta): Promise<UnlinkResult> {
    if (!UUID.test(identityId)) return { ok: false, reason: 'not_found' };
    const id = identityId.toLowerCase();
    const result = await this.d.db.transaction().execute(async (trx): Promise<UnlinkResult> => {
      if (!(await lockUser(trx, user.number))) return { ok: false, reason: 'not_found' };
      const identity = await trx
        .selectFrom('oauth_identities')
        .select(['id', 'provider'])
        .where('id', '=', id)
        .where('user_number', '=', user.number)
        .executeTakeFirst();
      if (!identity) return { ok: false, reason: 'not_found' };
      const others = await trx
        .selectFrom('oauth_identities')
        .select('id')
        .where('user_number', '=', user.number)
        .where('id', '!=', id)
        .limit(limitOf(1))
        .executeTakeFirst();
      if (!others) {
        const row = await trx.selectFrom('users').select('password').where('number', '=', user.number).executeTakeFirstOrThrow();
        if (!this.d.passwords.isUsable(row.password) && !(await this.d.hasPasskey(user.number, trx))) {
          return { ok: false, reason: 'last_way_in' };
        }
      }
      await trx.deleteFrom('oauth_identities').where('id', '=', id).execute();
      return { ok: true, provider: identity.provider };
    });
    if (result.ok) await this.d.audit.record({ event: 'oauth.unlink', meta, actor: person(user), user: person(user), details: { provider: result.provider } });
    return result;
  }
}
