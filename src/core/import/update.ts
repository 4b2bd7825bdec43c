// --update: existing accounts take exactly the fields their record gave; id, number, avatar,
// phone, contacts and the lockout state stay. Many rows go in one UPDATE … FROM (VALUES …),
// the same SQL on both databases (VALUES columns are column1, column2, … on both; the casts
// give PostgreSQL the types its untyped parameters lack), since one round trip per account
// made a million-row update take a quarter of an hour on PostgreSQL.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database, UsersTable } from '../../store/schema.js';
import { GIVEN, type ImportRow } from './types.js';

export interface AccountUpdate {
  row: ImportRow;
  number: number;
}

interface Column {
  bit: number;
  name: keyof UsersTable;
  type: 'text' | 'integer' | 'bigint';
  value: (row: ImportRow) => string | number | null;
}

const flag = (on: boolean) => (on ? 1 : 0);

/** Which columns each GIVEN bit overwrites. */
const COLUMNS: readonly Column[] = [
  { bit: GIVEN.email, name: 'email', type: 'text', value: (r) => r.email },
  { bit: GIVEN.email, name: 'email_ci', type: 'text', value: (r) => r.emailCi },
  { bit: GIVEN.username, name: 'username', type: 'text', value: (r) => r.username },
  { bit: GIVEN.username, name: 'username_ci', type: 'text', value: (r) => r.usernameCi },
  { bit: GIVEN.password, name: 'password', type: 'text', value: (r) => r.password },
  { bit: GIVEN.fullName, name: 'full_name', type: 'text', value: (r) => r.fullName },
  { bit: GIVEN.isActive, name: 'is_active', type: 'integer', value: (r) => flag(r.isActive) },
  { bit: GIVEN.isStaff, name: 'is_staff', type: 'integer', value: (r) => flag(r.isStaff) },
  { bit: GIVEN.isSuperuser, name: 'is_superuser', type: 'integer', value: (r) => flag(r.isSuperuser) },
  { bit: GIVEN.emailVerified, name: 'email_verified', type: 'integer', value: (r) => flag(r.emailVerified) },
  { bit: GIVEN.created, name: 'created', type: 'bigint', value: (r) => r.created },
  { bit: GIVEN.lastLogin, name: 'last_login', type: 'bigint', value: (r) => r.lastLogin },
];

/** Accounts per UPDATE: at most 13 parameters each, far below both databases' limits. */
const ROWS_PER_UPDATE = 500;

/**
 * Applies the updates, many per statement. A unique index checks each row as it is changed,
 * in an order the database picks, so a key handed from one account to another inside one
 * statement can fail; the caller then retries with `updateInOrder`.
 */
export async function updateAccounts(db: Kysely<Database>, updates: readonly AccountUpdate[], now: number): Promise<void> {
  const byShape = new Map<number, AccountUpdate[]>();
  for (const u of updates) {
    const group = byShape.get(u.row.given);
    if (group) group.push(u);
    else byShape.set(u.row.given, [u]);
  }
  for (const [given, group] of byShape) {
    const columns = COLUMNS.filter((c) => (given & c.bit) !== 0);
    for (let i = 0; i < group.length; i += ROWS_PER_UPDATE) {
      await updateStatement(columns, group.slice(i, i + ROWS_PER_UPDATE), now).execute(db);
    }
  }
}

/** One statement per account, in the plan's order: slower, but a key freed by one is free for the next. */
export async function updateInOrder(db: Kysely<Database>, updates: readonly AccountUpdate[], now: number): Promise<void> {
  for (const { row, number } of updates) {
    const columns = COLUMNS.filter((c) => (row.given & c.bit) !== 0);
    await updateStatement(columns, [{ row, number }], now).execute(db);
  }
}

function updateStatement(columns: readonly Column[], updates: readonly AccountUpdate[], now: number): RawBuilder<unknown> {
  const sets = columns.map((c, k) => sql`${sql.ref(c.name)} = cast(${sql.ref(`v.column${k + 2}`)} as ${sql.raw(c.type)})`);
  const rows = updates.map(({ row, number }) => sql`(${sql.join([number, ...columns.map((c) => c.value(row))])})`);
  return sql`update users set ${sql.join([...sets, sql`updated = ${now}`])} from (values ${sql.join(rows)}) as v where users.number = cast(v.column1 as bigint)`;
}
