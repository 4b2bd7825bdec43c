// What a surface hands to app.ts: its URL prefixes, its routes, and its own words for the
// generic failures (unknown path, body too large, unexpected error) that happen outside its
// routes' handlers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { SurfaceName } from '../config.js';

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
  notFound(request: FastifyRequest, reply: FastifyReply, app: FastifyInstance): GenericReply;
  tooLarge(request: FastifyRequest): GenericReply;
  internalError(request: FastifyRequest): GenericReply;
  /** Optional: a 400 for Fastify's own client errors (bad URL encoding); by default the 500's shape. */
  badRequest?(request: FastifyRequest): GenericReply;
  /** Optional: a request hook that runs before routing for this surface's prefixes (v1 denylist). */
  beforeRouting?(request: FastifyRequest, reply: FastifyReply): Promise<GenericReply | null>;
}

export function sendGeneric(reply: FastifyReply, g: GenericReply): FastifyReply {
  reply.code(g.status);
  for (const [k, v] of Object.entries(g.headers ?? {})) reply.header(k, v);
  if (g.html !== undefined) return reply.type('text/html; charset=utf-8').send(g.html);
  if (g.body === undefined) return reply.send();
  return reply.type('application/json').send(JSON.stringify(g.body));
}
