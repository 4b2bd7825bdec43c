// JSON logs (pino, Fastify's own). Secrets stay out of the log by construction rather than by
// redaction: requests are logged by their route template, never their raw URL (some URLs carry
// tokens), and the request serializer keeps no headers (Authorization, Cookie) and no body.
// pino's path redaction is not used: with wildcard paths it cost more than the rest of an
// authenticated request, on every log line.
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
