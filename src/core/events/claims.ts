// Claiming work so that each delivery is made by exactly one worker, in order per endpoint
// (events.md §3 "Order and concurrency"). A claim is a lease: the worker's id and a time after
// which the claim lapses, so the work of a process that died is due again once it runs out.
//
// Per endpoint at most one delivery is in flight, and it is the oldest due one; a delivery
// waiting for its retry does not hold up the next ones ("as far as retries allow").
// PostgreSQL: the endpoints with due work are locked first (FOR NO KEY UPDATE SKIP LOCKED: the
// FOR UPDATE family, minus the key lock, so an outbox insert's foreign-key check on the same
// endpoint never waits for a claim), so two instances never pick deliveries of the same
// endpoint at once. SQLite: one UPDATE statement, which SQLite runs alone (one writer at a
// time), does the same.
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../../store/schema.js';
import { limitOf, type Dialect } from '../../store/db.js';
import { TEST_EVENT_TYPE } from './model.js';

export interface ClaimSpec {
  owner: string;
  now: number;
  leaseUntil: number;
  limit: number;
}

/** Cheap look before a claim (no transaction, no lock): is any delivery due and sendable? */
export async function anyDue(db: Kysely<Database>, now: number): Promise<boolean> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .select('d.id')
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('e.enabled', '=', 1), eb('d.event_type', '=', TEST_EVENT_TYPE)]))
    .limit(limitOf(1))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * A column in a condition that must not pick the index. SQLite has no statistics (nothing runs
 * ANALYZE), and left alone it walks webhook_deliveries_due (status, next_attempt_at), i.e. the
 * whole backlog, for each endpoint's oldest delivery and again for the UPDATE, then sorts: tens
 * of milliseconds per claim, on the event loop, with a backlog of thousands. A unary `+` keeps
 * the condition but not the index, so the per-endpoint look-up walks (endpoint_id, status,
 * event_id) in order and stops at the first due row, and the UPDATE finds its rows by id.
 * PostgreSQL plans from its statistics: its SQL is unchanged.
 */
function noIndex(dialect: Dialect, column: string): RawBuilder<unknown> {
  return sql.raw(dialect === 'sqlite' ? `+${column}` : column);
}

/** Due, not in flight, and sendable: an enabled endpoint, or a test event (sent to disabled ones too). */
function dueFor(s: ClaimSpec, alias: string, dialect: Dialect): RawBuilder<unknown> {
  const d = sql.raw(alias);
  return sql`${d}.endpoint_id = e.id and ${d}.status = 'pending' and ${noIndex(dialect, `${alias}.next_attempt_at`)} <= ${s.now}
    and (${d}.lease_until is null or ${d}.lease_until <= ${s.now})
    and (e.enabled = 1 or ${d}.event_type = ${TEST_EVENT_TYPE})`;
}

function endpointIdle(s: ClaimSpec): RawBuilder<unknown> {
  return sql`not exists (select 1 from webhook_deliveries x where x.endpoint_id = e.id and x.status = 'pending' and x.lease_until > ${s.now})`;
}

/** The claim as one statement (exported for its plan test). */
export function claimStatement(s: ClaimSpec, endpointIds: string[] | null, dialect: Dialect): RawBuilder<{ id: string }> {
  const only = endpointIds ? sql`and e.id in (${sql.join(endpointIds)})` : sql``;
  return sql<{ id: string }>`
    update webhook_deliveries set lease_owner = ${s.owner}, lease_until = ${s.leaseUntil}
    where ${noIndex(dialect, 'status')} = 'pending' and ${noIndex(dialect, 'next_attempt_at')} <= ${s.now} and (lease_until is null or lease_until <= ${s.now})
      and id in (
        select pick from (
          select (select d.id from webhook_deliveries d where ${dueFor(s, 'd', dialect)} order by d.event_id, d.created limit 1) as pick
          from webhook_endpoints e
          where ${endpointIdle(s)} ${only}
        ) picks
        where pick is not null
        limit ${limitOf(s.limit)}
      )
    returning id`;
}

/** Leases up to `limit` deliveries (one per endpoint) to `owner`; their ids. */
export async function claimDeliveries(db: Kysely<Database>, dialect: Dialect, s: ClaimSpec): Promise<string[]> {
  if (dialect === 'sqlite') {
    const r = await claimStatement(s, null, dialect).execute(db);
    return r.rows.map((row) => row.id);
  }
  return db.transaction().execute(async (trx) => {
    // The endpoint's next delivery as a scalar sub-select in claim order, not EXISTS: with a large
    // backlog the planner turned EXISTS into a hash join over every due delivery (a sequential
    // scan per claim, 11 ms at 23,000 rows) or a bitmap of each endpoint's whole backlog; in
    // claim order it is one probe of (endpoint_id, status, event_id, created) per endpoint.
    const locked = await sql<{ id: string }>`
      select e.id from webhook_endpoints e
      where (select d.id from webhook_deliveries d where ${dueFor(s, 'd', dialect)} order by d.event_id, d.created limit 1) is not null and ${endpointIdle(s)}
      limit ${limitOf(s.limit)}
      for no key update of e skip locked`.execute(trx);
    if (locked.rows.length === 0) return [];
    const r = await claimStatement(s, locked.rows.map((row) => row.id), dialect).execute(trx);
    return r.rows.map((row) => row.id);
  });
}

/** Leases up to `limit` messages owed to the broker, oldest first. */
export async function claimPublications(db: Kysely<Database>, dialect: Dialect, s: ClaimSpec): Promise<string[]> {
  const skipLocked = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const r = await sql<{ id: string }>`
    update event_publications set lease_owner = ${s.owner}, lease_until = ${s.leaseUntil}, attempts = attempts + 1
    where (lease_until is null or lease_until <= ${s.now})
      and id in (
        select id from event_publications
        where lease_until is null or lease_until <= ${s.now}
        order by event_id
        limit ${limitOf(s.limit)}
        ${skipLocked}
      )
    returning id`.execute(db);
  return r.rows.map((row) => row.id);
}
