// Prometheus metrics, one registry per app so two apps in one process never share counters.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'gatehouse_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly logins = new Counter({ name: 'gatehouse_logins_total', help: 'Login attempts by surface and result', labelNames: ['surface', 'result'], registers: [this.registry] });
  readonly lockouts = new Counter({ name: 'gatehouse_lockouts_total', help: 'Accounts locked after repeated failures', labelNames: ['surface'], registers: [this.registry] });
  readonly tokensIssued = new Counter({ name: 'gatehouse_tokens_issued_total', help: 'Credentials issued by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly tokensRevoked = new Counter({ name: 'gatehouse_tokens_revoked_total', help: 'Credentials revoked by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly mails = new Counter({ name: 'gatehouse_mails_total', help: 'Mails queued by purpose', labelNames: ['purpose'], registers: [this.registry] });

  /** Label children per method/route/status, so a request costs no label hashing. */
  private readonly requestSeries = new Map<string, { count: { inc(): void }; time: { observe(v: number): void } }>();

  /** One finished request: counted and timed under its route template. */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels = { method, route, status: String(status) };
      series = { count: this.requests.labels(labels), time: this.latency.labels(labels) };
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    series.time.observe(seconds);
  }

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }
}
