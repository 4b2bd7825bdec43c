// Read-only queries behind the admin's lists (users, audit) and the user detail page. Searches
// use LIKE over lower-cased values with the pattern's wildcards escaped; every list is newest
// first with a tie-breaker, so pages never overlap.
import { type Expression, type ExpressionBuilder, type Selectable, type SqlBool, sql } from 'kysely';
import type { AdminDeps } from './deps.js';
import type { User } from '../accounts.js';
import { isUuid } from '../ids.js';
import type { Profile } from '../profiles.js';
import { nowMicros, nowSeconds } from '../time.js';
import { containsPattern } from '../validators.js';
import type { AuditLogTable, Database } from '../../store/schema.js';
import { limitOf } from '../../store/db.js';

export type AuditRow = Selectable<AuditLogTable>;

export interface Page<T> {
  count: number;
  items: T[];
}

export interface UserFilters {
  q?: string;
  active?: boolean;
  staff?: boolean;
  locked?: boolean;
  verified?: boolean;
}

export interface AuditFilters {
  event?: string;
  userId?: string;
  actorId?: string;
  /** Actor or user: an id, or part of an email or username. */
  q?: string;
  /** Inclusive bounds, microseconds. */
  since?: number;
  until?: number;
}

export interface UserExtras {
  knoxTokens: number;
  jwtLogins: number;
  hasAccountKey: boolean;
  profiles: Profile[];
  recentAudit: AuditRow[];
}

export { isUuid };

function like(column: string, text: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${containsPattern(text)} escape '\\'`;
}

function flag(eb: ExpressionBuilder<Database, 'users'>, column: 'is_active' | 'is_staff' | 'email_verified', wanted: boolean): Expression<SqlBool> {
  return eb(column, '=', wanted ? 1 : 0);
}

function userConditions(eb: ExpressionBuilder<Database, 'users'>, f: UserFilters, lockoutOn: boolean): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (f.q) all.push(eb.or([like('email_ci', f.q), like('username_ci', f.q), like('full_name', f.q)]));
  if (f.active !== undefined) all.push(flag(eb, 'is_active', f.active));
  if (f.staff !== undefined) all.push(flag(eb, 'is_staff', f.staff));
  if (f.verified !== undefined) all.push(flag(eb, 'email_verified', f.verified));
  if (f.locked !== undefined) {
    // With lockout off nobody is locked, whatever an old row still says.
    // A NULL locked_until is "not locked": NOT (NULL > now) would be NULL, and match nothing.
    const now = nowMicros();
    const lockedNow = lockoutOn ? eb.and([eb('locked_until', 'is not', null), eb('locked_until', '>', now)]) : sql<SqlBool>`1 = 0`;
    const notLocked = lockoutOn ? eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]) : sql<SqlBool>`1 = 1`;
    all.push(f.locked ? lockedNow : notLocked);
  }
  return all.length ? eb.and(all) : sql<SqlBool>`1 = 1`;
}

function auditConditions(eb: ExpressionBuilder<Database, 'audit_log'>, f: AuditFilters): Expression<SqlBool> {
  const all: Expression<SqlBool>[] = [];
  if (f.event) all.push(eb('event', '=', f.event));
  if (f.userId) all.push(eb('user_id', '=', f.userId.toLowerCase()));
  if (f.actorId) all.push(eb('actor_id', '=', f.actorId.toLowerCase()));
  if (f.since !== undefined) all.push(eb('at', '>=', f.since));
  if (f.until !== undefined) all.push(eb('at', '<=', f.until));
  if (f.q) {
    const id = f.q.toLowerCase();
    all.push(isUuid(f.q)
      ? eb.or([eb('actor_id', '=', id), eb('user_id', '=', id)])
      : eb.or(['actor_email', 'actor_username', 'user_email', 'user_username'].map((c) => like(c, f.q!))));
  }
  return all.length ? eb.and(all) : sql<SqlBool>`1 = 1`;
}

export class AdminQueries {
  constructor(private readonly ctx: AdminDeps) {}

  async users(f: UserFilters, offset: number, limit: number): Promise<Page<User>> {
    const where = (eb: ExpressionBuilder<Database, 'users'>) => userConditions(eb, f, this.ctx.lockout.enabled);
    const counted = await this.ctx.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where(where).executeTakeFirst();
    const items = await this.ctx.db.selectFrom('users').selectAll().where(where).orderBy('created', 'desc').orderBy('number', 'desc').offset(offset).limit(limitOf(limit)).execute();
    return { count: Number(counted?.n ?? 0), items };
  }

  async audit(f: AuditFilters, offset: number, limit: number): Promise<Page<AuditRow>> {
    const where = (eb: ExpressionBuilder<Database, 'audit_log'>) => auditConditions(eb, f);
    const counted = await this.ctx.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where(where).executeTakeFirst();
    const items = await this.ctx.db.selectFrom('audit_log').selectAll().where(where).orderBy('at', 'desc').orderBy('id', 'desc').offset(offset).limit(limitOf(limit)).execute();
    return { count: Number(counted?.n ?? 0), items };
  }

  /** What the detail page shows beside the user's own fields (admin.md §2.5). */
  async extras(user: User): Promise<UserExtras> {
    const { db } = this.ctx;
    const knox = await db.selectFrom('knox_tokens').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_number', '=', user.number).where('expires', '>', nowMicros()).executeTakeFirst();
    const logins = await db.selectFrom('jwt_logins').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', user.id).where('ended_at', 'is', null).where('refresh_exp', '>', nowSeconds()).executeTakeFirst();
    const key = await db.selectFrom('account_tokens').select('user_number').where('user_number', '=', user.number).executeTakeFirst();
    const recentAudit = await db.selectFrom('audit_log').selectAll()
      .where((eb) => eb.or([eb('user_id', '=', user.id), eb('actor_id', '=', user.id)]))
      .orderBy('at', 'desc').orderBy('id', 'desc').limit(limitOf(20)).execute();
    return {
      knoxTokens: Number(knox?.n ?? 0),
      jwtLogins: Number(logins?.n ?? 0),
      hasAccountKey: key !== undefined,
      profiles: await this.ctx.profiles.ofUser(user.number),
      recentAudit,
    };
  }
}
