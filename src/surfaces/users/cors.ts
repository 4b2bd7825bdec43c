// Credentialed CORS for the origins in TRUSTED_ORIGINS (users.md §1.1), the way
// django-cors-headers did it: the headers go on every answer of this surface's paths (404s,
// 403s and 500s included, so a browser script can read them), and a preflight is answered
// before routing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';

const ALLOW_METHODS = 'DELETE, GET, OPTIONS, PATCH, POST, PUT';
const ALLOW_HEADERS = 'accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with';
const PREFLIGHT_MAX_AGE = '86400'; // django-cors-headers' default

/** Installs the CORS hook for the paths `owns` says belong to this surface. */
export function installCors(app: FastifyInstance, ctx: AppContext, owns: (path: string) => boolean): void {
  const trusted = new Set(ctx.config.trustedOrigins);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (!owns(pathOf(request.url))) return undefined;
    // The answer depends on Origin whether or not this one is trusted: caches must know.
    reply.header('Vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !trusted.has(origin)) return undefined;
    reply.header('Access-Control-Allow-Origin', origin).header('Access-Control-Allow-Credentials', 'true');
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      return reply
        .code(200)
        .header('Access-Control-Allow-Methods', ALLOW_METHODS)
        .header('Access-Control-Allow-Headers', ALLOW_HEADERS)
        .header('Access-Control-Max-Age', PREFLIGHT_MAX_AGE)
        .header('Content-Length', '0')
        .send();
    }
    return undefined;
  });
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
