// The core, built once per app from the configuration and the two stores (database and kv).
// `Core` is every service; `AppContext` (src/context.ts) is the part surfaces may use: no
// database, no kv, no store, and no way to change an account except through `actions`.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Kv } from '../kv/kv.js';
import type { Dialect, Store } from '../store/db.js';
import { ping } from '../store/migrations.js';
import type { Database } from '../store/schema.js';
import { AccountActions } from './actions/index.js';
import { AccountKeys } from './account-keys.js';
import { AccountMail, type LinkBase } from './account-mail.js';
import { Accounts } from './accounts.js';
import { AdminCore } from './admin/index.js';
import { ApiUserTokens } from './api-user-tokens.js';
import { Audit } from './audit.js';
import { BrowserSessions, type SessionStore } from './browser-sessions.js';
import { EmailTokens } from './email-tokens.js';
import { Events, type EventsDeps } from './events/index.js';
import { Mfa } from './mfa/index.js';
import { type Oidc, createOidc } from './oidc/index.js';
import { Passkeys } from './passkeys/index.js';
import { KnoxTokens } from './knox.js';
import { Lockout } from './lockout.js';
import { Login } from './login.js';
import { Mailer } from './mail.js';
import { MediaStore } from './media.js';
import { Metrics } from './metrics.js';
import { PasswordHasher } from './passwords.js';
import { Profiles } from './profiles.js';
import { Revocation } from './revocation.js';
import { SecretKeys } from './secrets.js';
import { Throttle } from './throttle.js';
import { UserAccountTokens } from './user-account-tokens.js';
import { V1Credentials } from './v1-credentials.js';
import type { V1Keys } from './v1-keys.js';
import { V1Logins } from './v1-logins.js';

export interface ResolvedConfig extends Config {
  readonly secretKey: string;
}

/** What the core logs through (pino's, handed down by the app). */
export interface CoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Readiness of the stores the core depends on (`/readyz`). */
export class Health {
  constructor(private readonly db: Kysely<Database>, private readonly kv: Kv) {}

  /** The kv's name in the readiness report: `redis`, or `kv` for the in-process one. */
  get kvName(): 'redis' | 'kv' {
    return this.kv.kind === 'redis' ? 'redis' : 'kv';
  }

  pingDatabase(): Promise<void> {
    return ping(this.db);
  }

  pingKv(): Promise<void> {
    return this.kv.ping();
  }
}

export interface CoreInputs {
  config: ResolvedConfig;
  store: Store;
  kv: Kv;
  log: CoreLogger;
  v1Keys: V1Keys;
  /** Where mailed links start (v1.md §0.11). */
  linkBase: LinkBase;
  /** Browser sessions in Redis when configured (v1.md §0.4); the database otherwise. */
  sessions?: SessionStore;
  processMetrics?: boolean;
  /** Seams of the events core for tests: DNS answers and the worker's and publisher's pacing. */
  events?: Pick<EventsDeps, 'resolver' | 'worker' | 'publisher'>;
  /**
   * The statement deadline of the store's connections (ms); webhook deliveries run in a thread
   * on a connection of their own with the same. Not given, or an in-memory database: they run
   * in this process.
   */
  deliveryThreadTimeoutMs?: number;
}

export interface Core {
  readonly config: ResolvedConfig;
  readonly log: CoreLogger;
  readonly metrics: Metrics;
  readonly health: Health;
  readonly store: Store;
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly kv: Kv;
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
  readonly mailer: Mailer;
  readonly media: MediaStore;
  readonly profiles: Profiles;
  readonly knox: KnoxTokens;
  readonly v1Keys: V1Keys;
  readonly v1Auth: V1Credentials;
  readonly v1Logins: V1Logins;
  readonly apiUserTokens: ApiUserTokens;
  readonly accountKeys: AccountKeys;
  readonly userAccountTokens: UserAccountTokens;
  readonly actions: AccountActions;
  readonly admin: AdminCore;
  /** The outbox, webhook endpoints, delivery worker and broker publisher (events.md). */
  readonly events: Events;
  /** Two-factor: TOTP, recovery codes and the login's second step (mfa.md). */
  readonly mfa: Mfa;
  /** Passkeys: registration, login assertions and management (passkeys.md). */
  readonly passkeys: Passkeys;
  /** Sign-in with OpenID Connect providers and linked identities (social.md). */
  readonly oidc: Oidc;
}

export function createCore(i: CoreInputs): Core {
  const { config, store, kv, log, v1Keys } = i;
  const db = store.db;
  const metrics = new Metrics(i.processMetrics ?? true);
  const secrets = new SecretKeys(config.secretKey);
  const passwords = new PasswordHasher(config.argon2);
  const accounts = new Accounts(db, passwords, store.changeEpoch);
  const audit = new Audit(db);
  const sessions = i.sessions ?? new BrowserSessions(db);
  const media = new MediaStore(path.join(config.dataDir, 'media'));
  const mailer = new Mailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, outboxDir: path.join(config.dataDir, 'outbox') }, log);
  const thread = i.deliveryThreadTimeoutMs !== undefined && config.databaseUrl !== 'sqlite::memory:'
    ? { databaseUrl: config.databaseUrl, secretKey: config.secretKey, timeoutMs: i.deliveryThreadTimeoutMs }
    : undefined;
  const events = new Events({ db, dialect: store.dialect, secrets, audit, config, registry: metrics.registry, log, thread, ...i.events });
  const lockout = new Lockout(db, { failures: config.lockoutFailures, minutes: config.lockoutMinutes }, events.outbox);
  const revocation = new Revocation({ db, kv, sessions, metrics, removeMedia: (n) => media.removeUserDir(n) });
  const mfa = new Mfa({ db, secrets, accounts, lockout, audit, mailer, metrics, config, outbox: events.outbox });
  // Passkeys and provider identities each count as a way in for the other's "last way in" rule.
  const oidcRef: { current: Oidc | null } = { current: null };
  const passkeys = new Passkeys({
    db, accounts, lockout, audit, mailer, metrics, outbox: events.outbox,
    hasOtherWayIn: async (user, db) => passwords.isUsable(user.password) || ((await oidcRef.current?.identities.has(user.number, db)) ?? false),
  });
  const oidc = createOidc({
    config, db, secrets, accounts, passwords, lockout, audit, mailer, metrics, outbox: events.outbox,
    // Read in the unlink's transaction (`db`): on SQLite another connection would wait for it.
    hasPasskey: async (userNumber, db) => (await passkeys.management.count(userNumber, true, db)) > 0,
    onProviderProblem: (problem) => log.warn({ ...problem }, 'oidc provider problem'),
  });
  oidcRef.current = oidc;
  // A passkey counts as a second factor for ADMIN_REQUIRE_MFA (mfa.md §4).
  const hasSecondFactor = async (n: number) => (await mfa.enrolment.isEnabled(n)) || (await passkeys.management.count(n, true)) > 0;
  const login = new Login({
    db, accounts, passwords, lockout, audit, metrics, outbox: events.outbox, secondFactor: mfa.challenges, hasSecondFactor,
    onBackgroundError: (err) => log.error({ err }, 'background task failed'),
  });
  const emailTokens = new EmailTokens(db, secrets);
  const accountMail = new AccountMail({ config, linkBase: i.linkBase, kv, emailTokens, mailer, metrics });
  const knox = new KnoxTokens(db, metrics, () => config.v1KnoxTokenLimit, store.changeEpoch);
  const accountKeys = new AccountKeys(db, secrets);
  const profiles = new Profiles(db);
  const v1Logins = new V1Logins({
    db,
    audit,
    codec: v1Keys.codec,
    accounts,
    revocation,
    metrics,
    outbox: events.outbox,
    settings: { accessTtlSec: config.v1AccessTtlSec, refreshTtlSec: config.v1RefreshTtlSec, graceSec: config.v1RefreshGraceSec },
  });
  const actions = new AccountActions({
    db, accounts, passwords, lockout, revocation, emailTokens, accountKeys, knox, sessions, mail: accountMail, media, audit, metrics,
    outbox: events.outbox,
    warn: (err, what) => log.warn({ err }, what),
  });
  return {
    config, log, metrics, store, db, dialect: store.dialect, kv, secrets, passwords, accounts, lockout, login, audit, sessions,
    revocation, emailTokens, accountMail, mailer, media, profiles, knox, v1Keys, v1Logins, accountKeys, actions, events, mfa, passkeys, oidc,
    health: new Health(db, kv),
    throttle: new Throttle(kv),
    v1Auth: new V1Credentials(db, kv, accounts, knox, v1Keys),
    apiUserTokens: new ApiUserTokens(secrets, revocation),
    userAccountTokens: new UserAccountTokens(secrets, revocation),
    admin: new AdminCore({ db, dialect: store.dialect, accounts, lockout, profiles, audit, actions, mail: accountMail, mfa, passkeys, outbox: events.outbox,
      requireMfa: config.adminRequireMfa, hasSecondFactor,
    }),
  };
}
