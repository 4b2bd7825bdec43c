// What surfaces and http/ get from the core: configuration, reads, credentials and the account
// actions. No database, no kv, no store: every rule and every table is the core's (the compiler
// proves it, since nothing here exposes them), and an account changes only through `actions`.
import type { Core } from './core/core.js';
import type { Accounts } from './core/accounts.js';
import type { Lockout } from './core/lockout.js';

export type { ResolvedConfig } from './core/core.js';

/** Looking users up; changes go through `actions`. */
export type AccountReads = Pick<Accounts, 'byId' | 'byNumber' | 'byEmail' | 'byUsername' | 'byLogin' | 'emailTaken' | 'usernameTaken'>;

export interface AppContext
  extends Pick<
    Core,
    | 'config'
    | 'log'
    | 'metrics'
    | 'health'
    | 'login'
    | 'actions'
    | 'v1Auth'
    | 'v1Logins'
    | 'v1Keys'
    | 'knox'
    | 'apiUserTokens'
    | 'accountKeys'
    | 'userAccountTokens'
    | 'sessions'
    | 'throttle'
    | 'accountMail'
    | 'media'
    | 'profiles'
    | 'admin'
    | 'events'
    | 'mfa'
    | 'passkeys'
    | 'oidc'
  > {
  readonly accounts: AccountReads;
  /** The lockout policy, to show a lock (admin); logins settle it themselves. */
  readonly lockout: Pick<Lockout, 'enabled' | 'lockedUntil' | 'currentStreak'>;
}
