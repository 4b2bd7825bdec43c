// Load generation for the bench: autocannon for plain repeated requests, and a closed loop of
// workers (fixed concurrency, each waiting for its answer before the next request) for the
// scenarios where each request depends on the previous answer or spends a one-time value.
import http from 'node:http';
import autocannon from 'autocannon';

/** What every scenario reports. Latencies in ms. */
export interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and answers outside 2xx (or not the expected status). */
  errors: number;
  requests: number;
}

export interface LoadOptions extends autocannon.Options {
  /** Status every answer must have (default: any 2xx). */
  expectStatus?: number;
}

/**
 * autocannon in this process; errors count timeouts, socket errors and non-2xx answers. The
 * latencies are kept here as autocannon measures them (fractional ms): its own histogram holds
 * whole milliseconds, too coarse for a p99 under 2 ms to be compared with another.
 */
export async function cannon(opts: LoadOptions): Promise<Load> {
  const { expectStatus, ...rest } = opts;
  let unexpected = 0;
  const latencies: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ ...rest }, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (expectStatus === undefined ? statusCode >= 200 && statusCode < 300 : statusCode === expectStatus) latencies.push(responseTime);
      else if (expectStatus !== undefined) unexpected++;
    });
  });
  const errors = r.errors + r.timeouts + (expectStatus === undefined ? r.non2xx : unexpected);
  // The rate stays autocannon's (its per-second samples); the latencies are ours.
  return { rps: r.requests.average, ...quantiles(latencies), errors, requests: r.requests.total };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on a keep-alive agent; resolves with the whole answer. */
export function send(agent: http.Agent, base: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface LoopOptions {
  concurrency: number;
  seconds: number;
  /** Stop after this many operations in all (a pool of one-time values), whichever comes first. */
  maxOps?: number;
  /** One operation of worker `w`; true when it succeeded. Its time is measured around it. */
  op: (w: number) => Promise<boolean>;
}

/** Fixed concurrency, each worker looping; latency per operation, rate over the wall time. */
export async function closedLoop(o: LoopOptions): Promise<Load> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const deadline = performance.now() + o.seconds * 1000;
  const t0 = performance.now();
  const worker = async (w: number) => {
    while (performance.now() < deadline && (o.maxOps === undefined || started < o.maxOps)) {
      started++;
      const t = performance.now();
      let ok: boolean;
      try {
        ok = await o.op(w);
      } catch {
        ok = false;
      }
      latencies.push(performance.now() - t);
      if (!ok) errors++;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, (_, w) => worker(w)));
  const elapsed = (performance.now() - t0) / 1000;
  return summarize(latencies, errors, elapsed);
}

export function summarize(latencies: number[], errors: number, elapsedSec: number): Load {
  return { rps: latencies.length / Math.max(elapsedSec, 1e-9), ...quantiles(latencies), errors, requests: latencies.length };
}

/** p50 and p99 of latencies in ms, to 0.01 ms. */
function quantiles(latencies: number[]): { p50: number; p99: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);
  return { p50: round(at(0.5)), p99: round(at(0.99)) };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** The `name=value` pairs of Set-Cookie headers. */
export function cookiesOf(a: Answer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of a.headers['set-cookie'] ?? []) {
    const pair = c.split(';')[0];
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}
