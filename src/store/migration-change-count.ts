// Migration 012: on SQLite, a count of the changes to the tables the credential caches read
// (read-cache.ts CACHED_TABLES), kept by triggers in the database itself, so every connection's
// changes move it: the webhook delivery thread's, the command line's, a second instance's. When
// another connection has committed, the caches ask this count whether that commit touched
// users or knox_tokens; before it existed, any commit anywhere (a delivery settled, an audit
// entry) emptied them. PostgreSQL has the change feed (migration 008) for the same purpose.
// Cost: one more single-row update per changed row, about 1 us (an import of a million users
// and tokens takes about 2 s longer).
import { type Kysely, type Migration, sql } from 'kysely';
import type { Dialect } from './db.js';

export const CHANGE_COUNT_TABLE = 'gatehouse_change_count';
const TRIGGERS = ['insert', 'update', 'delete'].flatMap((op) => ['users', 'knox_tokens'].map((table) => ({ op, table, name: `${table}_${op}_change_count` })));

export function migrationChangeCount(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      await sql.raw(`create table ${CHANGE_COUNT_TABLE} (id integer primary key check (id = 1), n integer not null)`).execute(db);
      await sql.raw(`insert into ${CHANGE_COUNT_TABLE} (id, n) values (1, 0)`).execute(db);
      for (const t of TRIGGERS) {
        await sql.raw(`create trigger ${t.name} after ${t.op} on ${t.table} begin update ${CHANGE_COUNT_TABLE} set n = n + 1 where id = 1; end`).execute(db);
      }
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'sqlite') return;
      for (const t of TRIGGERS) await sql.raw(`drop trigger if exists ${t.name}`).execute(db);
      await sql.raw(`drop table if exists ${CHANGE_COUNT_TABLE}`).execute(db);
    },
  };
}
