// Before any test: when the suite is asked to run on PostgreSQL and Redis, both must answer.
// A missing service fails the run; it never silently falls back to SQLite. (.ci/run runs the
// suite twice, on SQLite and then with both set, and checks the services before that.)
import pg from 'pg';
import { Redis } from 'ioredis';

export default async function setup(): Promise<void> {
  const dbUrl = process.env.TEST_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL;
  if (dbUrl) {
    const client = new pg.Client({ connectionString: dbUrl, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (err) {
      throw new Error(`TEST_DATABASE_URL is set but PostgreSQL cannot be reached: ${(err as Error).message}`, { cause: err });
    } finally {
      await client.end().catch(() => {});
    }
  }
  if (redisUrl) {
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5000 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      await redis.ping();
    } catch (err) {
      throw new Error(`TEST_REDIS_URL is set but Redis cannot be reached: ${(err as Error).message}`, { cause: err });
    } finally {
      redis.disconnect();
    }
  }
}
