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
}
