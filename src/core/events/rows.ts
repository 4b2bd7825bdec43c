// Row helpers shared by the outbox, the admin API and the worker: new rows, subscriptions,
// and the delivery object of events.md §3.
import { randomUUID } from 'node:crypto';
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { Database, WebhookDeliveriesTable } from '../../store/schema.js';
import { isoOrNull, isoMicros } from '../time.js';
import { TEST_EVENT_TYPE } from './model.js';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

export type DeliveryRow = Selectable<WebhookDeliveriesTable>;

/** A delivery due at once. */
export function newDelivery(endpointId: string, eventId: string, eventType: string, now: number): Insertable<WebhookDeliveriesTable> {
  return {
    id: randomUUID(),
    endpoint_id: endpointId,
    event_id: eventId,
    event_type: eventType,
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    last_status_code: null,
    last_error: null,
    last_response: null,
    lease_owner: null,
    lease_until: null,
    created: now,
    updated: now,
  };
}

/**
 * `at` while the delivery's endpoint is enabled (or it is a test event, which a disabled
 * endpoint gets too), else NULL: the pending deliveries of a disabled endpoint wait unscheduled
 * ("parked"), so the worker does not keep finding them due, until the endpoint is enabled again.
 * For the SET of an UPDATE of webhook_deliveries.
 */
export function dueIfSendable(at: number) {
  return sql<number | null>`(select case when e.enabled = 1 or webhook_deliveries.event_type = ${TEST_EVENT_TYPE} then cast(${at} as bigint) else null end from webhook_endpoints e where e.id = webhook_deliveries.endpoint_id)`;
}

/** Parks (NULL) or schedules (`now`) the waiting deliveries of an endpoint just disabled or enabled. */
export async function rescheduleEndpoint(db: Kysely<Database>, endpointId: string, enabled: boolean, now: number): Promise<void> {
  let q = db.updateTable('webhook_deliveries').set({ next_attempt_at: enabled ? now : null }).where('endpoint_id', '=', endpointId).where('status', '=', 'pending').where('event_type', '!=', TEST_EVENT_TYPE);
  q = enabled ? q.where('next_attempt_at', 'is', null) : q.where('next_attempt_at', 'is not', null).where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]));
  await q.execute();
}

/** The stored `events` column: a JSON list of types, or `["*"]`. */
export function parseSubscription(stored: string): string[] {
  try {
    const v = JSON.parse(stored);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export function subscribes(stored: string, type: string): boolean {
  const list = parseSubscription(stored);
  return list.includes('*') || list.includes(type);
}

export interface DeliveryObject {
  id: string;
  event_id: string;
  event_type: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_response: string | null;
  created: string;
  updated: string;
}

export function deliveryObject(row: DeliveryRow): DeliveryObject {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? isoOrNull(row.next_attempt_at) : null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    last_response: row.last_response,
    created: isoMicros(row.created),
    updated: isoMicros(row.updated),
  };
}
