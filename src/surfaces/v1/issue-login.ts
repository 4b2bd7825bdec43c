// What every successful v1 login answers, however it was proven (a password, a second step, a
// passkey, a provider): `login-knox/`'s body with a new knox token, or `login-jwt/`'s body with a
// new JWT login family whose refresh the `sessionid` session holds (v1.md §3.2, §3.3).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import { loadSession } from '../../http/session-cookie.js';
import type { GenericReply } from '../../http/surface.js';
import { NO_STORE, json } from './messages.js';
import { holdNewRefresh } from './refresh-slot.js';

export type V1LoginKind = 'knox' | 'jwt';

export async function issueV1Login(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, user: User, kind: V1LoginKind): Promise<GenericReply> {
  const meta = requestMeta(request, 'v1');
  if (kind === 'knox') {
    const { token } = await ctx.knox.create(user, meta.ip, meta.userAgent);
    return json(200, { id: user.id, email: user.email, username: user.username, token }, NO_STORE);
  }
  const issued = await ctx.v1Logins.create(user, meta);
  const session = await loadSession(ctx, request);
  // The new session first: a crash between the two never ends the old login without the
  // client holding the new one.
  await holdNewRefresh(ctx, reply, session, user, issued.refreshJti);
  if (session?.refreshJti) await ctx.v1Logins.supersede(session.refreshJti);
  return json(200, { refresh: issued.refresh, access: issued.access, id: user.id, email: user.email, username: user.username }, NO_STORE);
}
