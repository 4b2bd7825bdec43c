// Passkeys (WebAuthn): the per-user handle, the credentials and the pending challenges. Every
// row hangs on the user with ON DELETE CASCADE, so deleting a user deletes their passkeys.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './db.js';

export function passkeysMigration(dialect: Dialect): Migration {
  const big = dialect === 'sqlite' ? 'integer' : 'bigint';
  return {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('webauthn_user_handles')
        .addColumn('user_number', big, (c) => c.primaryKey().references('users.number').onDelete('cascade'))
        .addColumn('handle', 'text', (c) => c.notNull().unique())
        .addColumn('created', big, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
        // The unique index, not a prior SELECT, decides who keeps a credential id.
        .addColumn('credential_id', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', 'text', (c) => c.notNull())
        // The counter is an unsigned 32-bit number: too big for PostgreSQL's integer.
        .addColumn('sign_count', big, (c) => c.notNull().defaultTo(0))
        .addColumn('transports', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('backed_up', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('device_type', 'text', (c) => c.notNull())
        .addColumn('aaguid', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created', big, (c) => c.notNull())
        .addColumn('last_used', big)
        .addColumn('disabled_at', big)
        .execute();
      await db.schema.createIndex('passkeys_user_created').on('passkeys').columns(['user_number', 'created']).execute();

      await db.schema
        .createTable('webauthn_challenges')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('user_number', big, (c) => c.references('users.number').onDelete('cascade'))
        .addColumn('challenge', 'text', (c) => c.notNull())
        .addColumn('created', big, (c) => c.notNull())
        .addColumn('expires', big, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webauthn_challenges_expires').on('webauthn_challenges').columns(['expires']).execute();
      await db.schema.createIndex('webauthn_challenges_user').on('webauthn_challenges').columns(['user_number']).execute();
    },
    async down(db: Kysely<any>) {
      for (const t of ['webauthn_challenges', 'passkeys', 'webauthn_user_handles']) {
        await db.schema.dropTable(t).ifExists().execute();
      }
    },
  };
}
