// A cache for the look-ups every authenticated request makes (a knox token, a user by id),
// valid only while the database has not changed at all. The "has it changed" signal comes from
// the store (store/db.ts): on SQLite, a count of this connection's writes (seen at once) and
// PRAGMA data_version for other connections' commits (asked once per event-loop turn, so seen
// by the requests of the next turn); on PostgreSQL, the change feed's generation, which moves
// with this process's writes at once and with every other instance's commit when its
// notification arrives. Any write anywhere, a logout, a deactivation, a lockout, empties the
// cache, so a hit is what the query would have returned. With no signal, nothing is cached.

/**
 * A token that changes whenever anything cached may have changed; null while that cannot be
 * known (PostgreSQL's change feed is down), when nothing may be served from a cache.
 */
export type ChangeEpoch = () => string | null;

export class EpochCache<V> {
  private readonly entries = new Map<string, V>();
  private epoch = '';

  constructor(private readonly changeEpoch: ChangeEpoch | null, private readonly maxEntries = 10_000) {}

  async get(key: string, load: () => Promise<V>): Promise<V> {
    if (!this.changeEpoch) return load();
    const now = this.changeEpoch();
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
    const value = await load();
    // A write during the load would make this value older than the epoch it is filed under.
    if (this.changeEpoch() === now) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, value);
    }
    return value;
  }
}
