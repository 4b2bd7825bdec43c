// Users: the one account model every surface maps onto (spec README "One user, many shapes").
// Uniqueness of email and username is case-insensitive and enforced by unique indexes on the
// lower-cased values (v1.md §0.6); a lost race comes back as a conflict, never as an error.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, UsersTable } from '../store/schema.js';
import { precompiled, uniqueViolation, limitOf } from '../store/db.js';
import { type ChangeEpoch, EpochCache } from '../store/read-cache.js';
import type { PasswordHasher } from './passwords.js';
import type { AuditPerson } from './audit.js';
import { nowMicros } from './time.js';

export type User = Selectable<UsersTable>;
type Db = Kysely<Database> | Transaction<Database>;

export interface NewUser {
  email?: string | null;
  username?: string | null;
  /** Plain password, hashed here; or `passwordHash` for imports; neither = unusable password. */
  password?: string | null;
  passwordHash?: string | null;
  fullName?: string;
  phone?: string | null;
  contacts?: string | null;
  picture?: string | null;
  emailVerified?: boolean;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
  created?: number;
  lastLogin?: number | null;
}

export interface UserPatch {
  email?: string | null;
  username?: string | null;
  fullName?: string;
  phone?: string | null;
  contacts?: string | null;
  picture?: string | null;
  avatar?: string | null;
  emailVerified?: boolean;
  isActive?: boolean;
  isStaff?: boolean;
  isSuperuser?: boolean;
}

export type Conflict = 'email' | 'username';
export type SaveResult = { ok: true; user: User } | { ok: false; conflict: Conflict };

/** Case-insensitive key; empty means absent (v1.md §0.6). */
export function ciKey(value: string | null | undefined): string | null {
  return value === null || value === undefined || value === '' ? null : value.toLowerCase();
}

/**
 * The key to look an account up by, or null when none can match: empty, or holding a NUL
 * (PostgreSQL text cannot store one, so no account has one; asking would be a database error
 * there, a 500 instead of "no such account").
 */
function lookupKey(value: string): string | null {
  return value.includes('\0') ? null : ciKey(value);
}

export function person(user: Pick<User, 'id' | 'email' | 'username'>): AuditPerson {
  return { id: user.id, email: user.email, username: user.username };
}

function conflictOf(err: unknown): Conflict | null {
  const which = uniqueViolation(err);
  if (which === null) return null;
  if (/email/.test(which)) return 'email';
  if (/username/.test(which)) return 'username';
  return null;
}

export class Accounts {
  /** Every Bearer-authenticated request looks its user up by id: compiled once, cached while nothing changed. */
  private readonly userById;
  /** A login by email looks its user up by the email's key: compiled once. */
  private readonly userByEmail;
  private readonly cache: EpochCache<User | undefined>;

  constructor(private readonly db: Kysely<Database>, private readonly passwords: PasswordHasher, changeEpoch: ChangeEpoch | null = null) {
    this.userById = precompiled(db.selectFrom('users').selectAll().where('id', '=', ''));
    this.userByEmail = precompiled(db.selectFrom('users').selectAll().where('email_ci', '=', ''));
    this.cache = new EpochCache(changeEpoch);
  }

  async byId(id: string, db: Db = this.db): Promise<User | undefined> {
    if (db === this.db) {
      const hit = this.cache.get(id, async () => (await this.userById(this.db, [id]))[0]);
      const cached = hit instanceof Promise ? await hit : hit;
      return cached && { ...cached }; // callers may change their copy, never the cached row
    }
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** No one has a number that is not a safe integer (a huge one would be out of PostgreSQL's range). */
  byNumber(number: number, db: Db = this.db): Promise<User | undefined> {
    if (!Number.isSafeInteger(number)) return Promise.resolve(undefined);
    return db.selectFrom('users').selectAll().where('number', '=', number).executeTakeFirst();
  }

  byEmail(email: string, db: Db = this.db): Promise<User | undefined> {
    const key = lookupKey(email);
    if (key === null) return Promise.resolve(undefined);
    return this.userByEmail(db, [key]).then((rows) => rows[0]);
  }

  byUsername(username: string, db: Db = this.db): Promise<User | undefined> {
    const key = lookupKey(username);
    if (key === null) return Promise.resolve(undefined);
    return db.selectFrom('users').selectAll().where('username_ci', '=', key).executeTakeFirst();
  }

  /** A username or an email (admin login). */
  async byLogin(identifier: string): Promise<User | undefined> {
    return (await this.byUsername(identifier)) ?? (identifier.includes('@') ? this.byEmail(identifier) : undefined);
  }

  /** For validation messages; the unique index still decides a race. */
  async emailTaken(email: string, exceptNumber?: number): Promise<boolean> {
    const u = await this.byEmail(email);
    return u !== undefined && u.number !== exceptNumber;
  }

  async usernameTaken(username: string, exceptNumber?: number): Promise<boolean> {
    const u = await this.byUsername(username);
    return u !== undefined && u.number !== exceptNumber;
  }

  async create(input: NewUser, db: Db = this.db): Promise<SaveResult> {
    const hash = input.passwordHash ?? (input.password ? await this.passwords.hash(input.password) : null);
    const now = nowMicros();
    const email = input.email === '' ? null : (input.email ?? null);
    const username = input.username === '' ? null : (input.username ?? null);
    try {
      const user = await db
        .insertInto('users')
        .values({
          id: randomUUID(),
          email,
          email_ci: ciKey(email),
          username,
          username_ci: ciKey(username),
          password: hash,
          full_name: input.fullName ?? '',
          phone: input.phone ?? null,
          contacts: input.contacts ?? null,
          picture: input.picture ?? null,
          avatar: null,
          email_verified: input.emailVerified ? 1 : 0,
          is_active: input.isActive === false ? 0 : 1,
          is_staff: input.isStaff ? 1 : 0,
          is_superuser: input.isSuperuser ? 1 : 0,
          created: input.created ?? now,
          updated: now,
          last_login: input.lastLogin ?? null,
          failed_logins: 0,
          last_failure_at: null,
          locked_until: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { ok: true, user };
    } catch (err) {
      const conflict = conflictOf(err);
      if (conflict) return { ok: false, conflict };
      throw err;
    }
  }

  async update(number: number, patch: UserPatch, db: Db = this.db): Promise<SaveResult> {
    const values: Partial<Record<keyof UsersTable, unknown>> = { updated: nowMicros() };
    if (patch.email !== undefined) {
      const email = patch.email === '' ? null : patch.email;
      values.email = email;
      values.email_ci = ciKey(email);
    }
    if (patch.username !== undefined) {
      const username = patch.username === '' ? null : patch.username;
      values.username = username;
      values.username_ci = ciKey(username);
    }
    if (patch.fullName !== undefined) values.full_name = patch.fullName;
    if (patch.phone !== undefined) values.phone = patch.phone;
    if (patch.contacts !== undefined) values.contacts = patch.contacts;
    if (patch.picture !== undefined) values.picture = patch.picture;
    if (patch.avatar !== undefined) values.avatar = patch.avatar;
    if (patch.emailVerified !== undefined) values.email_verified = patch.emailVerified ? 1 : 0;
    if (patch.isActive !== undefined) values.is_active = patch.isActive ? 1 : 0;
    if (patch.isStaff !== undefined) values.is_staff = patch.isStaff ? 1 : 0;
    if (patch.isSuperuser !== undefined) values.is_superuser = patch.isSuperuser ? 1 : 0;
    try {
      const user = await db.updateTable('users').set(values as any).where('number', '=', number).returningAll().executeTakeFirst();
      if (!user) throw new Error('user vanished during update');
      return { ok: true, user };
    } catch (err) {
      const conflict = conflictOf(err);
      if (conflict) return { ok: false, conflict };
      throw err;
    }
  }

  /** Stores a new password hash. Ending sessions is the caller's decision (revocation.ts). */
  async setPassword(number: number, plain: string, db: Db = this.db): Promise<void> {
    const hash = await this.passwords.hash(plain);
    await db.updateTable('users').set({ password: hash, updated: nowMicros() }).where('number', '=', number).execute();
  }

  async setPasswordHash(number: number, hash: string, db: Db = this.db): Promise<void> {
    await db.updateTable('users').set({ password: hash }).where('number', '=', number).execute();
  }

  /**
   * Whether someone can log in to the admin as a superuser (active, staff, superuser), for the
   * start line's hint. Runs once at start; the first superuser is usually an early row.
   */
  async hasActiveSuperuser(): Promise<boolean> {
    const row = await this.db
      .selectFrom('users')
      .select('number')
      .where('is_superuser', '=', 1)
      .where('is_staff', '=', 1)
      .where('is_active', '=', 1)
      .limit(limitOf(1))
      .executeTakeFirst();
    return row !== undefined;
  }
}
