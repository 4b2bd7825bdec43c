// The admin UI's pending second login step (mfa.md §4) waits in the browser session for five
// minutes: two columns of `browser_sessions`, the step's token sealed under the cookie value and
// its expiry. (With REDIS_URL the sessions live in Redis and these stay empty.)
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './db.js';

export const m008_session_mfa_step = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>) {
    const big = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema.alterTable('browser_sessions').addColumn('mfa_step', 'text').execute();
    await db.schema.alterTable('browser_sessions').addColumn('mfa_expires', big).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('browser_sessions').dropColumn('mfa_expires').execute();
    await db.schema.alterTable('browser_sessions').dropColumn('mfa_step').execute();
  },
});
