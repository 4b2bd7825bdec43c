// GET /.well-known/jwks.json (v1.md §5.9): the public keys of the v1 JWTs, current first; an
// empty set under HS256. Public, cached five minutes, never throttled.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { Type } from '../../http/schemas.js';

/** Under the default HS256 the key is secret: none is published. */
const JWKS_EXAMPLE = { keys: [] };

export function registerJwks(app: FastifyInstance, ctx: AppContext): void {
  const schema = {
    tags: ['v1'],
    summary: 'Public keys of the v1 JWTs (JWKS)',
    operationId: 'v1Jwks',
    security: [],
    response: { 200: { description: 'The key set, current key first; empty under HS256', content: { 'application/json': { schema: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }), example: JWKS_EXAMPLE } } } },
  };
  app.get('/.well-known/jwks.json', { schema }, async (_request, reply) => {
    // Read per request: a retired key leaves the set once its tokens have expired (§5.9).
    return reply.header('Cache-Control', 'public, max-age=300').type('application/json').send(JSON.stringify({ keys: ctx.v1Keys.jwks }));
  });
}
