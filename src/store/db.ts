// The one database handle: Kysely over better-sqlite3 (embedded default) or pg. Outages (no
// answer in time, a broken connection) surface as ServiceUnavailable; nothing here exits.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { type Compilable, CompiledQuery, type DatabaseConnection, type Driver, type Insertable, Kysely, type PostgresCursor, PostgresDialect, type RawBuilder, SqliteDialect, SqliteDriver, type SqliteDialectConfig, sql } from 'kysely';
import type { Database } from './schema.js';
import { PgChangeFeed } from './change-feed.js';
import { CHANGE_COUNT_TABLE } from './migration-change-count.js';
import { type ChangeEpoch, type StatementEffect, WriteTracker, statementEffect } from './read-cache.js';
import { ServiceUnavailable, UnacceptableValue } from '../errors.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * Changes whenever anything a credential cache holds may have changed (SQLite: any write;
   * PostgreSQL with the change feed: a notification); null where there is no such signal.
   */
  readonly changeEpoch: ChangeEpoch | null;
  /** Starts what the store runs beside the queries (PostgreSQL's change feed), once migrated. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /**
   * The request path's deadline in ms (v1.md §0.13): a statement that runs longer, a pool that
   * hands out no connection in time, or a SQLite write lock not granted in time raises
   * ServiceUnavailable. Omitted or null (the command line: migrations, imports): no statement
   * limit, 10 s to connect, 5 s for a SQLite lock.
   */
  timeoutMs?: number | null;
  /** PostgreSQL `application_name`, so an operator can find this process's connections; the URL's own wins. */
  applicationName?: string;
  /** Told about a PostgreSQL connection that broke while idle or between statements (the pool replaces it). */
  onConnectionError?: (err: Error) => void;
  /**
   * PostgreSQL: listen for committed changes of users and knox tokens (store/change-feed.ts), so
   * credential look-ups can be cached and still see every change. Needs migration 008 applied;
   * started by `start()`.
   */
  changeFeed?: boolean;
  /** PostgreSQL: connections in the pool (10 unless asked otherwise). */
  poolSize?: number;
}

const INT8_OID = 20;
const CLI_CONNECT_TIMEOUT_MS = 10_000;
const CLI_BUSY_TIMEOUT_MS = 5_000;

/** Opens the database named by a `sqlite:<file>` or `postgres://…` URL. */
export function openStore(databaseUrl: string, options: StoreOptions = {}): Store {
  if (databaseUrl.startsWith('sqlite:')) return openSqlite(databaseUrl.slice('sqlite:'.length), options);
  return openPostgres(databaseUrl, options);
}

function openSqlite(file: string, options: StoreOptions): Store {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const busyMs = options.timeoutMs ?? CLI_BUSY_TIMEOUT_MS;
  const sqlite = new SQLite(file, { timeout: busyMs });
  // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes in WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${busyMs}`);
  const writes = { count: 0 };
  const tracker = new WriteTracker(() => {
    writes.count++;
  });
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite, tracker) }) });
  // Other connections' commits (the webhook delivery thread, another process on the same file:
  // the command line, a second instance) move PRAGMA data_version. Asking costs two fcntl calls on
  // the WAL index, so the answer is kept for the rest of the event-loop turn that asked: a commit
  // elsewhere is seen by every request read after that turn (microseconds to a few ms later).
  // When it moved, the change count that triggers keep on users and knox_tokens (migration 012)
  // tells whether those commits touched what the caches hold; commits that wrote only elsewhere
  // (deliveries settled, audit entries) leave the caches serving. This connection's own writes
  // to a cached table are counted as they run (`writes`, read-cache.ts's WriteTracker) and are
  // seen at once; its writes elsewhere leave the caches alone.
  const dataVersion = sqlite.prepare('select data_version from pragma_data_version()').pluck();
  let countOf: SQLite.Statement | null = null;
  const changeCount = (version: number): string => {
    try {
      countOf ??= sqlite.prepare(`select n from ${CHANGE_COUNT_TABLE} where id = 1`).pluck();
      return String(countOf.get());
    } catch {
      // Not migrated yet: every commit elsewhere counts as a change.
      return `v${version}`;
    }
  };
  let asked = false;
  // The data_version and own write count at which the count was last read, the count read (always
  // a committed one), and a generation that moves whenever something may have changed.
  let version = -1;
  let writesAtCount = -1;
  let count = '';
  let generation = 0;
  const forget = () => {
    asked = false;
  };
  const changeEpoch = () => {
    if (!asked) {
      asked = true;
      setImmediate(forget);
      const now = dataVersion.get() as number;
      // Read again after this connection's own writes too, so that a later commit elsewhere is
      // compared with a count that already holds them.
      if (now !== version || writes.count !== writesAtCount) {
        if (!sqlite.inTransaction) {
          version = now;
          writesAtCount = writes.count;
          const read = changeCount(now);
          if (read !== count) {
            count = read;
            generation++;
          }
        } else if (now !== version) {
          // Inside one of this connection's transactions the count holds its uncommitted
          // changes, which a rollback takes back: a change elsewhere could then bring the count
          // back to a value read here, and go unseen. So it is read only outside them, and a
          // commit elsewhere seen meanwhile counts as a change; the transaction's own writes
          // move `writes`, and the count is read once it has ended.
          version = now;
          generation++;
        }
      }
    }
    return `${writes.count}:${generation}`;
  };
  return {
    db,
    dialect: 'sqlite',
    changeEpoch,
    async start() {},
    async close() {
      await db.destroy();
    },
  };
}

/**
 * Transactions begin IMMEDIATE: they take the write lock at BEGIN, waiting for it up to the busy
 * timeout. A deferred transaction reads from a snapshot and asks for the lock at its first write;
 * if another connection (the webhook delivery thread, the command line, a second instance) has
 * committed since that snapshot, SQLite refuses at once (SQLITE_BUSY_SNAPSHOT, no waiting), and
 * the request would fail. One connection's transactions already run one at a time, so taking the
 * lock first costs nothing here.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * Kysely prepares every query anew; preparing costs about as much as running a small indexed
 * query. Kysely emits the same SQL text for the same query shape, so statements are cached by
 * text (bounded), which makes every hot query a prepared statement. Each comes wrapped, so a
 * write lock that another process held past the busy timeout is an outage, not a bug.
 */
function withStatementCache(sqlite: SQLite.Database, tracker: WriteTracker): SQLite.Database {
  const cache = new Map<string, GuardedStatement>();
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
          stmt = new GuardedStatement(sqliteGuard(() => prepare(source)), source, tracker);
          if (cache.size >= 500) cache.delete(cache.keys().next().value!);
          cache.set(source, stmt);
        }
        return stmt;
      };
    },
  });
}

/** The part of a better-sqlite3 statement Kysely uses, with SQLITE_BUSY turned into an outage. */
class GuardedStatement {
  readonly reader: boolean;
  private readonly effect: StatementEffect;

  /** Every run is told to `tracker` first (RETURNING writes included), so the caches move on at once. */
  constructor(private readonly stmt: SQLite.Statement, source: string, private readonly tracker: WriteTracker) {
    this.reader = stmt.reader;
    // SQLite knows which statements change nothing (a PRAGMA read, a CTE that only selects); it
    // calls BEGIN, COMMIT and ROLLBACK read-only too, but those are what a transaction is followed by.
    const effect = statementEffect(source);
    this.effect = effect === 'write' && stmt.readonly ? 'none' : effect;
  }

  all(...params: unknown[]): unknown[] {
    refuseUnacceptable(params);
    this.tracker.ran(this.effect);
    return sqliteGuard(() => this.stmt.all(...params));
  }

  get(...params: unknown[]): unknown {
    refuseUnacceptable(params);
    this.tracker.ran(this.effect);
    return sqliteGuard(() => this.stmt.get(...params));
  }

  run(...params: unknown[]): SQLite.RunResult {
    refuseUnacceptable(params);
    this.tracker.ran(this.effect);
    return sqliteGuard(() => this.stmt.run(...params));
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    refuseUnacceptable(params);
    this.tracker.ran(this.effect);
    return sqliteGuard(() => this.stmt.iterate(...params));
  }
}

function sqliteGuard<T>(op: () => T): T {
  try {
    return op();
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    // BUSY: another connection kept the write lock past the busy timeout; LOCKED: a conflict
    // inside this connection's shared cache. Either way the database did not answer in time.
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) {
      throw new ServiceUnavailable('database', 'locked by another connection', { cause: err });
    }
    // A string or blob over SQLite's length limit; a value of the wrong type for an INTEGER
    // PRIMARY KEY. Both come from what a client sent.
    if (code === 'SQLITE_TOOBIG') throw new UnacceptableValue('too large', { cause: err });
    if (code === 'SQLITE_MISMATCH') throw new UnacceptableValue('of the wrong type', { cause: err });
    throw err;
  }
}

/**
 * Refuses text with a NUL character before either database sees it: PostgreSQL cannot store
 * one (nor compare with one), and SQLite, which could, is held to the same rule so that both
 * answer alike. A surface's own field check says it first in that surface's words; this is the
 * floor under every path that has none (a query parameter, a free-text field).
 */
function refuseUnacceptable(params: readonly unknown[]): void {
  for (const p of params) {
    // better-sqlite3 takes the parameters spread or (as Kysely passes them) as one array.
    if (Array.isArray(p)) refuseUnacceptable(p);
    else if (typeof p === 'string' && p.includes('\0')) throw new UnacceptableValue('text with a NUL character');
  }
}

function openPostgres(url: string, options: StoreOptions): Store {
  const timeoutMs = options.timeoutMs ?? null;
  const onConnectionError = options.onConnectionError ?? (() => {});
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    fallback_application_name: options.applicationName ?? 'gatehouse',
    // Waiting for a free connection and opening a new one share this deadline.
    connectionTimeoutMillis: timeoutMs ?? CLI_CONNECT_TIMEOUT_MS,
    // The server cancels a statement past the deadline (its connection stays usable); the
    // client gives up a little later on a server that does not answer at all.
    ...(timeoutMs === null
      ? {}
      : { statement_timeout: timeoutMs, query_timeout: timeoutMs + 500 }),
    // A peer that vanished without closing (a network partition) is noticed.
    keepAlive: true,
    // BIGINT columns hold microsecond times and user numbers, all exact in a JS number.
    types: {
      getTypeParser: ((oid: number, format?: any) =>
        oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as any,
    },
  });
  // A connection that breaks must never crash the process: pg emits 'error' on the pool for an
  // idle client and on the client itself while it is checked out (between two statements of a
  // transaction, say), where nothing else listens. The failed statement reports the outage.
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  const feed = options.changeFeed ? new PgChangeFeed(url, onConnectionError) : null;
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new GuardedPool(pool, feed ? () => feed.localWrite() : null) }) });
  return {
    db,
    dialect: 'postgres',
    changeEpoch: feed ? () => feed.token() : null,
    async start() {
      await feed?.start();
    },
    async close() {
      await feed?.close();
      await db.destroy();
    },
  };
}

/**
 * Why a pg failure is an outage, and whether its connection can be used again; null when it is
 * an ordinary database error (a constraint, a bug) that callers handle or answer 500.
 */
function pgOutage(err: unknown): { reason: string; broken: boolean } | null {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (code === '57014') return { reason: 'statement timeout', broken: false }; // query_canceled
  if (code === '55P03') return { reason: 'lock timeout', broken: false }; // lock_not_available
  if (code.startsWith('53')) return { reason: 'insufficient resources', broken: false }; // e.g. too_many_connections
  // connection_exception, and admin_shutdown / crash_shutdown / cannot_connect_now (a terminated
  // backend, a restart): the session is gone.
  if (code.startsWith('08') || code.startsWith('57P')) return { reason: 'connection lost', broken: true };
  if (/^E[A-Z]+$/.test(code)) return { reason: 'connection lost', broken: true }; // ECONNRESET, EPIPE, ...
  if (/^Query read timeout$|^Connection terminated|not queryable|timeout exceeded when trying to connect/.test(message)) {
    return { reason: message.startsWith('Query read') ? 'no answer' : 'connection lost', broken: true };
  }
  return null;
}

/**
 * The pool Kysely sees. Acquiring a connection and running a statement raise ServiceUnavailable
 * for an outage; a connection whose session broke (or whose statement got no answer, so its
 * protocol state is unknown) is refused further statements and destroyed when released.
 */
class GuardedPool {
  private readonly clients = new WeakMap<pg.PoolClient, GuardedClient>();

  /** `onWrite`: told when a statement may have changed a cached table (the change feed's local half; read-cache.ts). */
  constructor(private readonly pool: pg.Pool, private readonly onWrite: (() => void) | null = null) {}

  async connect(): Promise<GuardedClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new ServiceUnavailable('database', 'no connection', { cause: err });
    }
    // One wrapper per pg client, so Kysely's per-connection bookkeeping sees a stable object.
    let guarded = this.clients.get(client);
    if (!guarded) {
      guarded = new GuardedClient(client, this.onWrite);
      this.clients.set(client, guarded);
    }
    return guarded;
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

class GuardedClient {
  private broken: Error | null = null;

  private readonly tracker: WriteTracker | null;

  constructor(private readonly client: pg.PoolClient, onWrite: (() => void) | null) {
    this.tracker = onWrite ? new WriteTracker(onWrite) : null;
  }

  // The result is pg's own, which Kysely reads (its typing of `command` is narrower than pg's).
  query(sql: string, parameters: readonly unknown[]): Promise<any>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query(sqlOrCursor: string | PostgresCursor<unknown>, parameters: readonly unknown[] = []): unknown {
    // Streaming through a cursor is not configured; it would pass through unguarded.
    if (typeof sqlOrCursor !== 'string') return this.client.query(sqlOrCursor as any);
    return this.run(sqlOrCursor, parameters);
  }

  private async run(sql: string, parameters: readonly unknown[]): Promise<pg.QueryResult> {
    // Fail at once rather than queue a statement (a rollback, say) behind one that never answered.
    if (this.broken) throw new ServiceUnavailable('database', 'connection lost', { cause: this.broken });
    refuseUnacceptable(parameters);
    try {
      return await this.client.query(sql, parameters as unknown[]);
    } catch (err) {
      // data_exception: a value out of a column's range, text that is not a number or a UUID, ...
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && code.startsWith('22')) throw new UnacceptableValue(`refused as data (SQLSTATE ${code})`, { cause: err });
      const outage = pgOutage(err);
      if (!outage) throw err;
      if (outage.broken) this.broken = err as Error;
      throw new ServiceUnavailable('database', outage.reason, { cause: err });
    } finally {
      // After the statement (an autocommitted write is visible to other connections only now),
      // whether it worked or not (an answer lost on the way may hide a committed write).
      this.tracker?.ran(statementEffect(sql));
    }
  }

  release(): void {
    this.tracker?.reset();
    const broken = this.broken;
    this.broken = null;
    // pg-pool destroys a client released with an error instead of handing it out again.
    this.client.release(broken ?? undefined);
  }
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

/**
 * A hot one-row INSERT compiled once (see `precompiled`): each call writes every column of
 * `columns`, in that order, from the row it is given (a column the row lacks is written NULL).
 */
export function precompiledInsert<T extends keyof Database & string>(
  db: Kysely<Database>,
  table: T,
  columns: readonly (keyof Database[T] & string)[],
): (on: Kysely<Database>, row: Insertable<Database[T]>) => Promise<unknown> {
  const run = precompiled(db.insertInto(table).values(Object.fromEntries(columns.map((c) => [c, null])) as any));
  return (on, row) => run(on, columns.map((c) => (row as Record<string, unknown>)[c] ?? null));
}

/**
 * A LIMIT written into the SQL text instead of bound. SQLite (as better-sqlite3 ships it) marks a
 * statement whose LIMIT is a parameter to be prepared again whenever that parameter is bound,
 * i.e. on every run, because the value may change the plan: parsing and planning again cost
 * more than running a small indexed query (one with a bound LIMIT took twice as long). `n` is one
 * of our constants or a page size already checked against its bounds, so the statement texts
 * stay few. PostgreSQL takes the literal the same way.
 */
export function limitOf(n: number): RawBuilder<number> {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`LIMIT must be a non-negative integer, got ${n}`);
  return sql.lit(n);
}
