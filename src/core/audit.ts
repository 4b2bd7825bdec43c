// The audit log (admin.md §4): every surface records its events here. Actor and target are
// kept as id + email/username snapshots so an entry outlives the user it names.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../store/schema.js';
import { precompiledInsert } from '../store/db.js';
import { nowMicros } from './time.js';

/** `system`: what the service does on its own, with no request behind it (a webhook endpoint disabled by the worker). */
export type AuditSurface = 'v1' | 'api-user' | 'account' | 'users' | 'user-account' | 'admin' | 'admin-api' | 'cli' | 'system';

export interface AuditPerson { id: string; email: string | null; username: string | null }

/** Where a request came from; passed from the HTTP layer into the core. */
export interface RequestMeta { surface: AuditSurface; ip: string | null; userAgent: string | null }

/**
 * Every event the audit log records (admin.md §4 and the capabilities beyond the seeds): the
 * admin's event filter and the docs list exactly these.
 */
export const AUDIT_EVENTS = [
  'login.success', 'login.failure', 'lockout', 'login.locked', 'logout', 'token.reuse', 'sessions.revoke',
  'password.change', 'password.reset.request', 'password.reset.complete', 'email.verify', 'user.email_change',
  'user.register', 'user.delete', 'user.createsuperuser', 'users.import',
  'admin.user.update', 'admin.user.password', 'admin.user.unlock', 'admin.user.revoke', 'admin.user.reset_mail',
  'admin.user.delete', 'admin.profile.update', 'admin.profile.delete',
  // two-factor (mfa.md §5)
  'login.mfa_challenge', 'mfa.enable', 'mfa.disable', 'mfa.recovery_codes', 'mfa.recovery_code_used', 'admin.user.mfa_reset',
  // passkeys (passkeys.md)
  'passkey.add', 'passkey.remove', 'passkey.clone_suspected',
  // sign-in with OpenID Connect providers (social.md)
  'oauth.login', 'oauth.link', 'oauth.failure', 'oauth.unlink',
  // webhooks (events.md §2, §3)
  'admin.webhook.create', 'admin.webhook.update', 'admin.webhook.delete', 'admin.webhook.rotate', 'webhook.disabled',
] as const;

export type AuditEventName = (typeof AUDIT_EVENTS)[number];

export interface AuditEvent {
  event: AuditEventName;
  meta: RequestMeta;
  actor?: AuditPerson | null;
  user?: AuditPerson | null;
  details?: Record<string, unknown>;
}

// Keys that must never be stored, whatever a caller passes.
const SECRET_KEY_PATTERN = /pass|token|secret|key|link|url|cookie|csrf|hash/i;

export function truncateUserAgent(ua: string | null | undefined): string | null {
  return ua ? ua.slice(0, 256) : null;
}

function scrub(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_KEY_PATTERN.test(k)) continue;
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? scrub(v as Record<string, unknown>) : v;
  }
  return out;
}

const AUDIT_COLUMNS = ['at', 'event', 'surface', 'actor_id', 'actor_email', 'actor_username', 'user_id', 'user_email', 'user_username', 'ip', 'user_agent', 'details'] as const;

export class Audit {
  /** Every write action records an entry: compiled once. */
  private readonly insert;

  constructor(private readonly db: Kysely<Database>) {
    this.insert = precompiledInsert(db, 'audit_log', AUDIT_COLUMNS);
  }

  /** `db` is the transaction the change runs in, when there is one: the entry commits with it. */
  async record(e: AuditEvent, db: Kysely<Database> | Transaction<Database> = this.db): Promise<void> {
    await this.insert(db, {
      at: nowMicros(),
      event: e.event,
      surface: e.meta.surface,
      actor_id: e.actor?.id ?? null,
      actor_email: e.actor?.email ?? null,
      actor_username: e.actor?.username ?? null,
      user_id: e.user?.id ?? null,
      user_email: e.user?.email ?? null,
      user_username: e.user?.username ?? null,
      ip: e.meta.ip,
      user_agent: truncateUserAgent(e.meta.userAgent),
      details: JSON.stringify(scrub(e.details ?? {})),
    });
  }
}
