// Surface `user-account` (/user_account/, seed 004): JWT in a header or cookie, double-submit
// CSRF, near-expiry re-issue, confirmation and reset mails. See spec/user-account.md.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GenericReply, Surface } from '../../http/surface.js';
import { INTERNAL_ERROR, NOT_FOUND, TOO_LARGE, type Outcome } from './reply.js';
import { registerRoutes } from './routes.js';

function generic(o: Outcome): GenericReply {
  return { status: o.status, body: o.body };
}

export const surface: Surface = {
  name: 'user-account',
  prefixes: ['/user_account/'],
  register: registerRoutes,
  notFound: () => generic(NOT_FOUND),
  failures: {
    tooLarge: generic(TOO_LARGE),
    badRequest: { status: 400, body: { msg: 'Bad request.' } },
    internal: generic(INTERNAL_ERROR),
    unavailable: { status: 503, body: { msg: 'Service temporarily unavailable.' }, headers: { 'Retry-After': '5' } },
  },
  // CORS as the original (§1.1): any origin, no credentials. Set before routing so that 404,
  // 413 and 500 answers carry it too.
  async beforeRouting(request: FastifyRequest, reply: FastifyReply) {
    if (request.headers.origin !== undefined) reply.header('Access-Control-Allow-Origin', '*');
    return null;
  },
};
