// `gatehouse events replay --since <ts> [--endpoint <id>]` (events.md §5): the kept events
// from a time on are scheduled again, for a receiver that lost data. Without an endpoint every
// enabled endpoint gets the events it subscribes to (and the broker gets them again when one is
// configured); with one, only that endpoint does. A delivery already pending for the same event
// and endpoint is not doubled. Receivers dedupe by webhook-id / message_id as always.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { TEST_EVENT_TYPE } from './model.js';
import { newDelivery, subscribes } from './rows.js';
import { limitOf } from '../../store/db.js';

export interface ReplayRequest {
  /** Events that occurred at or after this time (µs). */
  since: number;
  endpointId?: string;
}

export type ReplayResult = { ok: true; events: number; deliveries: number; publications: number } | { ok: false; reason: 'endpoint_not_found' };

const PAGE = 500;

export async function replay(db: Kysely<Database>, req: ReplayRequest, o: { now: number; amqp: boolean }): Promise<ReplayResult> {
  let endpoints = db.selectFrom('webhook_endpoints').select(['id', 'events']);
  endpoints = req.endpointId !== undefined ? endpoints.where('id', '=', req.endpointId) : endpoints.where('enabled', '=', 1);
  const targets = await endpoints.execute();
  if (req.endpointId !== undefined && targets.length === 0) return { ok: false, reason: 'endpoint_not_found' };
  const republish = o.amqp && req.endpointId === undefined;

  let events = 0;
  let deliveries = 0;
  let publications = 0;
  let after = '';
  for (;;) {
    const page = await db
      .selectFrom('events')
      .select(['id', 'type'])
      .where('occurred', '>=', req.since)
      .where('type', '!=', TEST_EVENT_TYPE)
      .where('id', '>', after)
      .orderBy('id')
      .limit(limitOf(PAGE))
      .execute();
    if (page.length === 0) break;
    after = page[page.length - 1].id;
    events += page.length;
    await db.transaction().execute(async (trx) => {
      const pending = await trx
        .selectFrom('webhook_deliveries')
        .select(['event_id', 'endpoint_id'])
        .where('status', '=', 'pending')
        .where('event_id', 'in', page.map((e) => e.id))
        .execute();
      const already = new Set(pending.map((p) => `${p.endpoint_id} ${p.event_id}`));
      const rows = page.flatMap((e) =>
        targets.filter((t) => subscribes(t.events, e.type) && !already.has(`${t.id} ${e.id}`)).map((t) => newDelivery(t.id, e.id, e.type, o.now)),
      );
      for (let i = 0; i < rows.length; i += PAGE) await trx.insertInto('webhook_deliveries').values(rows.slice(i, i + PAGE)).execute();
      deliveries += rows.length;
      if (republish) {
        const r = await trx
          .insertInto('event_publications')
          .values(page.map((e) => ({ id: randomUUID(), event_id: e.id, target: 'exchange', body: null, attempts: 0, last_error: null, lease_owner: null, lease_until: null, created: o.now })))
          .onConflict((oc) => oc.columns(['event_id', 'target']).doNothing())
          .executeTakeFirst();
        publications += Number(r.numInsertedOrUpdatedRows ?? 0);
      }
    });
  }
  return { ok: true, events, deliveries, publications };
}
