// What every two-factor operation is given, and the callback that lets the caller add its own
// writes (a domain event, the end of other sessions) to the operation's transaction.
import type { Kysely, Transaction } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../store/schema.js';
import type { Accounts, User } from '../accounts.js';
import type { Audit, AuditPerson, RequestMeta } from '../audit.js';
import type { Lockout } from '../lockout.js';
import type { Mailer } from '../mail.js';
import type { Metrics } from '../metrics.js';
import type { Outbox } from '../events/outbox.js';
import type { SecretKeys } from '../secrets.js';

export interface MfaDeps {
  db: Kysely<Database>;
  secrets: SecretKeys;
  accounts: Accounts;
  lockout: Lockout;
  audit: Audit;
  mailer: Mailer;
  metrics: Metrics;
  config: Pick<Config, 'mfaIssuer'>;
  /** Each change's event (mfa.enabled, mfa.disabled, session.created) goes in its own transaction. */
  outbox: Outbox;
  /** Now, in µs since the epoch (core/time.ts nowMicros unless a test pins it). */
  clock?: () => number;
}

/**
 * Runs inside the operation's transaction, after its own writes and before the commit; if it
 * throws, nothing of the operation is kept (no code spent, no state changed, no notice sent).
 * It must use `trx` only: on SQLite any other query waits for this transaction to end.
 */
export type Within = (trx: Transaction<Database>) => Promise<void>;

/** The account an operation is about, as the route layer has it. */
export type MfaUser = Pick<User, 'number' | 'id' | 'email' | 'username' | 'full_name' | 'email_verified' | 'is_active' | 'is_staff'>;

export interface OperationOptions {
  meta: RequestMeta;
  within?: Within;
}

export interface AdminOptions extends OperationOptions {
  actor: AuditPerson;
}
