// What a surface hands to app.ts: its URL prefixes, its routes, and its own words for what
// happens outside its routes (an unknown path under its prefixes, a request Fastify refused
// before routing). Its routes answer their own failures (http/route.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { SurfaceName } from '../config.js';
import type { Failures } from './route.js';

export interface GenericReply {
  status: number;
  body?: unknown; // JSON-serialised; undefined = empty body
  headers?: Record<string, string>;
  /** An HTML page instead of JSON (admin UI). */
  html?: string;
}

export interface Surface {
  name: SurfaceName;
  /** Path prefixes this surface owns, e.g. ['/v1/user/']; longest match wins. */
  prefixes: string[];
  register(app: FastifyInstance, ctx: AppContext): Promise<void>;
  /** Unknown path under a prefix (may answer a 301 to the slashed path, as v1 and users do). */
  notFound(request: FastifyRequest, reply: FastifyReply, app: FastifyInstance, ctx: AppContext): GenericReply | Promise<GenericReply>;
  /** The surface's answers to failures outside a view (413, 400, 500, 503), by path where a surface has two styles. */
  failures: Failures | ((request: FastifyRequest) => Failures);
  /** Optional: a request hook that runs before routing for this surface's prefixes (CORS). */
  beforeRouting?(request: FastifyRequest, reply: FastifyReply): Promise<GenericReply | null>;
}

export function failuresOf(surface: Surface, request: FastifyRequest): Failures {
  return typeof surface.failures === 'function' ? surface.failures(request) : surface.failures;
}

export function sendGeneric(reply: FastifyReply, g: GenericReply): FastifyReply {
  reply.code(g.status);
  for (const [k, v] of Object.entries(g.headers ?? {})) reply.header(k, v);
  if (g.html !== undefined) return reply.type('text/html; charset=utf-8').send(g.html);
  if (g.body === undefined) return reply.send();
  return reply.type('application/json').send(JSON.stringify(g.body));
}
