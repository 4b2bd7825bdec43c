// What the staff actions and reads are built from.
import type { Kysely } from 'kysely';
import type { Dialect } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import type { AccountActions } from '../actions/index.js';
import type { AccountMail } from '../account-mail.js';
import type { Accounts } from '../accounts.js';
import type { Audit } from '../audit.js';
import type { Lockout } from '../lockout.js';
import type { Outbox } from '../events/outbox.js';
import type { Mfa } from '../mfa/index.js';
import type { Passkeys } from '../passkeys/index.js';
import type { Profiles } from '../profiles.js';

export interface AdminDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  accounts: Accounts;
  lockout: Lockout;
  profiles: Profiles;
  audit: Audit;
  actions: AccountActions;
  mail: AccountMail;
  /** Two-factor (mfa.md §4): the admin reset, and what the user object shows. */
  mfa: Pick<Mfa, 'enrolment'>;
  passkeys: Pick<Passkeys, 'management'>;
  outbox: Pick<Outbox, 'record'>;
  /** ADMIN_REQUIRE_MFA: staff need a second factor of their own (TOTP on, or a usable passkey). */
  requireMfa: boolean;
  hasSecondFactor: (userNumber: number) => Promise<boolean>;
}
