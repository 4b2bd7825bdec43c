// Rows and the few queries the passkey modules share: the per-user WebAuthn handle, the
// per-user write lock, and the passkey object every answer shows (passkeys.md §2.2).
import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { AuthenticatorTransportFuture } from '@simplewebauthn/server';
import type { Database, PasskeysTable } from '../../store/schema.js';
import { isoMicros, isoOrNull } from '../time.js';

export type PasskeyRow = Selectable<PasskeysTable>;
export type Db = Kysely<Database> | Transaction<Database>;

/**
 * The caller's own writes (a domain event) in the transaction of a change, after the change and
 * its audit entry; if it throws, nothing of the change is kept. It must use `trx` only (on SQLite
 * any other query waits for this transaction to end).
 */
export type Within = (trx: Transaction<Database>) => Promise<void>;

/** At most this many passkeys per user (passkeys.md §2.1). */
export const MAX_PASSKEYS_PER_USER = 10;
export const DEFAULT_PASSKEY_NAME = 'Passkey';
export const MAX_PASSKEY_NAME_LENGTH = 64;

/** What the API shows of a passkey (passkeys.md §2.2), in the spec's field order. */
export interface PasskeyObject {
  id: string;
  name: string;
  created: string;
  last_used: string | null;
  transports: string[];
  backed_up: boolean;
  device_type: 'single_device' | 'multi_device';
}

/** The stored transports; a damaged column reads as none rather than failing a whole list. */
export function transportsOf(row: Pick<PasskeyRow, 'transports'>): AuthenticatorTransportFuture[] {
  try {
    const parsed: unknown = JSON.parse(row.transports);
    return Array.isArray(parsed) ? parsed.filter((t): t is AuthenticatorTransportFuture => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export function toPasskeyObject(row: PasskeyRow): PasskeyObject {
  const transports = transportsOf(row);
  return {
    id: row.id,
    name: row.name,
    created: isoMicros(row.created),
    last_used: isoOrNull(row.last_used),
    transports,
    backed_up: row.backed_up === 1,
    device_type: row.device_type === 'multi_device' ? 'multi_device' : 'single_device',
  };
}

/** The user's WebAuthn user id, if one was made. */
export async function handleOf(db: Db, userNumber: number): Promise<string | null> {
  const row = await db.selectFrom('webauthn_user_handles').select('handle').where('user_number', '=', userNumber).executeTakeFirst();
  return row?.handle ?? null;
}

/**
 * The user's WebAuthn user id, made on first use: 32 random bytes, never the UUID, so an
 * authenticator's list of accounts reveals nothing that links it to the user elsewhere.
 * Parallel first uses agree: the primary key keeps the first, the others read it back.
 */
export async function ensureHandle(db: Kysely<Database>, userNumber: number, now: number): Promise<string> {
  const existing = await handleOf(db, userNumber);
  if (existing) return existing;
  await db
    .insertInto('webauthn_user_handles')
    .values({ user_number: userNumber, handle: randomBytes(32).toString('base64url'), created: now })
    .onConflict((oc) => oc.column('user_number').doNothing())
    .execute();
  const handle = await handleOf(db, userNumber);
  if (!handle) throw new Error('user vanished while making its WebAuthn handle');
  return handle;
}

/**
 * Serialises changes to one user's set of passkeys (the 10-passkey limit, the last-way-in
 * rule) across connections and processes: a no-op UPDATE of the user's handle row is a row
 * lock on PostgreSQL and takes SQLite's write lock, both held until the transaction ends.
 */
export async function lockPasskeysOf(trx: Transaction<Database>, userNumber: number): Promise<void> {
  await trx
    .updateTable('webauthn_user_handles')
    .set((eb) => ({ user_number: eb.ref('user_number') }))
    .where('user_number', '=', userNumber)
    .execute();
}

/**
 * Serialises changes to a user's ways in (passkeys, provider identities): a no-op write of the
 * user's row, the same lock `Identities.unlink` takes (core/oidc/identities.ts `lockUser`). Taken
 * before `lockPasskeysOf`, always in that order.
 */
export async function lockAccount(trx: Transaction<Database>, userNumber: number): Promise<void> {
  await trx.updateTable('users').set((eb) => ({ updated: eb.ref('updated') })).where('number', '=', userNumber).execute();
}

export async function countPasskeys(db: Db, userNumber: number, usableOnly = false): Promise<number> {
  let q = db.selectFrom('passkeys').select((eb) => eb.fn.countAll<number | string>().as('n')).where('user_number', '=', userNumber);
  if (usableOnly) q = q.where('disabled_at', 'is', null);
  const row = await q.executeTakeFirstOrThrow();
  return Number(row.n);
}
