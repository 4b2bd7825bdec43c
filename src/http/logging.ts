// JSON logs (pino, Fastify's own). Secrets stay out of the log by construction rather than by
// redaction: requests are logged by their route template, never their raw URL (some URLs carry
// tokens), and the request serializer keeps no headers (Authorization, Cookie) and no body.
// pino's path redaction is not used: with wildcard paths it cost more than the rest of an
// authenticated request, on every log line.
import type { FastifyServerOptions } from 'fastify';

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    serializers: {
      // Only what is safe: no URL (tokens), no headers (cookies, Authorization).
      req: (req: { method?: string; routeOptions?: { url?: string }; ip?: string; id?: string }) => ({ id: req.id, method: req.method, route: req.routeOptions?.url, ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
