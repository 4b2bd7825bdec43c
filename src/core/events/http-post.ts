// One webhook request over node:http(s) (events.md §3): the receiver's address checked again by
// the guard at every delivery, redirects never followed, one deadline for connecting, the
// status and reading, and at most 64 KiB of the answer read (the first 1 KiB kept).
//
// Connections are kept alive between deliveries (`ReceiverConnections`, one pool per worker):
// connecting afresh for every delivery cost the worker about a quarter of its time, and at a
// thousand deliveries a second to one receiver it would leave tens of thousands of sockets in
// TIME_WAIT. The guard still looks at the name for every delivery: one that now resolves to a
// forbidden address is refused before any byte is sent, kept connection or not, and a new
// connection goes only to the addresses of that look (no second, unchecked resolution). A kept
// connection goes where an earlier look allowed; one to an address the name no longer has is
// used until it idles out. A kept connection the receiver closed just as it was reused is
// replaced by a fresh one.
import http from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import { StringDecoder } from 'node:string_decoder';
import { ADDRESS_NOT_ALLOWED, type AddressGuard, notFound } from './address-guard.js';

export const READ_LIMIT = 64 * 1024;
export const KEEP_LIMIT = 1024;
/** How long a kept connection may sit unused (less when the receiver's `Keep-Alive: timeout=` says so). */
export const IDLE_MS = 4_000;

export interface PostRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** Aborts the request (shutdown); the answer is then `{ kind: 'aborted' }`. */
  signal?: AbortSignal;
}

export type PostResult =
  | { kind: 'response'; status: number; retryAfter: string | null; head: string }
  | { kind: 'error'; error: string; forbidden: boolean }
  | { kind: 'aborted' };

/** Kept-alive connections to receivers: one pool per delivery worker, closed when it stops. */
export class ReceiverConnections {
  readonly http: http.Agent;
  readonly https: https.Agent;

  /**
   * `maxIdle`: idle sockets kept per receiver origin, as many as deliveries can be in flight at
   * once (several endpoints often share a receiver); each is closed after `idleMs` unused.
   */
  constructor(idleMs = IDLE_MS, maxIdle = 64) {
    const options = { keepAlive: true, timeout: idleMs, maxFreeSockets: maxIdle, scheduling: 'lifo' as const };
    this.http = new http.Agent(options);
    this.https = new https.Agent(options);
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** The first bytes as text: whole characters only, without NULs (PostgreSQL text refuses them). */
function keptText(chunks: Buffer[]): string {
  const head = Buffer.concat(chunks).subarray(0, KEEP_LIMIT);
  return new StringDecoder('utf8').write(head).replaceAll('\u0000', '');
}

function describe(err: unknown, timeoutMs: number): { error: string; forbidden: boolean } {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'EADDRNOTALLOWED') return { error: ADDRESS_NOT_ALLOWED, forbidden: true };
  if (err instanceof DeadlineError) return { error: `No response within ${Math.round(timeoutMs / 1000)} seconds.`, forbidden: false };
  const text = `${e?.code ?? 'ERROR'}: ${e?.message ?? String(err)}`;
  return { error: text.slice(0, 500), forbidden: false };
}

/**
 * Errors of a kept connection the receiver closed as it was reused (before any answer): sent
 * again once, on a new connection (a receiver dedupes by `webhook-id` in any case).
 */
const STALE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

type Attempt = PostResult | { kind: 'stale' };

export async function postWebhook(req: PostRequest, guard: AddressGuard, connections: ReceiverConnections): Promise<PostResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return { kind: 'error', error: 'The endpoint URL is not valid.', forbidden: false };
  }
  const deadlineAt = Date.now() + req.timeoutMs;
  // The guard's look at the address, for this delivery: a literal address is judged as it is, a
  // name is resolved and refused if any answer is forbidden. Within the same deadline.
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const checked = await untilDeadline(guard.check(host), deadlineAt, req.signal);
  if (checked === 'aborted') return { kind: 'aborted' };
  if (checked === 'deadline') return { kind: 'error', ...describe(new DeadlineError('deadline'), req.timeoutMs) };
  if (checked instanceof Error) return { kind: 'error', ...describe(checked, req.timeoutMs) };
  const target = { url, host, addresses: checked };
  const first = await send(req, target, connections, deadlineAt, false);
  return first.kind === 'stale' ? ((await send(req, target, connections, deadlineAt, true)) as PostResult) : first;
}

/** `work`'s value, or what came first of the deadline and the abort. */
async function untilDeadline<T>(work: Promise<T>, deadlineAt: number, signal: AbortSignal | undefined): Promise<T | 'deadline' | 'aborted'> {
  if (signal?.aborted) return 'aborted';
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<'deadline' | 'aborted'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), Math.max(0, deadlineAt - Date.now()));
    onAbort = () => resolve('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cut]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * One request over a kept connection (or a fresh one: `fresh`, after a kept one turned out
 * closed). A new connection goes only to the addresses this delivery's check allowed.
 */
function send(req: PostRequest, target: { url: URL; host: string; addresses: LookupAddress[] }, connections: ReceiverConnections, deadlineAt: number, fresh: boolean): Promise<Attempt> {
  const { url, host, addresses } = target;
  const secure = url.protocol === 'https:';
  const client = secure ? https : http;
  const body = Buffer.from(req.body, 'utf8');
  return new Promise((resolve) => {
    let settled = false;
    // The answer was read to its end: the connection goes back to the pool.
    let complete = false;
    const finish = (r: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.signal?.removeEventListener('abort', onAbort);
      if (!complete) outgoing.destroy();
      resolve(r);
    };
    const outgoing = client.request({
      method: 'POST',
      protocol: url.protocol,
      hostname: host,
      port: url.port || undefined,
      path: url.pathname + url.search,
      auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
      headers: { ...req.headers, 'content-length': String(body.length), ...(fresh ? { connection: 'close' } : {}) },
      agent: fresh ? false : secure ? connections.https : connections.http,
      lookup: fixedLookup(addresses) as any,
    });
    const onAbort = () => finish({ kind: 'aborted' });
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted) onAbort();
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      outgoing.destroy(new DeadlineError('deadline'));
    }, Math.max(0, deadlineAt - Date.now()));

    // Once the status is in, a later error (the deadline, a reset) ends the reading, not the answer.
    let answered: (() => void) | null = null;
    outgoing.on('error', (err) => {
      if (answered) return answered();
      const code = (err as { code?: string }).code;
      if (!fresh && !timedOut && outgoing.reusedSocket && code && STALE.has(code)) return finish({ kind: 'stale' });
      finish({ kind: 'error', ...describe(err, req.timeoutMs) });
    });
    outgoing.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const retryAfter = typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : null;
      const chunks: Buffer[] = [];
      let read = 0;
      // The status is the answer; whatever of the body arrived before the limit, the end or the
      // deadline is what is kept.
      const done = () => finish({ kind: 'response', status, retryAfter, head: keptText(chunks) });
      answered = done;
      res.on('data', (chunk: Buffer) => {
        if (read < KEEP_LIMIT) chunks.push(chunk.subarray(0, KEEP_LIMIT - read));
        read += chunk.length;
        if (read >= READ_LIMIT) done();
      });
      res.on('end', () => {
        complete = true;
        done();
      });
      res.on('error', done);
      res.on('close', done);
    });
    outgoing.end(body);
  });
}

/** A `lookup` for node:http answering from `addresses` only: no second, unchecked resolution. */
function fixedLookup(addresses: LookupAddress[]) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: any[]) => void): void => {
    const want = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
    const list = want ? addresses.filter((a) => a.family === want) : addresses;
    if (list.length === 0) callback(notFound(hostname));
    else if (options.all) callback(null, list);
    else callback(null, list[0].address, list[0].family);
  };
}
