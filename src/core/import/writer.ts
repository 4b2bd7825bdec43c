// Writes one batch of validated rows as one transaction, all or nothing. Without --update: a
// multi-row INSERT … ON CONFLICT DO NOTHING RETURNING id, then a look-up of why the skipped rows
// were skipped. With --update (or once rows turn out to exist): look up who holds the batch's
// keys, plan, update, insert. The SQL is the same on both databases; the unique indexes on
// email_ci and username_ci stay the final judge, so a registration racing the import skips a
// row instead of failing the batch.
//
// Each batch records its events in its own transaction (events.md §1): user.created for every
// account inserted (surface `import`), user.updated with the fields an update really changed
// (and user.email_verified when it verified an address).
import { randomUUID } from 'node:crypto';
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { type Dialect, uniqueViolation } from '../../store/db.js';
import type { Database, UsersTable } from '../../store/schema.js';
import { changeEvents } from '../actions/user-events.js';
import type { EventInput } from '../events/model.js';
import type { Outbox } from '../events/outbox.js';
import { nowMicros } from '../time.js';
import { type BatchPlan, type ExistingAccount, planBatch } from './plan.js';
import type { ImportRow } from './types.js';
import { updateAccounts, updateInOrder } from './update.js';

/**
 * Rows per INSERT statement. 1000 rows x 14 columns stays under both databases' limits on
 * bound parameters (SQLite 32766, PostgreSQL 65535) whatever --batch-size says.
 */
const ROWS_PER_STATEMENT = 1000;
/** Keys per lookup query, for the same reason. */
const KEYS_PER_LOOKUP = 1000;

export interface BatchOutcome {
  inserted: ImportRow[];
  updated: ImportRow[];
  skipped: { row: ImportRow; reason: string }[];
}

type UserRow = Selectable<UsersTable>;

/** A batch's outcome and the events its transaction records. */
interface Written {
  outcome: BatchOutcome;
  events: EventInput[];
}

/** The surface user.created names for an imported account. */
export const IMPORT_SURFACE = 'import';

export class BatchWriter {
  /**
   * Set when the last batch met existing accounts (a second run, an overlapping export): the
   * next batch then looks its keys up first and inserts only the free rows, rather than letting
   * the indexes turn rows away. That is cheaper when most rows exist, and on PostgreSQL an
   * INSERT turned away by ON CONFLICT still uses up a `number` from the identity sequence.
   */
  private expectExisting = false;

  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect, private readonly outbox: Pick<Outbox, 'recordMany'>) {}

  /** What the batch would do; reads only. */
  async dryRun(rows: readonly ImportRow[], update: boolean): Promise<BatchOutcome> {
    const plan = planBatch(rows, await lookup(this.db, rows), update);
    return { inserted: plan.inserts, updated: plan.updates.map((u) => u.row), skipped: plan.skips };
  }

  /**
   * Writes the batch in one transaction, all or nothing. A unique violation comes from a key
   * handed between two accounts inside one multi-row UPDATE, or from an account created by
   * someone else meanwhile; the batch is then rolled back and planned again, against what is
   * there now, with its updates applied one by one in order.
   */
  async write(rows: readonly ImportRow[], update: boolean): Promise<BatchOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const lookFirst = update || this.expectExisting;
        const inOrder = attempt > 1;
        const outcome = await this.inTransaction(async (trx) => {
          const w = lookFirst ? await planAndWrite(trx, rows, update, inOrder) : await insertFirst(trx, rows);
          await this.outbox.recordMany(trx, w.events);
          return w.outcome;
        });
        this.expectExisting = outcome.skipped.length > 0;
        return outcome;
      } catch (err) {
        if (attempt >= 2 || uniqueViolation(err) === null) throw err;
      }
    }
  }

  // SQLite: BEGIN IMMEDIATE takes the write lock up front (waiting out busy_timeout), so the
  // lookup and the writes see one state and a running service's writes cannot make our
  // read-then-write transaction fail with SQLITE_BUSY halfway.
  private async inTransaction<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.db.transaction().execute(fn);
    return this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => {});
        throw err;
      }
    });
  }
}

/**
 * Without --update, and while no existing accounts turn up, nothing needs deciding before the
 * INSERT: the unique indexes skip what exists, and only skipped rows are looked up, for their
 * reason. A first import so costs one statement per 1000 rows, not three.
 */
async function insertFirst(db: Kysely<Database>, rows: readonly ImportRow[]): Promise<Written> {
  const { lost, created } = await insertRows(db, rows, nowMicros());
  const events = created.map(createdEvent);
  if (!lost.size) return { outcome: { inserted: [...rows], updated: [], skipped: [] }, events };
  const lostRows = rows.filter((r) => lost.has(r));
  const plan = planBatch(lostRows, await lookup(db, lostRows), false);
  return {
    outcome: {
      inserted: rows.filter((r) => !lost.has(r)),
      updated: [],
      // A row skipped by the index whose holder is gone again lost a race with a delete.
      skipped: [...plan.skips, ...plan.inserts.map((row) => ({ row, reason: 'email or username was taken while importing' }))],
    },
    events,
  };
}

async function planAndWrite(db: Kysely<Database>, rows: readonly ImportRow[], update: boolean, inOrder: boolean): Promise<Written> {
  const plan: BatchPlan = planBatch(rows, await lookup(db, rows), update);
  const now = nowMicros();
  const numbers = [...new Set(plan.updates.map((u) => u.number))];
  const before = await usersByNumber(db, numbers);
  await (inOrder ? updateInOrder : updateAccounts)(db, plan.updates, now);
  const after = await usersByNumber(db, numbers);
  const events: EventInput[] = [];
  for (const n of numbers) {
    const was = before.get(n);
    const is = after.get(n);
    if (was && is) events.push(...changeEvents(was, is));
  }
  // The plan saw every key this transaction can see; a loss here is a concurrent registration.
  const { lost, created } = await insertRows(db, plan.inserts, now);
  events.push(...created.map(createdEvent));
  return {
    outcome: {
      inserted: lost.size ? plan.inserts.filter((r) => !lost.has(r)) : plan.inserts,
      updated: plan.updates.map((u) => u.row),
      skipped: [...plan.skips, ...[...lost].map((row) => ({ row, reason: 'email or username was taken while importing' }))],
    },
    events,
  };
}

function createdEvent(user: UserRow): EventInput {
  return { type: 'user.created', user, surface: IMPORT_SURFACE };
}

/** Full rows of the accounts an update touches, before and after it (for user.updated). */
async function usersByNumber(db: Kysely<Database>, numbers: readonly number[]): Promise<Map<number, UserRow>> {
  const out = new Map<number, UserRow>();
  for (let i = 0; i < numbers.length; i += KEYS_PER_LOOKUP) {
    for (const row of await db.selectFrom('users').selectAll().where('number', 'in', numbers.slice(i, i + KEYS_PER_LOOKUP)).execute()) out.set(row.number, row);
  }
  return out;
}

/** The accounts that hold any email or username of the rows. */
async function lookup(db: Kysely<Database>, rows: readonly ImportRow[]): Promise<ExistingAccount[]> {
  const found = new Map<number, ExistingAccount>();
  for (const column of ['email_ci', 'username_ci'] as const) {
    const keys = rows.map((r) => (column === 'email_ci' ? r.emailCi : r.usernameCi)).filter((k): k is string => k !== null);
    for (let i = 0; i < keys.length; i += KEYS_PER_LOOKUP) {
      const hits = await db
        .selectFrom('users')
        .select(['number', 'email_ci', 'username_ci'])
        .where(column, 'in', keys.slice(i, i + KEYS_PER_LOOKUP))
        .execute();
      for (const hit of hits) found.set(hit.number, hit);
    }
  }
  return [...found.values()];
}

/** Inserts in file order (so `number` follows it); returns the rows the database skipped and the accounts it created. */
async function insertRows(db: Kysely<Database>, rows: readonly ImportRow[], now: number): Promise<{ lost: Set<ImportRow>; created: UserRow[] }> {
  const lost = new Set<ImportRow>();
  const created: UserRow[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
    const values = chunk.map((row) => newAccount(row, now));
    const inserted = await db.insertInto('users').values(values).onConflict((oc) => oc.doNothing()).returningAll().execute();
    // In file order, whatever order RETURNING gives them in.
    created.push(...inserted.sort((a, b) => a.number - b.number));
    if (inserted.length === chunk.length) continue;
    const ids = new Set(inserted.map((r) => r.id));
    for (let k = 0; k < chunk.length; k++) {
      if (!ids.has(values[k].id)) lost.add(chunk[k]);
    }
  }
  return { lost, created };
}

function newAccount(row: ImportRow, now: number): Insertable<UsersTable> & { id: string } {
  return {
    id: randomUUID(),
    email: row.email,
    email_ci: row.emailCi,
    username: row.username,
    username_ci: row.usernameCi,
    password: row.password,
    full_name: row.fullName,
    email_verified: row.emailVerified ? 1 : 0,
    is_active: row.isActive ? 1 : 0,
    is_staff: row.isStaff ? 1 : 0,
    is_superuser: row.isSuperuser ? 1 : 0,
    created: row.created,
    updated: now,
    last_login: row.lastLogin,
    failed_logins: 0,
  };
}
