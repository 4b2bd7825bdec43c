// "At least one active superuser must remain" is a check over several rows followed by a
// write, so two superusers demoting each other at the same moment would both pass it. Every
// admin change to a user's flags or existence therefore runs one at a time: an in-process
// queue (which also keeps a waiting change from holding a pooled connection), and on
// PostgreSQL a transaction-scoped advisory lock, so instances sharing the database queue too.
// SQLite is one writer in one process, so the queue is enough there.
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../store/db.js';
import type { Database } from '../../store/schema.js';

// hashtext() of a fixed name gives every instance the same lock key.
const LOCK_NAME = 'gatehouse:admin:user-flags';

export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly db: Kysely<Database>, private readonly dialect: Dialect) {}

  /** Runs `fn` after every earlier call has finished; `fn` uses the ordinary `db`. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(() => this.exclusive(fn));
    this.tail = result.catch(() => undefined);
    return result;
  }

  // The lock lives in a transaction of its own connection; `fn` works on other connections
  // of the pool, so it may call core services that know nothing of this transaction.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.dialect !== 'postgres') return fn();
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(hashtext(${LOCK_NAME}))`.execute(trx);
      return fn();
    });
  }
}
