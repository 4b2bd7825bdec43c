// What every successful v1 login answers, however it was proven (a password, a second step, a
// passkey, a provider): `login-knox/`'s body with a new knox token, or `login-jwt/`'s body with a
// new JWT login family whose refresh the `sessionid` session holds (v1.md §3.2, §3.3).
//
// The credential is written by the login itself, in the transaction that records the success
// (`v1Issuer`, core/login.ts Issuer); `answerV1Login` then answers with it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { RequestMeta } from '../../core/audit.js';
import type { IssuedKnox } from '../../core/knox.js';
import type { Issuer } from '../../core/login.js';
import type { IssuedLogin } from '../../core/v1-logins.js';
import { loadSession } from '../../http/session-cookie.js';
import type { GenericReply } from '../../http/surface.js';
import { NO_STORE, json } from './messages.js';
import { holdNewRefresh } from './refresh-slot.js';

export type V1LoginKind = 'knox' | 'jwt';

export type V1Issued = { kind: 'knox'; knox: IssuedKnox } | { kind: 'jwt'; login: IssuedLogin };

/** The credential of a v1 login of `kind`, for the login to write with its success. */
export function v1Issuer(ctx: AppContext, meta: RequestMeta, kind: V1LoginKind): Issuer<V1Issued> {
  if (kind === 'knox') {
    const knox = ctx.knox.issuer(meta.ip, meta.userAgent);
    return { write: async (trx, user) => ({ kind, knox: await knox.write(trx, user) }), committed: knox.committed };
  }
  const jwt = ctx.v1Logins.issuer(meta);
  return { write: async (trx, user) => ({ kind, login: await jwt.write(trx, user) }), committed: jwt.committed };
}

/** The success answer for a credential the login wrote; a JWT login's refresh goes into the session. */
export async function answerV1Login(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, user: User, issued: V1Issued): Promise<GenericReply> {
  if (issued.kind === 'knox') {
    return json(200, { id: user.id, email: user.email, username: user.username, token: issued.knox.token }, NO_STORE);
  }
  const session = await loadSession(ctx, request);
  // The new session first: a crash between the two never ends the old login without the
  // client holding the new one.
  await holdNewRefresh(ctx, reply, session, user, issued.login.refreshJti);
  if (session?.refreshJti) await ctx.v1Logins.supersede(session.refreshJti);
  return json(200, { refresh: issued.login.refresh, access: issued.login.access, id: user.id, email: user.email, username: user.username }, NO_STORE);
}
