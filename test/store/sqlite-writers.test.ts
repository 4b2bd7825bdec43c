// Two connections writing one SQLite file (the service and its webhook delivery thread, or the
// command line): a transaction that has read must still be able to write after the other
// connection committed meanwhile. With SQLite's default deferred BEGIN it cannot (it fails at
// once with SQLITE_BUSY_SNAPSHOT, which the service would answer 503); the store's transactions
// begin IMMEDIATE, so the other writer waits for the commit instead.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Store, openStore } from '../../src/store/db.js';

let dir: string;
let file: string;
let store: Store;
/** The test's own table, outside the service's schema. */
let db: Kysely<{ t: { v: number } }>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-writers-'));
  file = path.join(dir, 'db.sqlite3');
  store = openStore(`sqlite:${file}`, { timeoutMs: 2000 });
  db = store.db as unknown as Kysely<{ t: { v: number } }>;
  await db.schema.createTable('t').addColumn('v', 'integer').execute();
});

afterAll(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Another connection, in a thread of its own, inserts `v` once told; answers 'done' or the error's code. */
function otherWriter(v: number): { go: () => void; result: Promise<string> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.module);
    const db = new Database(workerData.file, { timeout: 2000 });
    parentPort.once('message', () => {
      try { db.prepare('insert into t (v) values (?)').run(workerData.v); parentPort.postMessage('done'); }
      catch (err) { parentPort.postMessage(String(err.code)); }
      db.close();
    });`;
  const worker = new Worker(code, { eval: true, workerData: { file, v, module: createRequire(import.meta.url).resolve('better-sqlite3') } });
  const result = new Promise<string>((resolve, reject) => {
    worker.once('message', (m: string) => resolve(m));
    worker.once('error', reject);
  });
  return { go: () => worker.postMessage('go'), result: result.finally(() => worker.terminate()) };
}

describe('SQLite: a second connection writing', () => {
  it('a transaction that read, then waited, still writes; the other writer waits for its commit', async () => {
    const other = otherWriter(2);
    let otherDone: string | null = null;
    await db.transaction().execute(async (trx) => {
      await trx.selectFrom('t').selectAll().execute();
      other.go();
      void other.result.then((r) => (otherDone = r));
      await new Promise((r) => setTimeout(r, 150));
      // The other connection is waiting for this transaction's lock, not done.
      expect(otherDone).toBeNull();
      await trx.insertInto('t').values({ v: 1 }).execute();
    });
    expect(await other.result).toBe('done');
    const rows = await db.selectFrom('t').select('v').execute();
    expect(rows.map((r) => r.v)).toEqual([1, 2]);
  });
});
