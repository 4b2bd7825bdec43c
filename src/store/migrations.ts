// Versioned migrations, applied in order by `serve` and `migrate`. Each one is written once for
// both dialects; the few differences (auto-increment keys) are chosen by `dialect`.
import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Dialect } from './db.js';
import { m003_mfa } from './migration-mfa.js';
import { m006_events } from './migration-events.js';
import { passkeysMigration } from './migration-passkeys.js';
import { m005_oidc } from './migration-oidc.js';
import { migrationInfra } from './migration-infra.js';
import { migrationChangeFeed } from './migration-change-feed.js';
import { m008_session_mfa_step } from './migration-session-mfa-step.js';
import { m010_webhook_lease_index } from './migration-webhook-lease-index.js';
import { m011_webhook_claim_order } from './migration-webhook-claim-order.js';
import { m013_webhook_lease_partial } from './migration-webhook-lease-partial.js';
import { migrationChangeCount } from './migration-change-count.js';
import { ServiceUnavailable } from '../errors.js';

type Builder = (dialect: Dialect) => Migration;

function serialKey(dialect: Dialect) {
  // SQLite: AUTOINCREMENT never reuses a number; PostgreSQL identities come from a sequence.
  return dialect === 'sqlite'
    ? (col: any) => col.primaryKey().autoIncrement()
    : (col: any) => col.primaryKey().generatedByDefaultAsIdentity();
}

const m001_core: Builder = (dialect) => ({
  async up(db: Kysely<any>) {
    const big = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema
      .createTable('users')
      .addColumn('number', big, serialKey(dialect))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('email', 'text')
      .addColumn('email_ci', 'text', (c) => c.unique())
      .addColumn('username', 'text')
      .addColumn('username_ci', 'text', (c) => c.unique())
      .addColumn('password', 'text')
      .addColumn('full_name', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('phone', 'text')
      .addColumn('contacts', 'text')
      .addColumn('avatar', 'text')
      .addColumn('picture', 'text')
      .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('is_staff', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('is_superuser', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('updated', big, (c) => c.notNull())
      .addColumn('last_login', big)
      .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_failure_at', big)
      .addColumn('locked_until', big)
      .execute();
    await db.schema.createIndex('users_created').on('users').columns(['created', 'number']).execute();

    await db.schema
      .createTable('knox_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('digest', 'text', (c) => c.notNull().unique())
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('expires', big, (c) => c.notNull())
      .addColumn('last_used', big)
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .execute();
    await db.schema.createIndex('knox_tokens_user').on('knox_tokens').columns(['user_number', 'created']).execute();

    await db.schema
      .createTable('account_tokens')
      .addColumn('user_number', big, (c) => c.primaryKey().references('users.number').onDelete('cascade'))
      .addColumn('digest', 'text', (c) => c.notNull().unique())
      .addColumn('sealed', 'text', (c) => c.notNull())
      .addColumn('created', big, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('jwt_logins')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('last_used', big)
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('refresh_jti', 'text', (c) => c.notNull())
      .addColumn('refresh_exp', big, (c) => c.notNull())
      .addColumn('ended_at', big)
      .execute();
    await db.schema.createIndex('jwt_logins_user').on('jwt_logins').columns(['user_id', 'created']).execute();

    await db.schema
      .createTable('jwt_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('surface', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('login_id', 'text')
      .addColumn('iat', big, (c) => c.notNull())
      .addColumn('exp', big, (c) => c.notNull())
      .addColumn('revoked_at', big)
      .addColumn('revoked_reason', 'text')
      .addColumn('replaced_by', 'text')
      .execute();
    await db.schema.createIndex('jwt_tokens_user').on('jwt_tokens').columns(['user_id', 'exp']).execute();
    await db.schema.createIndex('jwt_tokens_login').on('jwt_tokens').columns(['login_id']).execute();
    await db.schema.createIndex('jwt_tokens_revoked').on('jwt_tokens').columns(['revoked_at', 'exp']).execute();

    await db.schema
      .createTable('browser_sessions')
      .addColumn('key_digest', 'text', (c) => c.primaryKey())
      .addColumn('login_user', big)
      .addColumn('login_expires', big)
      .addColumn('refresh_jti', 'text')
      .addColumn('refresh_expires', big)
      .addColumn('expires', big, (c) => c.notNull())
      .addColumn('created', big, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('browser_sessions_user').on('browser_sessions').columns(['login_user']).execute();
    await db.schema.createIndex('browser_sessions_expires').on('browser_sessions').columns(['expires']).execute();

    await db.schema
      .createTable('profiles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('bio', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('instagram', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('updated', big, (c) => c.notNull())
      .addUniqueConstraint('profiles_one_per_kind', ['user_number', 'kind'])
      .execute();
    await db.schema.createIndex('profiles_kind_created').on('profiles').columns(['kind', 'created', 'id']).execute();

    await db.schema
      .createTable('email_tokens')
      .addColumn('digest', 'text', (c) => c.primaryKey())
      .addColumn('user_number', big, (c) => c.notNull().references('users.number').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('created', big, (c) => c.notNull())
      .addColumn('expires', big, (c) => c.notNull())
      .addColumn('used_at', big)
      .execute();
    await db.schema.createIndex('email_tokens_user').on('email_tokens').columns(['user_number', 'purpose']).execute();

    await db.schema
      .createTable('audit_log')
      .addColumn('id', big, serialKey(dialect))
      .addColumn('at', big, (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('surface', 'text', (c) => c.notNull())
      .addColumn('actor_id', 'text')
      .addColumn('actor_email', 'text')
      .addColumn('actor_username', 'text')
      .addColumn('user_id', 'text')
      .addColumn('user_email', 'text')
      .addColumn('user_username', 'text')
      .addColumn('ip', 'text')
      .addColumn('user_agent', 'text')
      .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
      .execute();
    await db.schema.createIndex('audit_at').on('audit_log').columns(['at']).execute();
    await db.schema.createIndex('audit_event_at').on('audit_log').columns(['event', 'at']).execute();
    await db.schema.createIndex('audit_user_at').on('audit_log').columns(['user_id', 'at']).execute();
    await db.schema.createIndex('audit_actor_at').on('audit_log').columns(['actor_id', 'at']).execute();
  },
  async down(db: Kysely<any>) {
    for (const t of ['audit_log', 'email_tokens', 'profiles', 'browser_sessions', 'jwt_tokens', 'jwt_logins', 'account_tokens', 'knox_tokens', 'users']) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
});

/**
 * Attempts in flight per account (v1.md §0.7 "Under concurrency"): a login takes a leased slot
 * before its password is checked, so a burst never checks more guesses than the lockout allows.
 */
const m002_login_slots: Builder = (dialect) => ({
  async up(db: Kysely<any>) {
    const big = dialect === 'sqlite' ? 'integer' : 'bigint';
    await db.schema.alterTable('users').addColumn('login_pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.alterTable('users').addColumn('login_pending_until', big).execute();
  },
  async down(db: Kysely<any>) {
    await db.schema.alterTable('users').dropColumn('login_pending_until').execute();
    await db.schema.alterTable('users').dropColumn('login_pending').execute();
  },
});

const MIGRATIONS: Record<string, Builder> = {
  '001_core': m001_core,
  '002_login_slots': m002_login_slots,
  '003_mfa': m003_mfa,
  '004_passkeys': passkeysMigration,
  '005_oidc': m005_oidc,
  '006_events': m006_events,
  '007_infra': migrationInfra,
  '008_change_feed': migrationChangeFeed,
  '009_session_mfa_step': m008_session_mfa_step,
  '010_webhook_lease_index': m010_webhook_lease_index,
  '011_webhook_claim_order': m011_webhook_claim_order,
  '012_change_count': migrationChangeCount,
  '013_webhook_lease_partial': m013_webhook_lease_partial,
};

class CodeMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(Object.entries(MIGRATIONS).map(([name, build]) => [name, build(this.dialect)]));
  }
}

/** Applies every pending migration; returns the names applied. Throws on failure. */
export async function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new CodeMigrations(dialect), migrationTableName: 'gatehouse_migrations', migrationLockTableName: 'gatehouse_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Cheap round trip for /readyz: a database that gives no answer within `timeoutMs` is down. */
export async function ping(db: Kysely<any>, timeoutMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailable('database', 'no answer')), timeoutMs);
  });
  try {
    await Promise.race([sql`select 1`.execute(db), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
