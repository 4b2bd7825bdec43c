// Webhook endpoints for the admin JSON API (events.md §2): create, list, read, change, delete,
// rotate the secret, list and retry deliveries, send a test event. Each method returns a result
// union the route layer turns into its answer; each change is audited (admin.webhook.*).
// Secrets are sealed at rest and shown only by `create` and `rotateSecret`.
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, WebhookEndpointsTable } from '../../store/schema.js';
import type { Audit, AuditPerson, RequestMeta } from '../audit.js';
import { isUuid } from '../ids.js';
import type { SecretKeys } from '../secrets.js';
import { isoMicros, isoOrNull, MICROS_PER_SECOND } from '../time.js';
import type { AddressGuard } from './address-guard.js';
import { type EndpointFields, type FieldErrors, validateEndpoint } from './endpoint-input.js';
import { type Clock, systemClock } from './model.js';
import type { Outbox } from './outbox.js';
import { DELIVERY_STATUSES, type DeliveryObject, type DeliveryStatus, deliveryObject, dueIfSendable, parseSubscription, rescheduleEndpoint } from './rows.js';
import { SECRET_SEAL_INFO, newWebhookSecret } from './signing.js';
import { limitOf } from '../../store/db.js';

/** How long the secret replaced by a rotation keeps signing (events.md §2). */
export const ROTATION_OVERLAP_MICROS = 24 * 3600 * MICROS_PER_SECOND;

export interface EndpointObject {
  id: string;
  url: string;
  events: string[];
  description: string;
  enabled: boolean;
  created: string;
  updated: string;
  failing_since: string | null;
}

export interface Page<T> {
  count: number;
  results: T[];
}

/** Who did it, for the audit entry (surface `admin-api` from the route). */
export interface ActedBy {
  meta: RequestMeta;
  actor: AuditPerson | null;
}

export type CreateResult = { ok: true; endpoint: EndpointObject & { secret: string } } | { ok: false; reason: 'invalid'; errors: FieldErrors };
export type UpdateResult = { ok: true; endpoint: EndpointObject } | { ok: false; reason: 'not_found' } | { ok: false; reason: 'invalid'; errors: FieldErrors };
export type DeliveriesResult = ({ ok: true } & Page<DeliveryObject>) | { ok: false; reason: 'not_found' } | { ok: false; reason: 'invalid'; errors: FieldErrors };

export interface EndpointsDeps {
  db: Kysely<Database>;
  secrets: SecretKeys;
  audit: Audit;
  guard: AddressGuard;
  outbox: Outbox;
  allowHttp: boolean;
  clock?: Clock;
}

type EndpointRow = Selectable<WebhookEndpointsTable>;

export function endpointObject(row: EndpointRow): EndpointObject {
  return {
    id: row.id,
    url: row.url,
    events: parseSubscription(row.events),
    description: row.description,
    enabled: row.enabled === 1,
    created: isoMicros(row.created),
    updated: isoMicros(row.updated),
    failing_since: isoOrNull(row.failing_since),
  };
}

export class WebhookEndpoints {
  private readonly clock: Clock;

  constructor(private readonly d: EndpointsDeps) {
    this.clock = d.clock ?? systemClock;
  }

  private validate(raw: unknown, mode: 'create' | 'patch') {
    return validateEndpoint(raw, mode, { allowHttp: this.d.allowHttp, guard: this.d.guard });
  }

  /** POST /admin/api/webhooks/ → 201 with `secret`, or 400 with the field errors. */
  async create(raw: unknown, by: ActedBy): Promise<CreateResult> {
    const v = await this.validate(raw, 'create');
    if (!v.ok) return { ok: false, reason: 'invalid', errors: v.errors };
    const now = this.clock.now();
    const secret = newWebhookSecret();
    const row = await this.d.db
      .insertInto('webhook_endpoints')
      .values({
        id: randomUUID(),
        url: v.fields.url!,
        events: JSON.stringify(v.fields.events),
        description: v.fields.description ?? '',
        enabled: v.fields.enabled === false ? 0 : 1,
        secret: this.d.secrets.seal(SECRET_SEAL_INFO, secret),
        previous_secret: null,
        previous_secret_until: null,
        failing_since: null,
        created: now,
        updated: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.d.audit.record({ event: 'admin.webhook.create', ...by, details: { endpoint: row.id, events: v.fields.events, enabled: row.enabled === 1 } });
    return { ok: true, endpoint: { ...endpointObject(row), secret } };
  }

  /** GET /admin/api/webhooks/: newest first. */
  async list(page: { offset: number; limit: number }): Promise<Page<EndpointObject>> {
    const [{ count }] = await this.d.db.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<number>().as('count')).execute();
    const rows = await this.d.db.selectFrom('webhook_endpoints').selectAll().orderBy('created', 'desc').orderBy('id', 'desc').limit(limitOf(page.limit)).offset(page.offset).execute();
    return { count: Number(count), results: rows.map(endpointObject) };
  }

  async get(id: string): Promise<EndpointObject | null> {
    const row = await this.row(id);
    return row ? endpointObject(row) : null;
  }

  /**
   * PATCH: the fields given change. Re-enabling an endpoint gives it a fresh start: its
   * failing streak (failing_since) is forgotten, so it is not disabled again at once.
   */
  async update(id: string, raw: unknown, by: ActedBy): Promise<UpdateResult> {
    const before = await this.row(id);
    if (!before) return { ok: false, reason: 'not_found' };
    const v = await this.validate(raw, 'patch');
    if (!v.ok) return { ok: false, reason: 'invalid', errors: v.errors };
    const changed = changedFields(before, v.fields);
    const set: Partial<EndpointRow> = { updated: this.clock.now() };
    if (v.fields.url !== undefined) set.url = v.fields.url;
    if (v.fields.events !== undefined) set.events = JSON.stringify(v.fields.events);
    if (v.fields.description !== undefined) set.description = v.fields.description;
    if (v.fields.enabled !== undefined) set.enabled = v.fields.enabled ? 1 : 0;
    if (v.fields.enabled === true && before.enabled === 0) set.failing_since = null;
    const row = await this.d.db.updateTable('webhook_endpoints').set(set).where('id', '=', id).returningAll().executeTakeFirst();
    if (!row) return { ok: false, reason: 'not_found' };
    if (set.enabled !== undefined && set.enabled !== before.enabled) await rescheduleEndpoint(this.d.db, id, set.enabled === 1, set.updated!);
    await this.d.audit.record({ event: 'admin.webhook.update', ...by, details: { endpoint: id, changed } });
    if (set.enabled === 1) this.d.outbox.notify();
    return { ok: true, endpoint: endpointObject(row) };
  }

  /** DELETE: the endpoint and its deliveries go; false when there was none. */
  async remove(id: string, by: ActedBy): Promise<boolean> {
    if (!isUuid(id)) return false;
    const gone = await this.d.db.deleteFrom('webhook_endpoints').where('id', '=', id).returning('id').executeTakeFirst();
    if (!gone) return false;
    await this.d.audit.record({ event: 'admin.webhook.delete', ...by, details: { endpoint: id } });
    return true;
  }

  /**
   * A new secret; the one it replaces keeps signing for 24 hours (both signatures are sent).
   * A second rotation within those hours retires the oldest secret at once.
   */
  async rotateSecret(id: string, by: ActedBy): Promise<{ ok: true; secret: string } | { ok: false; reason: 'not_found' }> {
    if (!isUuid(id)) return { ok: false, reason: 'not_found' };
    const now = this.clock.now();
    const secret = newWebhookSecret();
    const row = await this.d.db
      .updateTable('webhook_endpoints')
      .set((eb) => ({
        previous_secret: eb.ref('secret'),
        previous_secret_until: now + ROTATION_OVERLAP_MICROS,
        secret: this.d.secrets.seal(SECRET_SEAL_INFO, secret),
        updated: now,
      }))
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
    if (!row) return { ok: false, reason: 'not_found' };
    await this.d.audit.record({ event: 'admin.webhook.rotate', ...by, details: { endpoint: id } });
    return { ok: true, secret };
  }

  /** GET deliveries/: newest first, optionally one status. */
  async deliveries(id: string, q: { status?: string; offset: number; limit: number }): Promise<DeliveriesResult> {
    if (q.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(q.status)) {
      return { ok: false, reason: 'invalid', errors: { status: [`Select a valid choice. ${q.status} is not one of the available choices.`] } };
    }
    if (!(await this.row(id))) return { ok: false, reason: 'not_found' };
    let base = this.d.db.selectFrom('webhook_deliveries').where('endpoint_id', '=', id);
    if (q.status !== undefined) base = base.where('status', '=', q.status as DeliveryStatus);
    const [{ count }] = await base.select((eb) => eb.fn.countAll<number>().as('count')).execute();
    const rows = await base.selectAll().orderBy('created', 'desc').orderBy('event_id', 'desc').limit(limitOf(q.limit)).offset(q.offset).execute();
    return { ok: true, count: Number(count), results: rows.map(deliveryObject) };
  }

  /**
   * POST deliveries/<id>/retry/ → 202: the delivery is due now (whatever its status; a failed
   * one gets one more attempt), or once its endpoint is enabled again. One in flight right now
   * is left to finish.
   */
  async retry(id: string, deliveryId: string): Promise<{ ok: true; delivery: DeliveryObject } | { ok: false; reason: 'not_found' }> {
    if (!isUuid(id) || !isUuid(deliveryId)) return { ok: false, reason: 'not_found' };
    const now = this.clock.now();
    const row = await this.d.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: dueIfSendable(now), updated: now })
      .where('id', '=', deliveryId)
      .where('endpoint_id', '=', id)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returningAll()
      .executeTakeFirst();
    if (row) {
      this.d.outbox.notify();
      return { ok: true, delivery: deliveryObject(row) };
    }
    const inFlight = await this.d.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', deliveryId).where('endpoint_id', '=', id).executeTakeFirst();
    return inFlight ? { ok: true, delivery: deliveryObject(inFlight) } : { ok: false, reason: 'not_found' };
  }

  /** POST test/ → 202: a `webhook.test` event to this endpoint only (sent even while it is disabled). */
  async sendTest(id: string): Promise<{ ok: true; eventId: string } | { ok: false; reason: 'not_found' }> {
    if (!(await this.row(id))) return { ok: false, reason: 'not_found' };
    try {
      const e = await this.d.db.transaction().execute((trx) => this.d.outbox.recordTest(trx, id));
      return { ok: true, eventId: e.id };
    } catch (err) {
      // Deleted between the look-up and the insert: the delivery's foreign key refused it.
      if (!(await this.row(id))) return { ok: false, reason: 'not_found' };
      throw err;
    }
  }

  private async row(id: string): Promise<EndpointRow | undefined> {
    if (!isUuid(id)) return undefined;
    return this.d.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  }
}

function changedFields(before: EndpointRow, f: EndpointFields): string[] {
  const changed: string[] = [];
  if (f.url !== undefined && f.url !== before.url) changed.push('url');
  if (f.events !== undefined && JSON.stringify(f.events) !== before.events) changed.push('events');
  if (f.description !== undefined && f.description !== before.description) changed.push('description');
  if (f.enabled !== undefined && (f.enabled ? 1 : 0) !== before.enabled) changed.push('enabled');
  return changed;
}
