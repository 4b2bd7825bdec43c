// Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

export function registerOps(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive' } }, async (_req, reply) => {
    return reply.type('application/json').send(JSON.stringify({ status: 'ok' }));
  });

  app.get('/readyz', { schema: { tags: ['operations'], summary: 'The database (and Redis, when configured) answer' } }, async (_req, reply) => {
    const checks: Record<string, string> = {};
    let ready = true;
    for (const [name, check] of [['database', () => ctx.health.pingDatabase()], [ctx.health.kvName, () => ctx.health.pingKv()]] as const) {
      try {
        await withTimeout(check(), 2000);
        checks[name] = 'ok';
      } catch {
        checks[name] = 'unavailable';
        ready = false;
      }
    }
    // A configured broker is reported but never makes the service unready (events.md §4).
    const broker = ctx.events.brokerStatus();
    if (broker) checks.broker = broker.state === 'up' ? 'ok' : 'unavailable';
    return reply.code(ready ? 200 : 503).type('application/json').send(JSON.stringify({ status: ready ? 'ok' : 'unavailable', checks }));
  });

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics' } }, async (_req, reply) => {
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
