// Table shapes as Kysely sees them. Times are integer microseconds since the epoch (core/time.ts),
// JWT `exp`/`iat` are seconds as in the tokens, flags are 0/1 integers on both databases.
import type { ColumnType, Generated } from 'kysely';

export interface UsersTable {
  number: Generated<number>; // never reused (AUTOINCREMENT / identity)
  id: string; // UUID
  email: string | null;
  email_ci: string | null; // lower-cased email, unique
  username: string | null;
  username_ci: string | null; // lower-cased username, unique
  password: string | null; // hash; null or '!…' is unusable
  full_name: string;
  phone: string | null;
  contacts: string | null;
  avatar: string | null; // media path 'avatars/<number>/<file>'
  picture: string | null; // preset picture URL (account surface)
  email_verified: number;
  is_active: number;
  is_staff: number;
  is_superuser: number;
  created: number;
  updated: number;
  last_login: number | null;
  failed_logins: number; // lockout streak (v1.md §0.7)
  last_failure_at: number | null;
  locked_until: number | null;
  login_pending: ColumnType<number, number | undefined, number>; // attempts in flight (lockout slots)
  login_pending_until: ColumnType<number | null, number | null | undefined, number | null>; // their lease
}

export interface KnoxTokensTable {
  id: string; // UUID, shown in sessions/
  digest: string; // SHA-512 hex of the 32 raw token bytes
  user_number: number;
  created: number;
  expires: number;
  last_used: number | null;
  ip: string | null;
  user_agent: string | null;
}

export interface AccountTokensTable {
  user_number: number;
  digest: string; // SHA-256 hex of the key, for look-up
  sealed: string; // the key, AES-GCM sealed with a key derived from SECRET_KEY
  created: number;
}

export interface JwtLoginsTable {
  id: string; // UUID: one v1 JWT login ("family")
  user_id: string; // UUID; no foreign key, so the record outlives the user
  created: number;
  last_used: number | null;
  ip: string | null;
  user_agent: string | null;
  refresh_jti: string; // the login's current refresh
  refresh_exp: number; // seconds
  ended_at: number | null;
}

export interface JwtTokensTable {
  jti: string;
  surface: string; // v1 | api-user | user-account
  type: string; // access | refresh
  user_id: string; // UUID; no foreign key, so blacklist entries outlive the user
  login_id: string | null; // v1 login family
  iat: number; // seconds
  exp: number; // seconds
  revoked_at: number | null;
  revoked_reason: string | null; // logout | rotated | superseded | revoked | deleted | reuse
  replaced_by: string | null; // rotation: the refresh that replaced this one
  presented_at: ColumnType<number | null, number | null | undefined, number | null>; // refresh: first presented to token/refresh
}

export interface BrowserSessionsTable {
  key_digest: string; // SHA-256 hex of the cookie value
  login_user: number | null; // login slot (users, admin)
  login_expires: number | null;
  refresh_jti: string | null; // refresh slot (v1)
  refresh_expires: number | null;
  mfa_step: string | null; // the admin login's pending second step: its mfa_token, sealed under the cookie value
  mfa_expires: number | null;
  expires: number; // the longest slot
  created: number;
}

export interface ProfilesTable {
  id: string;
  kind: string; // artist | collector
  user_number: number;
  bio: string;
  instagram: string;
  created: number;
  updated: number;
}

export interface EmailTokensTable {
  digest: string; // SHA-256 hex of the token
  user_number: number;
  purpose: string; // v1-reset | v1-verify | ua-confirm | ua-reset
  email: string | null; // address the token was issued for
  created: number;
  expires: number;
  used_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  event: string;
  surface: string;
  actor_id: string | null;
  actor_email: string | null;
  actor_username: string | null;
  user_id: string | null;
  user_email: string | null;
  user_username: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string; // JSON object
}

/** One row per user who started or finished TOTP enrolment (mfa.md §1, §2). */
export interface MfaTotpTable {
  user_number: number;
  secret: string | null; // the confirmed secret, AES-GCM sealed; null until confirmed
  enabled_at: number | null; // TOTP is on exactly when this is set
  last_step: number | null; // highest accepted RFC 6238 time step (no replay)
  pending_secret: string | null; // enrolment in progress, sealed
  pending_expires: number | null;
  updated: number;
}

export interface MfaRecoveryCodesTable {
  user_number: number;
  digest: string; // HMAC-SHA256 hex (key derived from SECRET_KEY) of the user number and the code
  created: number;
  used_at: number | null;
}

/** Second login steps in progress (mfa.md §3.1): the `mfa_token`, by digest. */
export interface MfaChallengesTable {
  digest: string; // SHA-256 hex of the 32 raw token bytes
  user_number: number;
  kind: string; // knox | jwt | admin
  context: string | null; // small JSON object the login that started it needs back (e.g. the OAuth provider)
  created: number;
  expires: number;
  wrong_codes: ColumnType<number, number | undefined, number>;
  used_at: number | null;
}

/** One row per user who has asked for passkey options: the random WebAuthn user id (passkeys.md §1). */
export interface WebauthnUserHandlesTable {
  user_number: number;
  handle: string; // 32 random bytes, base64url; unique
  created: number;
}

export interface PasskeysTable {
  id: string; // UUID, shown to the user
  user_number: number;
  credential_id: string; // base64url, unique across all users
  public_key: string; // COSE key, base64url
  sign_count: number; // the authenticator's signature counter, 0 when it keeps none
  transports: string; // JSON array of strings
  backed_up: number;
  device_type: string; // single_device | multi_device
  aaguid: string;
  name: string;
  created: number;
  last_used: number | null;
  disabled_at: number | null; // set when a clone is suspected; a disabled passkey never logs in
}

/** Issued WebAuthn challenges: 5 minutes, single-use (a consuming DELETE … RETURNING). */
export interface WebauthnChallengesTable {
  id: string; // SHA-256 hex of the look-up key (purpose + challenge or challenge_id)
  purpose: string; // register | login
  user_number: number | null; // the user a registration challenge is bound to
  challenge: string; // base64url, as sent in the options
  created: number;
  expires: number;
}

/** A provider identity (provider id, `sub`) linked to a user (social.md §3). */
export interface OauthIdentitiesTable {
  id: string; // UUID, shown in identities/
  user_number: number;
  provider: string;
  subject: string; // the provider's `sub`
  email: string | null; // the provider's address at the last sign-in, for display
  created: number;
  last_used: number | null;
}

/** One authorization request in flight (social.md §2.2): 10 minutes, single-use. */
export interface OauthStatesTable {
  state_digest: string; // SHA-256 hex of `state`
  provider: string;
  binding_digest: string; // SHA-256 hex of the gh_oauth cookie value
  sealed: string; // nonce and PKCE verifier, AES-GCM sealed
  next: string; // absolute URL the browser returns to
  kind: string | null; // knox | jwt; null for a link
  link_user: number | null; // the user adding the provider (link flow)
  redirect_uri: string;
  created: number;
  expires: number;
}

/** One-time codes given to the browser after a provider sign-in (social.md §2.5): 60 s. */
export interface OauthLoginCodesTable {
  code_digest: string; // SHA-256 hex of the code
  user_number: number;
  provider: string;
  kind: string; // knox | jwt
  created: number;
  expires: number;
}

/** One recorded event (events.md §1); `body` is the envelope exactly as it is sent. */
export interface EventsTable {
  id: string; // evt_ + 26 characters, sortable by time
  type: string;
  occurred: number;
  body: string;
}

export interface WebhookEndpointsTable {
  id: string; // UUID
  url: string;
  events: string; // JSON array of types, or ["*"]
  description: string;
  enabled: number;
  secret: string; // whsec_…, sealed with SecretKeys
  previous_secret: string | null; // sealed; still signs until previous_secret_until (rotation)
  previous_secret_until: number | null;
  failing_since: number | null; // first failure since the last success
  created: number;
  updated: number;
}

export interface WebhookDeliveriesTable {
  id: string; // UUID
  endpoint_id: string;
  event_id: string;
  event_type: string;
  status: string; // pending | succeeded | failed
  attempts: number;
  next_attempt_at: number | null; // due time while pending
  last_status_code: number | null;
  last_error: string | null;
  last_response: string | null; // first 1 KiB
  lease_owner: string | null; // the worker that claimed it
  lease_until: number | null;
  created: number;
  updated: number;
}

/** An event (or the seed-001 legacy message) waiting for the broker's confirm. */
export interface EventPublicationsTable {
  id: string; // UUID
  event_id: string;
  target: string; // exchange | legacy
  body: string | null; // legacy body; null = the event's envelope
  attempts: number;
  last_error: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  created: number;
}

export interface Database {
  users: UsersTable;
  knox_tokens: KnoxTokensTable;
  account_tokens: AccountTokensTable;
  jwt_logins: JwtLoginsTable;
  jwt_tokens: JwtTokensTable;
  browser_sessions: BrowserSessionsTable;
  profiles: ProfilesTable;
  email_tokens: EmailTokensTable;
  audit_log: AuditLogTable;
  mfa_totp: MfaTotpTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  webauthn_user_handles: WebauthnUserHandlesTable;
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
  oauth_identities: OauthIdentitiesTable;
  oauth_states: OauthStatesTable;
  oauth_login_codes: OauthLoginCodesTable;
  events: EventsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  event_publications: EventPublicationsTable;
}
