// The metrics of events.md §5, registered on the app's own registry (core/metrics.ts), so two
// apps in one process never share a series.
import { Counter, Gauge, type Registry } from 'prom-client';

export type DeliveryResult = 'succeeded' | 'retry' | 'failed';

export class EventMetrics {
  readonly events: Counter<'type'>;
  readonly deliveries: Counter<'result'>;
  readonly amqpPublished: Counter;
  readonly pending: Gauge;

  /** `countPending` is asked at each scrape: pending deliveries plus messages owed to the broker. */
  constructor(registry: Registry, countPending: () => Promise<number>) {
    this.events = new Counter({ name: 'gatehouse_events_total', help: 'Events recorded in the outbox, by type', labelNames: ['type'], registers: [registry] });
    this.deliveries = new Counter({
      name: 'gatehouse_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result (succeeded, retry = failed and scheduled again, failed = given up)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.amqpPublished = new Counter({ name: 'gatehouse_amqp_published_total', help: 'Messages confirmed by the AMQP broker', registers: [registry] });
    this.pending = new Gauge({
      name: 'gatehouse_outbox_pending',
      help: 'Webhook deliveries not yet settled plus messages not yet confirmed by the broker',
      registers: [registry],
      async collect() {
        try {
          this.set(await countPending());
        } catch {
          // The database is unreachable: the scrape keeps the last value (/readyz says why).
        }
      },
    });
  }
}
