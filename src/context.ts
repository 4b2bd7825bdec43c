// The one object passed down from app.ts to every surface: configuration and the core
// services, built once per app (no module-level singletons, so two apps can share a process).
import type { FastifyBaseLogger } from 'fastify';
import type { Kysely } from 'kysely';
import type { Config } from './config.js';
import type { Kv } from './kv/kv.js';
import type { Database } from './store/schema.js';
import type { Dialect, Store } from './store/db.js';
import type { Accounts } from './core/accounts.js';
import type { Audit } from './core/audit.js';
import type { SessionStore } from './core/browser-sessions.js';
import type { EmailTokens } from './core/email-tokens.js';
import type { AccountMail } from './core/account-mail.js';
import type { KnoxTokens } from './core/knox.js';
import type { Profiles } from './core/profiles.js';
import type { V1Keys } from './core/v1-keys.js';
import type { V1Credentials } from './http/v1-credentials.js';
import type { Lockout } from './core/lockout.js';
import type { Login } from './core/login.js';
import type { Mailer } from './core/mail.js';
import type { MediaStore } from './core/media.js';
import type { Metrics } from './core/metrics.js';
import type { PasswordHasher } from './core/passwords.js';
import type { Revocation } from './core/revocation.js';
import type { SecretKeys } from './core/secrets.js';
import type { Throttle } from './core/throttle.js';
import type { Events } from './core/events/index.js';

export interface ResolvedConfig extends Config {
  readonly secretKey: string;
}

export interface AppContext {
  readonly config: ResolvedConfig;
  readonly store: Store;
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly kv: Kv;
  readonly log: FastifyBaseLogger;
  readonly metrics: Metrics;
  readonly secrets: SecretKeys;
  readonly passwords: PasswordHasher;
  readonly accounts: Accounts;
  readonly lockout: Lockout;
  readonly login: Login;
  readonly throttle: Throttle;
  readonly audit: Audit;
  readonly sessions: SessionStore;
  readonly revocation: Revocation;
  readonly emailTokens: EmailTokens;
  readonly accountMail: AccountMail;
  readonly profiles: Profiles;
  readonly knox: KnoxTokens;
  /** v1 JWT keys and codec (also used by the admin JSON API). */
  readonly v1Keys: V1Keys;
  /** v1 credential checks (knox Token, v1 Bearer), shared by v1 and the admin JSON API. */
  readonly v1Auth: V1Credentials;
  readonly mailer: Mailer;
  readonly media: MediaStore;
  /** The outbox, webhook endpoints, delivery worker and broker publisher (events.md). */
  readonly events: Events;
}
