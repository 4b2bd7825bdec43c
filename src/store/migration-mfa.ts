// Two-factor authentication (mfa.md): the TOTP factor of a user, their recovery codes, and the
// second login steps in progress. Every row hangs on the user and goes with it (v1.md §0.9).
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './db.js';

export const m003_mfa = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>) {
    const big = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema
      .createTable('mfa_totp')
      .addColumn('user_number', big, (c) => c.primaryKey().references('users.number').onDelete('cascade'))
      .addColumn('secret', 'text')
      .addColumn('enabled_at', big)
      .addColumn('last_step', big)
      .addColumn('pending_secret', 'text')
      .addColumn('pending_expires', big)
      .addColumn('updated', big, (c) => c.notNull())
      .execute();
    // The admin stats count the accounts with TOTP on.
    await db.schema.createIndex('mfa_totp_enabled').on('mfa_totp').columns(['enabled_at']).execute();

    await db.schema
      .createTable('mfa_recovery_codes')
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('digest', 'text', (c) => c.notNull())
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('used_at', big)
      .addPrimaryKeyConstraint('mfa_recovery_codes_pk', ['user_number', 'digest'])
      .execute();

    await db.schema
      .createTable('mfa_challenges')
      .addColumn('digest', 'text', (c) => c.primaryKey())
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('context', 'text')
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('expires', big, (c) => c.notNull())
      .addColumn('wrong_codes', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('used_at', big)
      .execute();
    await db.schema.createIndex('mfa_challenges_user').on('mfa_challenges').columns(['user_number']).execute();
    await db.schema.createIndex('mfa_challenges_expires').on('mfa_challenges').columns(['expires']).execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['mfa_challenges', 'mfa_recovery_codes', 'mfa_totp']) await db.schema.dropTable(t).ifExists().execute();
  },
});
