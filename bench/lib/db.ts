// Direct access to a bench instance's database, for seeding what the API would take too long to
// create (a million users, thousands of second-step challenges) and for reading back what a
// real ceremony stored. Statements use `?` placeholders on both databases.
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { Instance } from './servers.js';

export interface BenchDb {
  kind: 'sqlite' | 'postgres';
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Multi-row INSERT in chunks (one transaction per chunk). */
  insert(table: string, rows: Record<string, unknown>[]): Promise<void>;
  close(): Promise<void>;
  /** SQLite only: the raw handle, for million-row loops. */
  sqlite?: SQLite.Database;
  /** PostgreSQL only. */
  pg?: pg.Client;
}

export async function openBenchDb(inst: Instance): Promise<BenchDb> {
  if (inst.kind === 'sqlite') {
    const db = new SQLite(inst.databaseUrl.slice('sqlite:'.length), { timeout: 10_000 });
    db.pragma('journal_mode = WAL');
    return {
      kind: 'sqlite',
      sqlite: db,
      async query(sql, params = []) {
        const stmt = db.prepare(sql);
        return (stmt.reader ? stmt.all(...params) : (stmt.run(...params), [])) as any[];
      },
      async insert(table, rows) {
        if (!rows.length) return;
        const cols = Object.keys(rows[0]);
        const per = Math.max(1, Math.floor(30_000 / cols.length));
        const tx = db.transaction((chunk: Record<string, unknown>[]) => {
          const sql = `insert into ${table} (${cols.join(', ')}) values ${chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ')}`;
          db.prepare(sql).run(...chunk.flatMap((r) => cols.map((c) => r[c])));
        });
        for (let i = 0; i < rows.length; i += per) tx(rows.slice(i, i + per));
      },
      async close() {
        db.close();
      },
    };
  }
  const client = new pg.Client({ connectionString: inst.databaseUrl });
  await client.connect();
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    kind: 'postgres',
    pg: client,
    async query(sql, params = []) {
      return (await client.query(numbered(sql), params)).rows;
    },
    async insert(table, rows) {
      if (!rows.length) return;
      const cols = Object.keys(rows[0]);
      const per = Math.max(1, Math.floor(60_000 / cols.length));
      for (let i = 0; i < rows.length; i += per) {
        const chunk = rows.slice(i, i + per);
        let n = 0;
        const values = chunk.map(() => `(${cols.map(() => `$${++n}`).join(', ')})`).join(', ');
        await client.query(`insert into ${table} (${cols.join(', ')}) values ${values}`, chunk.flatMap((r) => cols.map((c) => r[c])));
      }
    },
    async close() {
      await client.end();
    },
  };
}
