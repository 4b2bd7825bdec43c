// What every account action is built from. Actions are the only writers of a user's row and
// of what hangs on it; surfaces and the admin call them and word the outcome themselves.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { AccountKeys } from '../account-keys.js';
import type { AccountMail } from '../account-mail.js';
import type { Accounts } from '../accounts.js';
import type { Audit, AuditPerson, RequestMeta } from '../audit.js';
import type { SessionStore } from '../browser-sessions.js';
import type { EmailTokens } from '../email-tokens.js';
import type { Outbox } from '../events/outbox.js';
import type { KnoxTokens } from '../knox.js';
import type { Lockout } from '../lockout.js';
import type { MediaStore } from '../media.js';
import type { Metrics } from '../metrics.js';
import type { PasswordHasher } from '../passwords.js';
import type { Revocation } from '../revocation.js';

export type Db = Kysely<Database> | Transaction<Database>;

/** Failures that must not fail the action that caused them (a file left behind, a mail). */
export type Warn = (err: unknown, what: string) => void;

export interface ActionDeps {
  db: Kysely<Database>;
  accounts: Accounts;
  passwords: PasswordHasher;
  lockout: Lockout;
  revocation: Revocation;
  emailTokens: EmailTokens;
  accountKeys: AccountKeys;
  knox: KnoxTokens;
  sessions: SessionStore;
  mail: AccountMail;
  media: MediaStore;
  audit: Audit;
  metrics: Metrics;
  /** Events are written in the transaction of the change they report (events.md §1). */
  outbox: Outbox;
  warn: Warn;
}

/** Who asks for an action and from where: recorded in the audit entry. */
export interface ActionContext {
  meta: RequestMeta;
  /** The person acting, when it is not the user acted on (a staff member), or the user themself. */
  actor?: AuditPerson | null;
}
