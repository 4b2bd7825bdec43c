// "The database is unchanged by a refused request", made checkable: a snapshot is, for every
// table, the multiset of its rows' digests, taken on the test's own read-only connection to the
// target's database (SQLite file or PostgreSQL database). Two snapshots differ exactly when a
// row was added, removed or changed.
//
// A few things do change on a refused request, because the specification says they must; they
// are left out of the digests, each for the reason given in REFUSALS_MAY_CHANGE. Everything
// else in every table, present and future, is covered.
import { createHash } from 'node:crypto';
import SQLite from 'better-sqlite3';
import pg from 'pg';

/** Table -> columns that a refused request may change, and why (the spec's own rules). */
export const REFUSALS_MAY_CHANGE: Record<string, { columns: readonly string[]; why: string }> = {
  users: {
    columns: ['failed_logins', 'last_failure_at', 'locked_until', 'login_pending', 'login_pending_until'],
    why: 'a wrong password for an existing account is refused and counts toward the lockout streak (v1.md §0.7)',
  },
  knox_tokens: {
    columns: ['last_used', 'expires'],
    why: 'a knox token that authenticates moves its sliding expiry even when the view then refuses the request (v1.md §2.1)',
  },
  jwt_logins: {
    columns: ['last_used'],
    why: 'an access token that authenticates moves its login’s last_used (v1.md §2.2)',
  },
  browser_sessions: {
    columns: ['login_expires', 'expires'],
    why: 'a login slot is extended by every request that carries it (v1.md §0.4)',
  },
  gatehouse_change_count: {
    columns: ['n'],
    why: 'SQLite bookkeeping (migration 012): the count moves with every change to users or knox_tokens, the permitted ones above included',
  },
};

/** Audit events recorded for refused requests (admin.md §4: failures, locks, reuse). */
export const REFUSAL_AUDIT_EVENTS = ['login.failure', 'lockout', 'login.locked', 'token.reuse'] as const;

export interface TableState {
  /** Row digests, sorted. */
  rows: string[];
  /** A cheap value that changes whenever the table does (PostgreSQL), to skip unchanged tables. */
  signal?: string;
}

export type Snapshot = Map<string, TableState>;

export interface TableChange {
  table: string;
  added: number;
  removed: number;
  /** Up to three of the rows that are new in the later snapshot, for the report. */
  examples: unknown[];
}

interface Backend {
  tables(): Promise<string[]>;
  columns(table: string): Promise<string[]>;
  /** Row digests of the planned tables, read at one point in time. */
  allDigests(plans: TablePlan[]): Promise<Map<string, string[]>>;
  /** Per table, a value that changes whenever any of its rows does; null where there is none. */
  signals(plans: TablePlan[]): Promise<Map<string, string> | null>;
  rowsByDigest(table: string, columns: string[], where: string, digests: Set<string>): Promise<unknown[]>;
  /** A cheap signal that something may have been committed since the last call; true when unknown. */
  maybeChanged(): Promise<boolean>;
  close(): Promise<void>;
}

function quote(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`unexpected identifier ${name}`);
  return `"${name}"`;
}

const AUDIT_FILTER = `where "event" not in (${REFUSAL_AUDIT_EVENTS.map((e) => `'${e}'`).join(', ')})`;

class SqliteBackend implements Backend {
  private lastVersion: number | null = null;
  private readonly db: SQLite.Database;

  constructor(file: string) {
    this.db = new SQLite(file, { readonly: true, fileMustExist: true });
  }

  async tables() {
    return (this.db.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[]);
  }

  async columns(table: string) {
    return (this.db.prepare(`select name from pragma_table_info(?) order by cid`).pluck().all(table) as string[]);
  }

  private select(table: string, columns: string[], where: string): unknown[][] {
    return this.db.prepare(`select ${columns.map(quote).join(', ')} from ${quote(table)} ${where}`).raw().all() as unknown[][];
  }

  async allDigests(plans: TablePlan[]) {
    // One read transaction, so the tables are seen at one instant.
    return this.db.transaction(() => new Map(plans.map((p) => [p.table, this.select(p.table, p.columns, p.where).map(digestOf)])))();
  }

  async rowsByDigest(table: string, columns: string[], where: string, digests: Set<string>) {
    return this.select(table, columns, where).filter((r) => digests.has(digestOf(r))).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
  }

  async signals() {
    return null;
  }

  /** PRAGMA data_version moves when another connection commits to the file. */
  async maybeChanged() {
    const v = this.db.pragma('data_version', { simple: true }) as number;
    const changed = this.lastVersion === null || v !== this.lastVersion;
    this.lastVersion = v;
    return changed;
  }

  async close() {
    this.db.close();
  }
}

class PostgresBackend implements Backend {
  constructor(private readonly client: pg.Client) {}

  async tables() {
    const r = await this.client.query("select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name");
    return r.rows.map((x) => x.table_name as string);
  }

  async columns(table: string) {
    const r = await this.client.query("select column_name from information_schema.columns where table_schema = 'public' and table_name = $1 order by ordinal_position", [table]);
    return r.rows.map((x) => x.column_name as string);
  }

  private rowText(columns: string[]): string {
    return `md5(json_build_array(${columns.map(quote).join(', ')})::text)`;
  }

  /** One statement over every table: one snapshot of the database, one round trip. */
  async allDigests(plans: TablePlan[]) {
    const text = plans.map((p, i) => `select ${i} as t, ${this.rowText(p.columns)} as d from ${quote(p.table)} ${p.where}`).join(' union all ');
    const r = await this.client.query({ text, rowMode: 'array' });
    const out = new Map<string, string[]>(plans.map((p) => [p.table, []]));
    for (const [t, d] of r.rows as Array<[number, string]>) out.get(plans[t].table)!.push(d);
    return out;
  }

  async rowsByDigest(table: string, columns: string[], where: string, digests: Set<string>) {
    const r = await this.client.query(`select ${columns.map(quote).join(', ')}, ${this.rowText(columns)} as "__d" from ${quote(table)} ${where}`);
    return r.rows.filter((x) => digests.has(x.__d)).map(({ __d: _d, ...row }) => row);
  }

  /**
   * Row count and the newest row version (xmin): an insert or update raises the latter, a delete
   * lowers the former or (when it took the newest row) the latter. A signal that moved only
   * means the table's rows are read again; the digests decide.
   */
  async signals(plans: TablePlan[]) {
    const text = plans.map((p, i) => `select ${i} as t, count(*) || ':' || coalesce(max(xmin::text::bigint), 0) as s from ${quote(p.table)} ${p.where}`).join(' union all ');
    const r = await this.client.query({ text, rowMode: 'array' });
    return new Map((r.rows as Array<[number, string]>).map(([t, sig]) => [plans[t].table, sig]));
  }

  /** No cheap commit counter per database (the transaction id is the whole cluster's). */
  async maybeChanged() {
    return true;
  }

  async close() {
    await this.client.end();
  }
}

function digestOf(row: unknown[]): string {
  return createHash('sha1').update(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v))).digest('hex');
}

interface TablePlan {
  table: string;
  columns: string[];
  where: string;
}

export class DbWatch {
  private plans: TablePlan[] = [];
  private last: Snapshot | null = null;

  private constructor(private readonly backend: Backend) {}

  static async open(databaseUrl: string): Promise<DbWatch> {
    let backend: Backend;
    if (databaseUrl.startsWith('sqlite:')) {
      backend = new SqliteBackend(databaseUrl.slice('sqlite:'.length));
    } else {
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      backend = new PostgresBackend(client);
    }
    const w = new DbWatch(backend);
    await w.plan();
    return w;
  }

  /** Every table and its covered columns (read again when the schema could have grown). */
  private async plan(): Promise<void> {
    const plans: TablePlan[] = [];
    for (const table of await this.backend.tables()) {
      const skip = new Set(REFUSALS_MAY_CHANGE[table]?.columns ?? []);
      const columns = (await this.backend.columns(table)).filter((c) => !skip.has(c));
      if (!columns.length) continue;
      plans.push({ table, columns, where: table === 'audit_log' ? AUDIT_FILTER : '' });
    }
    this.plans = plans;
  }

  get tableNames(): string[] {
    return this.plans.map((p) => p.table);
  }

  /** The covered content of every table now; reuses the last one when nothing was committed since. */
  async snapshot(): Promise<Snapshot> {
    if (this.last && !(await this.backend.maybeChanged())) return this.last;
    const signals = await this.backend.signals(this.plans);
    const stale = this.plans.filter((p) => !signals || !this.last || this.last.get(p.table)?.signal !== signals.get(p.table));
    if (this.last && stale.length === 0) return this.last;
    const fresh = stale.length ? await this.backend.allDigests(stale) : new Map<string, string[]>();
    const snap: Snapshot = new Map();
    for (const p of this.plans) {
      const rows = fresh.get(p.table);
      snap.set(p.table, rows ? { rows: rows.sort(), signal: signals?.get(p.table) } : this.last!.get(p.table)!);
    }
    this.last = snap;
    return snap;
  }

  /** What differs between two snapshots, with a few of the new rows for the report. */
  async diff(before: Snapshot, after: Snapshot): Promise<TableChange[]> {
    const out: TableChange[] = [];
    for (const p of this.plans) {
      const a = before.get(p.table)?.rows ?? [];
      const b = after.get(p.table)?.rows ?? [];
      if (a.length === b.length && a.every((d, i) => d === b[i])) continue;
      const { onlyA, onlyB } = multisetDiff(a, b);
      const examples = onlyB.length ? (await this.backend.rowsByDigest(p.table, p.columns, p.where, new Set(onlyB.slice(0, 3)))).slice(0, 3) : [];
      out.push({ table: p.table, added: onlyB.length, removed: onlyA.length, examples });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

function multisetDiff(a: string[], b: string[]): { onlyA: string[]; onlyB: string[] } {
  const counts = new Map<string, number>();
  for (const d of a) counts.set(d, (counts.get(d) ?? 0) + 1);
  const onlyB: string[] = [];
  for (const d of b) {
    const n = counts.get(d) ?? 0;
    if (n > 0) counts.set(d, n - 1);
    else onlyB.push(d);
  }
  const onlyA = [...counts.entries()].flatMap(([d, n]) => Array<string>(n).fill(d));
  return { onlyA, onlyB };
}
