// What lets PostgreSQL instances cache credential look-ups and still see every change at once.
// Triggers on `users` and `knox_tokens` (migration 008) call pg_notify on every committed change;
// each instance LISTENs on a connection of its own and moves a generation counter with each
// notification. A read cache serves only while the generation it filled under is the current
// one; while the LISTEN connection is down there is no generation at all, and nothing is served
// from the cache (it fails closed to the database), until the connection is back.
import pg from 'pg';

export const CHANGE_CHANNEL = 'gatehouse_auth_changes';

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;

export class PgChangeFeed {
  private client: pg.Client | null = null;
  private generation = 0;
  private live = false;
  private closed = false;
  private retryMs = RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;

  constructor(private readonly connectionString: string, private readonly onError: (err: Error) => void) {}

  /**
   * This process wrote users or knox_tokens (or ran a statement the store cannot classify; see
   * read-cache.ts): its own caches move on at once, without waiting for the notification (which
   * still comes, after the commit, and moves them on again).
   */
  localWrite(): void {
    this.generation++;
  }

  /** The current generation, or null while changes cannot be heard (caches must not serve). */
  token(): string | null {
    return this.live ? String(this.generation) : null;
  }

  async start(): Promise<void> {
    await this.connect().catch((err: Error) => this.retry(err));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.live = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'gatehouse-change-feed', keepAlive: true, connectionTimeoutMillis: 2_000 });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('change feed connection ended')));
    client.on('notification', () => {
      this.generation++;
    });
    await client.connect();
    await client.query(`LISTEN ${CHANGE_CHANNEL}`);
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    // Whatever changed while nobody listened is unknown: a new generation empties every cache.
    this.generation++;
    this.live = true;
    this.retryMs = RETRY_MIN_MS;
  }

  private lost(client: pg.Client, err: Error): void {
    if (this.client !== client) return;
    this.client = null;
    this.live = false;
    client.end().catch(() => {});
    this.retry(err);
  }

  private retry(err: Error): void {
    if (this.closed) return;
    this.onError(err);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.connect().catch((e: Error) => this.retry(e));
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
