// An endpoint's health (events.md §3): the first failure since the last success starts its
// failing streak (`failing_since`), a success ends it. A 410 disables the endpoint at once, and
// so does a failure once the streak is 5 days old; either is audited as `webhook.disabled` and
// parks the endpoint's waiting deliveries until the admin enables it again.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Audit } from '../audit.js';
import { isoMicros } from '../time.js';
import type { EventLog } from './model.js';
import { rescheduleEndpoint } from './rows.js';

/** An endpoint whose deliveries have all failed this long is disabled. */
export const FAILING_DISABLE_MICROS = 5 * 24 * 3600 * 1_000_000;

/** The worker acts on its own: no request, no actor. */
const DISABLE_META = { surface: 'system' as const, ip: null, userAgent: null };

export class EndpointHealth {
  constructor(private readonly db: Kysely<Database>, private readonly audit: Audit, private readonly log: EventLog) {}

  async succeeded(endpointId: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', endpointId).where('failing_since', 'is not', null).execute();
  }

  /**
   * A failure starts the endpoint's failing streak if none is running. A 410 disables the
   * endpoint at once; so does a failure once the streak is 5 days old. Given the transaction
   * that records the failed attempt, the disabling, the parking and the audit entry commit with it.
   */
  async failed(endpointId: string, at: number, gone: boolean, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable('webhook_endpoints').set({ failing_since: at }).where('id', '=', endpointId).where('failing_since', 'is', null).execute();
    const ep = await db.selectFrom('webhook_endpoints').select(['enabled', 'failing_since']).where('id', '=', endpointId).executeTakeFirst();
    if (!ep || ep.enabled !== 1) return;
    const since = ep.failing_since ?? at;
    if (!gone && at - since < FAILING_DISABLE_MICROS) return;
    const disabled = await db
      .updateTable('webhook_endpoints')
      .set({ enabled: 0, updated: at })
      .where('id', '=', endpointId)
      .where('enabled', '=', 1)
      .returning('id')
      .executeTakeFirst();
    if (!disabled) return;
    await rescheduleEndpoint(db, endpointId, false, at);
    const reason = gone ? 'gone' : 'failing';
    await this.audit.record({ event: 'webhook.disabled', meta: DISABLE_META, details: { endpoint: endpointId, reason, failing_since: isoMicros(since) } }, db);
    this.log.warn({ endpoint: endpointId, reason }, 'webhook endpoint disabled');
  }
}
