// JSON logs (pino, Fastify's own). Secrets stay out of the log by construction rather than by
// redaction: requests are logged by their route template, never their raw URL (some URLs carry
// tokens), and the request serializer keeps no headers (Authorization, Cookie) and no body.
// pino's path redaction is not used: with wildcard paths it cost more than the rest of an
// authenticated request, on every log line.
import os from 'node:os';
import pino from 'pino';

/**
 * Lines go to stdout through an asynchronous destination: while one write is in flight the next
 * lines gather and leave in one write, instead of one blocking write per request. `flush` on
 * shutdown (app.ts) writes what is left.
 */
export function logDestination(): pino.DestinationStream & { flushSync(): void } {
  return pino.destination({ dest: 1, sync: false });
}

export function loggerOptions(level: string, stream: pino.DestinationStream) {
  return {
    level,
    stream,
    serializers: {
      // Only what is safe: no URL (tokens), no headers (cookies, Authorization).
      req: (req: { method?: string; routeOptions?: { url?: string }; ip?: string; id?: string }) => ({ id: req.id, method: req.method, route: req.routeOptions?.url, ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * The one line per request (`"msg":"request"`), in the shape pino gives a request's child logger
 * (level, time, pid, hostname, reqId, then the fields), built directly: going through a child
 * logger per request cost about a sixth of an authenticated request. Lines of one event-loop turn
 * leave in one write at the end of that turn (a crash loses at most that turn's lines); `flush`
 * writes what is pending at once (shutdown).
 */
export class AccessLog {
  private pending = '';
  private scheduled = false;
  private readonly base: string;

  constructor(
    private readonly dest: { write(line: string): unknown },
    private readonly enabled: boolean,
  ) {
    this.base = `,"pid":${process.pid},"hostname":${JSON.stringify(os.hostname())},"reqId":`;
  }

  record(reqId: string, method: string, route: string, status: number, ms: number): void {
    if (!this.enabled) return;
    this.pending += `{"level":30,"time":${Date.now()}${this.base}${JSON.stringify(reqId)},"method":${JSON.stringify(method)},"route":${JSON.stringify(route)},"status":${status},"ms":${ms},"msg":"request"}\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (!this.pending) return;
    const lines = this.pending;
    this.pending = '';
    this.dest.write(lines);
  };
}
