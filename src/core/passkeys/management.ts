// A user's own passkeys (passkeys.md §2.3, §4): list, rename, remove, and the admin's "remove
// them all". Removing keeps the last-way-in rule: a user must keep some way to sign in, so the
// last usable passkey goes only when a usable password or a linked social identity remains.
// Whether those exist is not this module's knowledge: the app injects `hasOtherWayIn`.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { type User, person } from '../accounts.js';
import type { Outbox } from '../events/outbox.js';
import type { SnapshotSource } from '../events/model.js';
import type { Audit, RequestMeta } from '../audit.js';
import type { WebAuthnChallenges } from './challenges.js';
import { normalizePasskeyName } from './names.js';
import type { PasskeyMail } from './passkey-mail.js';
import { type Db, type PasskeyObject, type Within, countPasskeys, lockAccount, lockPasskeysOf, toPasskeyObject } from './store.js';

/**
 * true when `user` can sign in without any passkey: a usable password or a linked social
 * identity. Asked inside the removal's transaction: it must read with `db` only.
 */
export type OtherWayIn = (user: User, db: Db) => boolean | Promise<boolean>;

export type RenameResult = { ok: true; passkey: PasskeyObject } | { ok: false; reason: 'not_found' | 'name_blank' | 'name_too_long' };
export type RemoveResult = { ok: true } | { ok: false; reason: 'not_found' | 'last_way_in' };

export interface ManagementDeps {
  db: Kysely<Database>;
  challenges: WebAuthnChallenges;
  audit: Audit;
  outbox: Outbox;
  mail: PasskeyMail;
  hasOtherWayIn: OtherWayIn;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class PasskeyManagement {
  constructor(private readonly d: ManagementDeps) {}

  /** The user's passkeys, newest first. */
  async list(userNumber: number): Promise<PasskeyObject[]> {
    const rows = await this.d.db.selectFrom('passkeys').selectAll().where('user_number', '=', userNumber).orderBy('created', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toPasskeyObject);
  }

  /** How many passkeys the user has; `usableOnly` leaves out the disabled ones. `db`: a transaction to read in. */
  count(userNumber: number, usableOnly = false, db: Db = this.d.db): Promise<number> {
    return countPasskeys(db, userNumber, usableOnly);
  }

  /** `passkeyId` is a canonical lower-case UUID (the route answers a malformed one itself). */
  async rename(user: User, passkeyId: string, rawName: string): Promise<RenameResult> {
    const named = normalizePasskeyName(rawName, true);
    if (!named.ok) return named;
    if (!UUID.test(passkeyId)) return { ok: false, reason: 'not_found' };
    const row = await this.d.db
      .updateTable('passkeys')
      .set({ name: named.name })
      .where('id', '=', passkeyId)
      .where('user_number', '=', user.number)
      .returningAll()
      .executeTakeFirst();
    return row ? { ok: true, passkey: toPasskeyObject(row) } : { ok: false, reason: 'not_found' };
  }

  /**
   * Removes one of the user's passkeys; audit `passkey.remove` and a mail notice. Under the
   * account's lock (the one an identity's unlink takes too), with the other ways in read inside
   * it: two parallel removals (a passkey, an identity) can never each count the other as the
   * way that remains.
   */
  async remove(user: User, passkeyId: string, meta: RequestMeta, within?: Within): Promise<RemoveResult> {
    if (!UUID.test(passkeyId)) return { ok: false, reason: 'not_found' };
    const outcome = await this.d.db.transaction().execute(async (trx) => {
      await lockAccount(trx, user.number);
      await lockPasskeysOf(trx, user.number);
      const row = await trx.selectFrom('passkeys').selectAll().where('id', '=', passkeyId).where('user_number', '=', user.number).executeTakeFirst();
      if (!row) return { ok: false as const, reason: 'not_found' as const };
      // A disabled passkey is no way in: removing it never locks anyone out.
      if (row.disabled_at === null && (await countPasskeys(trx, user.number, true)) <= 1 && !(await this.d.hasOtherWayIn(user, trx))) {
        return { ok: false as const, reason: 'last_way_in' as const };
      }
      await trx.deleteFrom('passkeys').where('id', '=', row.id).execute();
      await this.d.audit.record({ event: 'passkey.remove', meta, actor: person(user), user: person(user), details: { id: row.id, name: row.name } }, trx);
      await this.d.outbox.record(trx, { type: 'passkey.removed', user });
      await within?.(trx);
      return { ok: true as const, row };
    });
    if (!outcome.ok) return outcome;
    this.d.mail.removed(user, outcome.row.name);
    return { ok: true };
  }

  /**
   * Every passkey of the user and their pending registrations (the admin two-factor reset,
   * mfa.md §4): the count removed, one `passkey.removed` event each. The caller audits its own
   * action. `db`: the caller's transaction (the reset's `within`), so the passkeys go with the
   * rest of the reset.
   */
  async removeAll(user: SnapshotSource, db: Db = this.d.db): Promise<number> {
    const deleted = await db.deleteFrom('passkeys').where('user_number', '=', user.number).executeTakeFirst();
    await this.d.challenges.dropRegistrationsOf(user.number, db);
    const removed = Number(deleted.numDeletedRows);
    for (let i = 0; i < removed; i++) await this.d.outbox.record(db, { type: 'passkey.removed', user });
    return removed;
  }
}
