// Passkeys (WebAuthn) for one app: registration, passwordless login and management over one
// database, built from explicit dependencies (no module state; two apps can share a process).
// Routes hold none of the rules: they resolve the relying party (resolveRelyingParty), call one
// method and turn its result union into their answer.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Accounts } from '../accounts.js';
import type { Outbox } from '../events/outbox.js';
import type { Audit } from '../audit.js';
import type { Lockout } from '../lockout.js';
import type { Mailer } from '../mail.js';
import type { Metrics } from '../metrics.js';
import { nowMicros } from '../time.js';
import { PasskeyAuthentication } from './authentication.js';
import { WebAuthnChallenges } from './challenges.js';
import { type OtherWayIn, PasskeyManagement } from './management.js';
import { PasskeyMetrics } from './metrics.js';
import { PasskeyMail } from './passkey-mail.js';
import { PasskeyRegistration } from './registration.js';

export interface PasskeysDeps {
  db: Kysely<Database>;
  accounts: Pick<Accounts, 'byNumber'>;
  /** A login of a locked account is refused after the assertion (passkeys.md §3.2). */
  lockout: Pick<Lockout, 'lockedUntil'>;
  audit: Audit;
  mailer: Mailer;
  metrics: Pick<Metrics, 'registry' | 'mails' | 'logins'>;
  /** See `OtherWayIn`: usable password or linked social identity (passkeys.md §4). */
  hasOtherWayIn: OtherWayIn;
  /** passkey.added and passkey.removed go in the change's own transaction (events.md §1). */
  outbox: Outbox;
  /** Microseconds since the epoch; tests move it to expire challenges. */
  clock?: () => number;
}

export class Passkeys {
  readonly registration: PasskeyRegistration;
  readonly authentication: PasskeyAuthentication;
  readonly management: PasskeyManagement;

  constructor(d: PasskeysDeps) {
    const clock = d.clock ?? nowMicros;
    const challenges = new WebAuthnChallenges(d.db, clock);
    const metrics = new PasskeyMetrics(d.metrics.registry);
    const mail = new PasskeyMail(d.mailer, d.metrics);
    this.registration = new PasskeyRegistration({ db: d.db, challenges, audit: d.audit, outbox: d.outbox, mail, metrics, clock });
    this.authentication = new PasskeyAuthentication({ db: d.db, accounts: d.accounts, challenges, audit: d.audit, metrics, logins: d.metrics.logins, lockout: d.lockout, clock });
    this.management = new PasskeyManagement({ db: d.db, challenges, audit: d.audit, outbox: d.outbox, mail, hasOtherWayIn: d.hasOtherWayIn });
  }
}

export { resolveRelyingParty, type RelyingParty, type RelyingPartyResult, type RelyingPartySettings } from './relying-party.js';
export { REGISTRATION_FAILURE_SENTENCES, type RegistrationFailure, type RegistrationResult, type RegistrationOptionsResult, type RegisterInput } from './registration.js';
export type { AssertionFailure, AssertionResult, LoginOptions, PasskeyLoginResult, VerifyLoginInput } from './authentication.js';
export type { OtherWayIn, RemoveResult, RenameResult } from './management.js';
export { MAX_PASSKEYS_PER_USER, type PasskeyObject, type Within } from './store.js';
