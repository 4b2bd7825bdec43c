// A cache for the look-ups every authenticated request makes (a knox token, a user by id),
// valid only while the database has not changed at all. The "has it changed" signal comes from
// the store (store/db.ts): on SQLite, a count of this connection's writes (seen at once) and,
// for other connections' commits, PRAGMA data_version (asked once per event-loop turn, so seen
// by the requests of the next turn) with the change count that triggers keep on the cached
// tables (migration 012), so commits elsewhere that touch neither leave it alone; on
// PostgreSQL, the change feed's generation, which moves with this process's writes at once and
// with every other instance's commit when its notification arrives. Any write that may touch a
// cached table (users, knox_tokens), a logout, a deactivation, a lockout, empties the cache, so a
// hit is what the query would have returned; writes to other tables (the outbox, webhook
// deliveries, audit entries, ...) leave it alone.
// With no signal, nothing is cached.

/**
 * A token that changes whenever anything cached may have changed; null while that cannot be
 * known (PostgreSQL's change feed is down), when nothing may be served from a cache.
 */
export type ChangeEpoch = () => string | null;

export class EpochCache<V> {
  private readonly entries = new Map<string, V>();
  private epoch = '';

  constructor(private readonly changeEpoch: ChangeEpoch | null, private readonly maxEntries = 10_000) {}

  /** A hit answers at once, not through a promise (every authenticated request asks). */
  get(key: string, load: () => Promise<V>): V | Promise<V> {
    const changeEpoch = this.changeEpoch;
    if (!changeEpoch) return load();
    const now = changeEpoch();
    if (now === null) {
      this.entries.clear();
      this.epoch = '';
      return load();
    }
    if (now !== this.epoch) {
      this.entries.clear();
      this.epoch = now;
    } else if (this.entries.has(key)) {
      return this.entries.get(key) as V;
    }
    return this.fill(key, load, changeEpoch, now);
  }

  private async fill(key: string, load: () => Promise<V>, changeEpoch: ChangeEpoch, now: string): Promise<V> {
    const value = await load();
    // A write during the load would make this value older than the epoch it is filed under.
    if (changeEpoch() === now) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, value);
    }
    return value;
  }
}

/**
 * The tables the cached look-ups read. PostgreSQL's change feed (migration 008) and SQLite's
 * change count (migration 012) have triggers on exactly these; a cache of anything else would
 * need a migration adding triggers for both and an entry here.
 * No foreign key or trigger lets a write to another table change their rows (users references
 * nothing; knox_tokens only users).
 */
export const CACHED_TABLES: ReadonlySet<string> = new Set(['users', 'knox_tokens']);

/**
 * What running a statement of this connection may do to what the caches hold:
 * - `none`: nothing (a read, a savepoint, a setting, a write to a table no cache reads);
 * - `begin`: a transaction starts;
 * - `write`: may change cached rows (a write to a cached table, or anything not understood);
 * - `commit`, `rollback`: a transaction ends; cached values read during it may be stale if it
 *   wrote a cached table; `rollback-to`: a savepoint's writes are undone, the transaction goes on.
 * Only the plain leading forms Kysely and this code write are recognised as harmless; a CTE,
 * a PRAGMA or anything unknown counts as a write (a needless emptying, never a stale answer).
 */
export type StatementEffect = 'none' | 'begin' | 'write' | 'commit' | 'rollback' | 'rollback-to';

const TABLE = String.raw`(?:"([A-Za-z_][A-Za-z0-9_]*)"|([A-Za-z_][A-Za-z0-9_]*))(?=[\s(]|$)`;
const WRITE_TARGET = new RegExp(
  String.raw`^(?:insert(?:\s+or\s+[a-z]+)?\s+into|replace\s+into|update(?:\s+or\s+[a-z]+)?|delete\s+from)\s+` + TABLE,
  'i',
);

export function statementEffect(sql: string): StatementEffect {
  const text = sql.trimStart();
  const word = /^[A-Za-z]+/.exec(text)?.[0].toLowerCase();
  switch (word) {
    case 'begin':
    case 'start': // START TRANSACTION [ISOLATION LEVEL ...]
      return 'begin';
    case 'select':
    case 'savepoint':
    case 'release':
    case 'set': // PostgreSQL session/transaction settings
    case 'show':
      return 'none';
    case 'commit':
    case 'end':
      return 'commit';
    case 'rollback':
    case 'abort':
      return /^rollback\s+(?:transaction\s+|work\s+)?to\b/i.test(text) ? 'rollback-to' : 'rollback';
    case 'insert':
    case 'replace':
    case 'update':
    case 'delete': {
      const m = WRITE_TARGET.exec(text);
      if (!m) return 'write';
      // Lower-cased even when quoted: SQLite's identifiers are case-insensitive either way.
      const table = (m[1] ?? m[2]).toLowerCase();
      return CACHED_TABLES.has(table) ? 'write' : 'none';
    }
    default:
      return 'write';
  }
}

/**
 * Follows one connection's statements and says when the caches must move on: after a write that
 * may change a cached row (at once, so this process never serves what it just changed), and
 * again when a transaction that made one ends (what was read while it ran may be stale now).
 */
export class WriteTracker {
  private inTransaction = false;
  /** The open transaction wrote a cached table. */
  private dirty = false;

  constructor(private readonly moved: () => void) {}

  ran(effect: StatementEffect): void {
    switch (effect) {
      case 'none':
        return;
      case 'begin':
        this.inTransaction = true;
        return;
      case 'write':
        if (this.inTransaction) this.dirty = true;
        this.moved();
        return;
      default:
        // A transaction's end, or a rollback to a savepoint: only one that wrote a cached table matters.
        if (this.dirty) this.moved();
        if (effect !== 'rollback-to') this.dirty = this.inTransaction = false;
    }
  }

  /** The connection goes back to its pool (or broke): nothing of a transaction outlives it. */
  reset(): void {
    if (this.dirty) this.moved();
    this.dirty = this.inTransaction = false;
  }
}
