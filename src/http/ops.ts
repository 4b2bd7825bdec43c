// Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../errors.js';

const READY_TIMEOUT_MS = 2000;

export function registerOps(app: FastifyInstance, ctx: AppContext): void {
  const status = { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] };
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive', operationId: 'opsHealth', security: [], response: { 200: { description: 'Alive: {"status":"ok"}', content: { 'application/json': { schema: status, example: { status: 'ok' } } } } } } }, async (_req, reply) => {
    return reply.type('application/json').send(JSON.stringify({ status: 'ok' }));
  });

  const readiness = { type: 'object', properties: { status: { type: 'string' }, checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'unavailable'] } } }, required: ['status', 'checks'] };
  const readyDocs = {
    200: {
      description: 'The database (and Redis, when configured) answer; a configured broker is reported too',
      content: { 'application/json': { schema: readiness, example: { status: 'ok', checks: { database: 'ok', redis: 'ok' } } } },
    },
    503: {
      description: 'The database or Redis does not answer: the checks say which',
      content: { 'application/json': { schema: readiness, example: { status: 'unavailable', checks: { database: 'ok', redis: 'unavailable' } } } },
    },
  };
  app.get('/readyz', { schema: { tags: ['operations'], summary: 'The database (and Redis, when configured) answer', operationId: 'opsReady', security: [], response: readyDocs } }, async (_req, reply) => {
    // The checks run side by side, so the answer comes within the deadline (v1.md §0.13).
    const probes: [string, () => Promise<void>][] = [['database', () => ctx.health.pingDatabase()], [ctx.health.kvName, () => ctx.health.pingKv()]];
    const results = await Promise.all(probes.map(([, probe]) => withTimeout(probe(), READY_TIMEOUT_MS).then(() => true, () => false)));
    const checks: Record<string, string> = Object.fromEntries(probes.map(([name], i) => [name, results[i] ? 'ok' : 'unavailable']));
    const ready = results.every(Boolean);
    if (!ready) reply.header('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
    // A configured broker is reported but never makes the service unready (events.md §4).
    const broker = ctx.events.brokerStatus();
    if (broker) checks.broker = broker.state === 'up' ? 'ok' : 'unavailable';
    return reply.code(ready ? 200 : 503).type('application/json').send(JSON.stringify({ status: ready ? 'ok' : 'unavailable', checks }));
  });

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics', operationId: 'opsMetrics', security: [], response: { 200: { description: 'The metrics in Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } }, async (_req, reply) => {
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });

  app.get('/openapi.json', { schema: { hide: true } }, async (_req, reply) => {
    return reply.type('application/json').send(JSON.stringify(app.swagger()));
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
