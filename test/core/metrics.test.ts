// The per-request metrics are tallied by our own code and written out through prom-client's
// registry; what a Prometheus server scrapes must be what prom-client's own counter and
// histogram would have written: cumulative buckets, `le` first, +Inf equal to the count.
import { describe, expect, it } from 'vitest';
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../../src/core/metrics.js';

const REQUESTS = 'gatehouse_http_requests_total';
const LATENCY = 'gatehouse_http_request_duration_seconds';
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const OBSERVED: Array<[string, string, number, number]> = [
  ['GET', '/v1/user/mock-login/', 200, 0.0004],
  ['GET', '/v1/user/mock-login/', 200, 0.001], // on a bound: counted in that bucket
  ['GET', '/v1/user/mock-login/', 200, 0.03],
  ['GET', '/v1/user/mock-login/', 200, 9], // above every bound: only in +Inf
  ['POST', '/v1/user/login-knox/', 400, 0.012],
  ['GET', '/v1/user/mock-login/', 401, 0.0002],
];

/** What prom-client's own classes write for the same observations. */
async function reference(): Promise<string> {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'];
  const count = new Counter({ name: REQUESTS, help: 'HTTP requests by route and status', labelNames, registers: [registry] });
  const time = new Histogram({ name: LATENCY, help: 'HTTP request latency by route and status', labelNames, buckets: BUCKETS, registers: [registry] });
  for (const [method, route, status, seconds] of OBSERVED) {
    count.inc({ method, route, status: String(status) });
    time.observe({ method, route, status: String(status) }, seconds);
  }
  return registry.metrics();
}

describe('request metrics', () => {
  it('are written exactly as prom-client writes its own counter and histogram', async () => {
    const m = new Metrics(false);
    for (const [method, route, status, seconds] of OBSERVED) m.recordRequest(method, route, status, seconds);
    const ours = (await m.registry.getSingleMetricAsString(REQUESTS)) + '\n\n' + (await m.registry.getSingleMetricAsString(LATENCY)) + '\n';
    expect(ours).toBe(await reference());
    expect(ours).toContain(`${REQUESTS}{method="GET",route="/v1/user/mock-login/",status="200"} 4`);
    expect(ours).toContain(`${LATENCY}_bucket{le="0.001",method="GET",route="/v1/user/mock-login/",status="200"} 2`);
    expect(ours).toContain(`${LATENCY}_bucket{le="2.5",method="GET",route="/v1/user/mock-login/",status="200"} 3`);
    expect(ours).toContain(`${LATENCY}_bucket{le="+Inf",method="GET",route="/v1/user/mock-login/",status="200"} 4`);
  });

  it('list every other metric after them, and start empty again when the registry is reset', async () => {
    const m = new Metrics(false);
    m.recordRequest('GET', '/healthz', 200, 0.0001);
    const text = await m.registry.metrics();
    expect(text.indexOf(REQUESTS)).toBeLessThan(text.indexOf('gatehouse_logins_total'));
    m.registry.resetMetrics();
    expect(await m.registry.getSingleMetricAsString(REQUESTS)).not.toContain('/healthz');
    expect(await m.registry.getSingleMetricAsString(LATENCY)).not.toContain('/healthz');
  });
});
