// The dashboard numbers (admin.md §3.2), from plain COUNT queries: one pass over users, one
// over the last day of the audit log, and one count per credential table.
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { AdminDeps } from './deps.js';
import { MICROS_PER_SECOND, nowMicros, nowSeconds } from '../time.js';

export interface Stats {
  users: number;
  active_users: number;
  staff: number;
  superusers: number;
  verified: number;
  locked: number;
  registrations_7d: number;
  logins_24h: number;
  login_failures_24h: number;
  lockouts_24h: number;
  artist_profiles: number;
  collector_profiles: number;
  knox_tokens: number;
  jwt_logins: number;
  /** Accounts with TOTP on (mfa.md §4). */
  mfa_users: number;
}

const DAY = 86_400 * MICROS_PER_SECOND;

// COUNT ignores NULLs, so `count(case when … then 1 end)` counts the rows that match.
function countWhen(condition: RawBuilder<SqlBool>): RawBuilder<number> {
  return sql<number>`count(case when ${condition} then 1 end)`;
}

export async function loadStats(ctx: Pick<AdminDeps, 'db' | 'lockout'>): Promise<Stats> {
  const now = nowMicros();
  const lockedSince = ctx.lockout.enabled ? now : Number.MAX_SAFE_INTEGER;
  const users = await ctx.db
    .selectFrom('users')
    .select([
      sql<number>`count(*)`.as('users'),
      countWhen(sql<SqlBool>`is_active = 1`).as('active_users'),
      countWhen(sql<SqlBool>`is_staff = 1`).as('staff'),
      countWhen(sql<SqlBool>`is_superuser = 1`).as('superusers'),
      countWhen(sql<SqlBool>`email_verified = 1`).as('verified'),
      countWhen(sql<SqlBool>`locked_until > ${lockedSince}`).as('locked'),
      countWhen(sql<SqlBool>`created > ${now - 7 * DAY}`).as('registrations_7d'),
    ])
    .executeTakeFirstOrThrow();
  const events = await ctx.db
    .selectFrom('audit_log')
    .select([
      countWhen(sql<SqlBool>`event = 'login.success'`).as('logins_24h'),
      countWhen(sql<SqlBool>`event = 'login.failure'`).as('login_failures_24h'),
      countWhen(sql<SqlBool>`event = 'lockout'`).as('lockouts_24h'),
    ])
    .where('at', '>', now - DAY)
    .where('event', 'in', ['login.success', 'login.failure', 'lockout'])
    .executeTakeFirstOrThrow();
  const profiles = await ctx.db
    .selectFrom('profiles')
    .select([countWhen(sql<SqlBool>`kind = 'artist'`).as('artist_profiles'), countWhen(sql<SqlBool>`kind = 'collector'`).as('collector_profiles')])
    .executeTakeFirstOrThrow();
  const knox = await ctx.db.selectFrom('knox_tokens').select(sql<number>`count(*)`.as('n')).where('expires', '>', now).executeTakeFirstOrThrow();
  const logins = await ctx.db
    .selectFrom('jwt_logins')
    .select(sql<number>`count(*)`.as('n'))
    .where('ended_at', 'is', null)
    .where('refresh_exp', '>', nowSeconds())
    .executeTakeFirstOrThrow();
  const mfa = await ctx.db.selectFrom('mfa_totp').select(sql<number>`count(*)`.as('n')).where('enabled_at', 'is not', null).executeTakeFirstOrThrow();
  return {
    users: Number(users.users),
    active_users: Number(users.active_users),
    staff: Number(users.staff),
    superusers: Number(users.superusers),
    verified: Number(users.verified),
    locked: Number(users.locked),
    registrations_7d: Number(users.registrations_7d),
    logins_24h: Number(events.logins_24h),
    login_failures_24h: Number(events.login_failures_24h),
    lockouts_24h: Number(events.lockouts_24h),
    artist_profiles: Number(profiles.artist_profiles),
    collector_profiles: Number(profiles.collector_profiles),
    knox_tokens: Number(knox.n),
    jwt_logins: Number(logins.n),
    mfa_users: Number(mfa.n),
  };
}
