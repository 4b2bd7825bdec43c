// Prometheus metrics, one registry per app so two apps in one process never share counters.
import { Counter, type Metric, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  private readonly http = new RequestTallies(this.registry);
  readonly logins = new Counter({ name: 'gatehouse_logins_total', help: 'Login attempts by surface and result', labelNames: ['surface', 'result'], registers: [this.registry] });
  readonly lockouts = new Counter({ name: 'gatehouse_lockouts_total', help: 'Accounts locked after repeated failures', labelNames: ['surface'], registers: [this.registry] });
  readonly tokensIssued = new Counter({ name: 'gatehouse_tokens_issued_total', help: 'Credentials issued by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly tokensRevoked = new Counter({ name: 'gatehouse_tokens_revoked_total', help: 'Credentials revoked by kind', labelNames: ['kind'], registers: [this.registry] });
  readonly mails = new Counter({ name: 'gatehouse_mails_total', help: 'Mails queued by purpose', labelNames: ['purpose'], registers: [this.registry] });

  /** One finished request: counted and timed under its route template. */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    this.http.record(method, route, status, seconds);
  }

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'gatehouse_' });
  }
}

const LATENCY = 'gatehouse_http_request_duration_seconds';
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  buckets: number[];
}

/**
 * The two per-request metrics, `gatehouse_http_requests_total` (counter) and
 * `gatehouse_http_request_duration_seconds` (histogram), by method, route template and status.
 * Every request records into them, so they are kept as plain numbers per series and handed to
 * the registry only when it is scraped: prom-client's own counter and histogram (label children
 * included) build and hash a labels object on every observation, a few percent of an
 * authenticated GET's CPU under `perf`. The exposition is the one prom-client writes for its own.
 */
class RequestTallies {
  /** route template -> method -> status -> series: a request builds no key string to find its own. */
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();
  private readonly series: Series[] = [];

  record(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let s = byStatus.get(status);
    if (!s) {
      s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Array<number>(LATENCY_BUCKETS.length + 1).fill(0) };
      byStatus.set(status, s);
      this.series.push(s);
    }
    s.count++;
    s.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) i++;
    s.buckets[i]++;
  }

  private clear(): void {
    this.byRoute.clear();
    this.series.length = 0;
  }

  constructor(registry: Registry) {
    const metric = (name: string, help: string, type: 'counter' | 'histogram', values: () => unknown[]) => {
      const about = { name, help, type, aggregator: 'sum' };
      return { ...about, get: () => ({ ...about, values: values() }), reset: () => this.clear() };
    };
    const requests = metric('gatehouse_http_requests_total', 'HTTP requests by route and status', 'counter', () => this.series.map((s) => ({ labels: s.labels, value: s.count })));
    const latency = metric(LATENCY, 'HTTP request latency by route and status', 'histogram', () => this.series.flatMap(histogramValues));
    // The registry reads a metric through get() (and reset()); these are not prom-client's classes.
    registry.registerMetric(requests as unknown as Metric);
    registry.registerMetric(latency as unknown as Metric);
  }
}

/** One series as prom-client lists a histogram: cumulative buckets (`le`, +Inf last), sum, count. */
function histogramValues(s: Series) {
  const name = LATENCY;
  const out: Array<{ metricName: string; labels: Record<string, string | number>; value: number }> = [];
  let cumulative = 0;
  LATENCY_BUCKETS.forEach((le, i) => {
    cumulative += s.buckets[i];
    out.push({ metricName: `${name}_bucket`, labels: { le, ...s.labels }, value: cumulative });
  });
  out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...s.labels }, value: s.count });
  out.push({ metricName: `${name}_sum`, labels: s.labels, value: s.sum });
  out.push({ metricName: `${name}_count`, labels: s.labels, value: s.count });
  return out;
}
