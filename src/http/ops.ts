// Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { ping } from '../store/migrations.js';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../core/errors.js';

const READY_TIMEOUT_MS = 2000;

export function registerOps(app: FastifyInstance, ctx: AppContext): void {
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'The process is alive' } }, async (_req, reply) => {
    return reply.type('application/json').send(JSON.stringify({ status: 'ok' }));
  });

  // 200 when the database and Redis answer within the request deadline, else 503 naming what
  // is down (v1.md §0.13). The checks run side by side, so the answer comes within ~2 s.
  app.get('/readyz', { schema: { tags: ['operations'], summary: 'The database (and Redis, when configured) answer' } }, async (_req, reply) => {
    const probes: [string, () => Promise<void>][] = [
      ['database', () => ping(ctx.db, READY_TIMEOUT_MS)],
      [ctx.kv.kind === 'redis' ? 'redis' : 'kv', () => ctx.kv.ping()],
    ];
    const results = await Promise.all(probes.map(([, probe]) => withTimeout(probe(), READY_TIMEOUT_MS).then(() => true, () => false)));
    const checks = Object.fromEntries(probes.map(([name], i) => [name, results[i] ? 'ok' : 'unavailable']));
    const ready = results.every(Boolean);
    if (!ready) reply.header('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
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
