// The one database handle: Kysely over better-sqlite3 (embedded default) or pg.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { type Compilable, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import type { ChangeEpoch } from './read-cache.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Changes whenever anything in the database changed (SQLite); null where there is no such signal. */
  readonly changeEpoch: ChangeEpoch | null;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** Opens the database named by a `sqlite:<file>` or `postgres://…` URL. */
export function openStore(databaseUrl: string): Store {
  if (databaseUrl.startsWith('sqlite:')) return openSqlite(databaseUrl.slice('sqlite:'.length));
  return openPostgres(databaseUrl);
}

function openSqlite(file: string): Store {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SQLite(file);
  // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes in WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  // One statement: this connection's row changes and the commit counter of other connections.
  const epoch = sqlite.prepare("select total_changes() || ':' || (select data_version from pragma_data_version())").pluck();
  return {
    db,
    dialect: 'sqlite',
    changeEpoch: () => epoch.get() as string,
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every query anew; preparing costs about as much as running a small indexed
 * query. Kysely emits the same SQL text for the same query shape, so statements are cached by
 * text (bounded), which makes every hot query a prepared statement.
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  return new Proxy(sqlite, {
    get(target, prop, receiver) {
      if (prop !== 'prepare') {
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      }
      return (source: string) => {
        let stmt = cache.get(source);
        if (!stmt) {
          stmt = prepare(source);
          if (cache.size >= 500) cache.delete(cache.keys().next().value!);
          cache.set(source, stmt);
        }
        return stmt;
      };
    },
  });
}

function openPostgres(url: string): Store {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // BIGINT columns hold microsecond times and user numbers, all exact in a JS number.
    types: {
      getTypeParser: ((oid: number, format?: any) =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as any,
    },
  });
  // An idle client that loses its connection must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    changeEpoch: null,
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Which unique constraint a failed insert or update broke, or null if the error is something
 * else. Registration races end here: the database, not a prior SELECT, decides who wins.
 */
export function uniqueViolation(err: unknown): string | null {
  const e = err as { code?: string; message?: string; constraint?: string; detail?: string };
  if (e?.code === '23505') return `${e.constraint ?? ''} ${e.detail ?? ''}`;
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT') && /UNIQUE|PRIMARY/.test(e.code + (e.message ?? ''))) {
    return e.message ?? e.code;
  }
  return null;
}

/**
 * A hot query compiled once: building and compiling a Kysely query costs more than running a
 * small indexed one. Build it with placeholder values; each call passes the real values in
 * the order the compiled query holds them.
 */
export function precompiled<Row>(query: Compilable<Row>): (db: Kysely<Database>, params: readonly unknown[]) => Promise<Row[]> {
  const compiled = query.compile();
  const arity = compiled.parameters.length;
  return async (db, params) => {
    if (params.length !== arity) throw new Error(`precompiled query takes ${arity} parameters, got ${params.length}`);
    const result = await db.executeQuery<Row>({ ...compiled, parameters: params });
    return result.rows;
  };
}
