// Sign-in with OpenID Connect providers (social.md): linked identities, authorization requests
// in flight and the one-time codes that follow a provider sign-in. Requests and codes live in
// the database rather than in memory so that any instance can finish a flow another began.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './db.js';

export const m005_oidc = (dialect: Dialect): Migration => ({
  async up(db: Kysely<any>) {
    const big = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema
      .createTable('oauth_identities')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('last_used', big)
      // One identity belongs to one user: a race of two first sign-ins links it once.
      .addUniqueConstraint('oauth_identities_provider_subject', ['provider', 'subject'])
      .execute();
    await db.schema.createIndex('oauth_identities_user').on('oauth_identities').columns(['user_number', 'created']).execute();

    await db.schema
      .createTable('oauth_states')
      .addColumn('state_digest', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('binding_digest', 'text', (c) => c.notNull())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('next', 'text', (c) => c.notNull())
      .addColumn('kind', 'text')
      .addColumn('link_user', big, (c) => c.references('users.number').onDelete('cascade'))
      .addColumn('redirect_uri', 'text', (c) => c.notNull())
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('expires', big, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oauth_states_expires').on('oauth_states').columns(['expires']).execute();
    await db.schema.createIndex('oauth_states_link_user').on('oauth_states').columns(['link_user']).execute();

    await db.schema
      .createTable('oauth_login_codes')
      .addColumn('code_digest', 'text', (c) => c.primaryKey())
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('expires', big, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('oauth_login_codes_expires').on('oauth_login_codes').columns(['expires']).execute();
    await db.schema.createIndex('oauth_login_codes_user').on('oauth_login_codes').columns(['user_number']).execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['oauth_login_codes', 'oauth_states', 'oauth_identities']) await db.schema.dropTable(t).ifExists().execute();
  },
});
