// The admin's objects (admin.md §3.2), with their keys in the documented order. The UI shows
// the same values, so it renders from these shapes too.
import type { User } from '../../../core/accounts.js';
import type { AppContext } from '../../../context.js';
import type { Profile } from '../../../core/profiles.js';
import { isoMicros, isoOrNull } from '../../../core/time.js';
import type { AuditRow } from '../../../core/admin/queries.js';
import type { MfaSummary } from '../../../core/admin/index.js';
import type { AdminIdentityView } from '../../../core/oidc/index.js';

export interface UserJson {
  id: string;
  number: number;
  email: string | null;
  username: string | null;
  full_name: string;
  phone: string | null;
  contacts: string | null;
  avatar: string | null;
  picture: string | null;
  email_verified: boolean;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  locked_until: string | null;
  failed_logins: number;
  created: string;
  updated: string;
  last_login: string | null;
  /** Two-factor (mfa.md §4), which also counts passkeys. */
  mfa: MfaJson;
}

export interface MfaJson { totp: boolean; recovery_codes_left: number; passkeys: number }

export interface PersonJson { id: string; email: string | null; username: string | null }

export interface AuditJson {
  id: number;
  at: string;
  event: string;
  surface: string;
  actor: PersonJson | null;
  user: PersonJson | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, unknown>;
}

export interface ProfileJson {
  id: string;
  kind: string;
  bio: string;
  instagram: string;
  user_id: string;
  username: string | null;
  created: string;
  updated: string;
}

export function mfaJson(m: MfaSummary): MfaJson {
  return { totp: m.totp, recovery_codes_left: m.recoveryCodesLeft, passkeys: m.passkeys };
}

/** `avatar`: the v1 media URL (http/avatar-url.ts), and `mfa` (AdminCore.mfaOf), looked up by the caller. */
export function userJson(user: User, lockout: AppContext['lockout'], avatar: string | null, mfa: MfaSummary): UserJson {
  return {
    id: user.id,
    number: user.number,
    email: user.email,
    username: user.username,
    full_name: user.full_name,
    phone: user.phone,
    contacts: user.contacts,
    avatar,
    picture: user.picture,
    email_verified: user.email_verified === 1,
    is_active: user.is_active === 1,
    is_staff: user.is_staff === 1,
    is_superuser: user.is_superuser === 1,
    locked_until: isoOrNull(lockout.lockedUntil(user)),
    failed_logins: lockout.currentStreak(user),
    created: isoMicros(user.created),
    updated: isoMicros(user.updated),
    last_login: isoOrNull(user.last_login),
    mfa: mfaJson(mfa),
  };
}

/** The user object with the provider identities linked to the user (social.md §4), as its last key. */
export function withIdentities<T extends object>(user: T, identities: readonly AdminIdentityView[]): T & { identities: AdminIdentityView[] } {
  return { ...user, identities: [...identities] };
}

export function profileJson(p: Profile): ProfileJson {
  return {
    id: p.id,
    kind: p.kind,
    bio: p.bio,
    instagram: p.instagram,
    user_id: p.user_id,
    username: p.username,
    created: isoMicros(p.created),
    updated: isoMicros(p.updated),
  };
}

function personJson(id: string | null, email: string | null, username: string | null): PersonJson | null {
  return id === null ? null : { id, email, username };
}

/** Details are stored as a JSON object; anything else (never written by us) shows as {}. */
function auditDetails(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function auditJson(row: AuditRow): AuditJson {
  return {
    id: Number(row.id),
    at: isoMicros(row.at),
    event: row.event,
    surface: row.surface,
    actor: personJson(row.actor_id, row.actor_email, row.actor_username),
    user: personJson(row.user_id, row.user_email, row.user_username),
    ip: row.ip,
    user_agent: row.user_agent,
    details: auditDetails(row.details),
  };
}
