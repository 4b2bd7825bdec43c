// What the outbox keeps (events.md §3 "Retention"): succeeded deliveries and their events for
// EVENT_RETENTION_DAYS, failed ones for 30 days (or longer if the setting is longer). Pending
// deliveries of a disabled endpoint and messages the broker never took are given up after the
// same 30 days. An event goes once nothing refers to it any more and it is past the retention.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { limitOf } from '../../store/db.js';

export const FAILED_RETENTION_DAYS = 30;
const DAY_MICROS = 86_400 * 1_000_000;
const BATCH = 2_000;

export interface SweepResult {
  deliveries: number;
  publications: number;
  events: number;
}

/** Deletes in batches so a large backlog never holds the (SQLite) write lock for long. */
async function inBatches(step: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step();
    total += n;
    if (n < BATCH) return total;
  }
}

export async function sweep(db: Kysely<Database>, now: number, retentionDays: number): Promise<SweepResult> {
  const keptUntil = now - retentionDays * DAY_MICROS;
  const failedUntil = now - Math.max(FAILED_RETENTION_DAYS, retentionDays) * DAY_MICROS;

  const deleteDeliveries = (pick: (q: any) => any) =>
    inBatches(async () => {
      const ids = db.selectFrom('webhook_deliveries').select('id').limit(limitOf(BATCH));
      const r = await db.deleteFrom('webhook_deliveries').where('id', 'in', pick(ids)).executeTakeFirst();
      return Number(r.numDeletedRows);
    });

  let deliveries = await deleteDeliveries((q) => q.where('status', '=', 'succeeded').where('updated', '<', keptUntil));
  deliveries += await deleteDeliveries((q) => q.where('status', '=', 'failed').where('updated', '<', failedUntil));
  deliveries += await deleteDeliveries((q) =>
    q
      .where('status', '=', 'pending')
      .where('created', '<', failedUntil)
      .where('endpoint_id', 'in', db.selectFrom('webhook_endpoints').select('id').where('enabled', '=', 0)),
  );

  const publications = await inBatches(async () => {
    const r = await db
      .deleteFrom('event_publications')
      .where('id', 'in', db.selectFrom('event_publications').select('id').where('created', '<', failedUntil).limit(limitOf(BATCH)))
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  });

  const events = await inBatches(async () => {
    const r = await db
      .deleteFrom('events')
      .where(
        'id',
        'in',
        db
          .selectFrom('events as e')
          .select('e.id')
          .where('e.occurred', '<', keptUntil)
          .where((eb) => eb.not(eb.exists(eb.selectFrom('webhook_deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'))))
          .where((eb) => eb.not(eb.exists(eb.selectFrom('event_publications as p').select('p.id').whereRef('p.event_id', '=', 'e.id'))))
          .limit(limitOf(BATCH)),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  });

  return { deliveries, publications, events };
}
