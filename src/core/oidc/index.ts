// Sign-in with OpenID Connect providers (social.md): one object per app, built from its
// settings and the core services it stands on.
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../store/schema.js';
import type { Accounts } from '../accounts.js';
import type { Audit } from '../audit.js';
import type { Lockout } from '../lockout.js';
import type { Mailer } from '../mail.js';
import type { Metrics } from '../metrics.js';
import type { PasswordHasher } from '../passwords.js';
import type { SecretKeys } from '../secrets.js';
import { type HasPasskey, Identities } from './identities.js';
import { OidcProviders, type ProviderProblem } from './providers.js';
import { OidcSignIn } from './sign-in.js';
import type { Outbox } from '../events/outbox.js';

export { OAUTH_COOKIE, OidcSignIn } from './sign-in.js';
export type { CallbackInput, CallbackResult, ExchangeResult, LinkInput, LinkResult, LoginError, StartInput, StartResult } from './sign-in.js';
export { Identities, lockUser } from './identities.js';
export type { AdminIdentityView, HasPasskey, IdentityView, UnlinkResult } from './identities.js';
export { OidcProviders } from './providers.js';
export type { ProviderLookup, ProviderProblem, ProviderSummary } from './providers.js';
export type { LoginKind } from './flows.js';

export interface OidcDeps {
  config: Pick<Config, 'oidcProviders' | 'oauthRedirectOrigins' | 'oidcAllowHttp'>;
  db: Kysely<Database>;
  secrets: SecretKeys;
  accounts: Accounts;
  passwords: Pick<PasswordHasher, 'isUsable'>;
  lockout: Lockout;
  audit: Audit;
  mailer: Mailer;
  metrics: Metrics;
  /** Where a user made by a sign-in records `user.created`. */
  outbox: Outbox;
  /** Whether the user has a passkey (the last-way-in rule); `async () => false` until passkeys exist. */
  hasPasskey: HasPasskey;
  /** Provider failures for the operator's log (no secret is ever in them). */
  onProviderProblem?: (problem: ProviderProblem) => void;
}

export interface Oidc {
  providers: OidcProviders;
  signIn: OidcSignIn;
  identities: Identities;
}

export function createOidc(d: OidcDeps): Oidc {
  const providers = new OidcProviders(d.config.oidcProviders, { allowHttp: d.config.oidcAllowHttp, onProblem: d.onProviderProblem });
  const identities = new Identities({ db: d.db, passwords: d.passwords, audit: d.audit, hasPasskey: d.hasPasskey });
  const signIn = new OidcSignIn({ ...d, providers, identities, redirectOrigins: d.config.oauthRedirectOrigins });
  return { providers, signIn, identities };
}
