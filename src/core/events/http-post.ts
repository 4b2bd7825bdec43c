// One webhook request over node:http(s) (events.md §3): a fresh connection through the
// address guard's lookup, redirects never followed, one deadline for connecting, the status
// and reading, and at most 64 KiB of the answer read (the first 1 KiB kept).
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { ADDRESS_NOT_ALLOWED, type AddressGuard } from './address-guard.js';

export const READ_LIMIT = 64 * 1024;
export const KEEP_LIMIT = 1024;

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

export function postWebhook(req: PostRequest, guard: AddressGuard): Promise<PostResult> {
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return Promise.resolve({ kind: 'error', error: 'The endpoint URL is not valid.', forbidden: false });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // A literal address never goes through `lookup`, so it is judged here.
  if (isIP(host) !== 0 && guard.isForbidden(host)) return Promise.resolve({ kind: 'error', error: ADDRESS_NOT_ALLOWED, forbidden: true });
  const client = url.protocol === 'https:' ? https : http;
  const body = Buffer.from(req.body, 'utf8');

  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.signal?.removeEventListener('abort', onAbort);
      outgoing.destroy();
      resolve(r);
    };
    const outgoing = client.request({
      method: 'POST',
      protocol: url.protocol,
      hostname: host,
      port: url.port || undefined,
      path: url.pathname + url.search,
      auth: url.username ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : undefined,
      headers: { ...req.headers, 'content-length': String(body.length), connection: 'close' },
      // A pooled socket would skip the guard's lookup; every delivery connects afresh.
      agent: false,
      lookup: guard.lookup() as any,
    });
    const onAbort = () => finish({ kind: 'aborted' });
    req.signal?.addEventListener('abort', onAbort, { once: true });
    if (req.signal?.aborted) onAbort();
    const deadline = setTimeout(() => outgoing.destroy(new DeadlineError('deadline')), req.timeoutMs);

    // Once the status is in, a later error (the deadline, a reset) ends the reading, not the answer.
    let answered: (() => void) | null = null;
    outgoing.on('error', (err) => (answered ? answered() : finish({ kind: 'error', ...describe(err, req.timeoutMs) })));
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
      res.on('end', done);
      res.on('error', done);
      res.on('close', done);
    });
    outgoing.end(body);
  });
}
