// JSON logs (pino, Fastify's own). Requests are logged by their route template, never their
// raw URL, because some URLs carry tokens (email verification, reset links). Anything that
// looks like a credential is redacted wherever it appears.
import type { FastifyServerOptions } from 'fastify';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrftoken"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.password',
  '*.password1',
  '*.password2',
  '*.pwd',
  '*.new_pwd',
  '*.old_password',
  '*.confirm_password',
  '*.token',
  '*.refresh',
  '*.access',
  '*.secretKey',
  '*.smtpUrl',
];

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // Only what is safe: no URL (tokens), no headers (cookies, Authorization).
      req: (req: { method?: string; routeOptions?: { url?: string }; ip?: string; id?: string }) => ({ id: req.id, method: req.method, route: req.routeOptions?.url, ip: req.ip }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}
