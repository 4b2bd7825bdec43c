// A raw HTTP/1.1 client for attack tests: any method token, any header (a forged or malformed
// `Host` included), any body bytes, and the answer exactly as sent. fetch() cannot do this: it
// sets Host itself and refuses some methods and headers.
import http from 'node:http';

export interface WireRequest {
  method: string;
  /** Path and query exactly as they go on the request line. */
  path: string;
  /** Header names as given; `host` defaults to the target's own. */
  headers?: Record<string, string>;
  body?: Buffer | string;
}

export interface WireResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  /** Parsed JSON, or undefined. */
  json: unknown;
}

/** A client for one server; keeps connections alive between requests. */
export class Wire {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  readonly host: string;
  readonly port: number;

  constructor(readonly base: string) {
    const u = new URL(base);
    this.host = u.host;
    this.port = Number(u.port);
  }

  /**
   * Sends one request. A kept-alive connection the server closed while it sat idle fails at once
   * ("socket hang up" on a reused socket); the request is then sent again on a new connection,
   * as Node's documentation advises, so only a server that drops a fresh request is reported.
   */
  async send(req: WireRequest, timeoutMs = 20_000): Promise<WireResponse> {
    try {
      return await this.once(req, timeoutMs, this.agent);
    } catch (err) {
      if (!(err as { reused?: boolean }).reused) throw err;
      return this.once(req, timeoutMs, false);
    }
  }

  private once(req: WireRequest, timeoutMs: number, agent: http.Agent | false): Promise<WireResponse> {
    const headers: Record<string, string> = { ...(req.headers ?? {}) };
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'host')) headers.host = this.host;
    const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      const r = http.request(
        { host: '127.0.0.1', port: this.port, method: req.method, path: req.path, headers, setHost: false, agent },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const buf = Buffer.concat(chunks);
            const text = buf.toString('utf8');
            let json: unknown;
            try {
              json = text ? JSON.parse(text) : undefined;
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buf, text, json });
          });
          res.on('error', reject);
        },
      );
      r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms: ${req.method} ${req.path}`)));
      r.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        reject(Object.assign(err, { reused: r.reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE' || err.message === 'socket hang up') }));
      });
      r.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `name=value` pairs of every Set-Cookie, the last one of a name winning. */
export function setCookies(res: WireResponse): Record<string, string> {
  const raw = res.headers['set-cookie'] ?? [];
  const out: Record<string, string> = {};
  for (const c of raw) {
    const pair = c.split(';')[0];
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join('; ');
}
