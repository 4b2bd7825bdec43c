// JWT routes (v1.md §3.3, §3.4, §3.7): login-jwt/, token/refresh/, logout-jwt/. The login
// families and rotation are core/v1-logins.ts; this file maps them onto the session slot and the
// original's answers.
import { person } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import { loadSession } from '../../http/session-cookie.js';
import type { GenericReply } from '../../http/surface.js';
import { NO_STORE, TEXT, USER_INACTIVE, invalid, json, unauthorized } from './messages.js';
import { passwordLogin } from './password-login.js';
import { type Call, type RouteSpec, type V1Deps, signedInWith } from './pipeline.js';
import { clearRefresh, holdNewRefresh, setRefresh } from './refresh-slot.js';
import { type FieldSpec, validate } from './validation.js';

const LOGIN_FIELDS: FieldSpec[] = [{ key: 'email' }, { key: 'password' }];
const LOGGED_OUT = json(200, TEXT.loggedOut);
const JWT_CHALLENGE = 'Bearer realm="api"';

export function jwtRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx, logins } = deps;

  /** The trimmed email and password (§3.3); the header is ignored; a held refresh is superseded. */
  async function loginJwt({ request, reply, body, challenge }: Call) {
    const v = await validate(body, LOGIN_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const login = await passwordLogin(deps, request, v.values.email, v.values.password, 'jwt', challenge);
    if (!login.ok) return login.reply;
    const { user } = login;
    const meta = requestMeta(request, 'v1');
    const issued = await logins.create(user, meta);
    const session = await loadSession(ctx, request);
    if (session?.refreshJti) await logins.supersede(session.refreshJti);
    await holdNewRefresh(ctx, reply, session, issued.refreshJti);
    return json(200, { refresh: issued.refresh, access: issued.access, id: user.id, email: user.email, username: user.username }, NO_STORE);
  }

  /** Reads only the session's slot (§3.4); every 401 carries WWW-Authenticate: Token. */
  async function refresh({ request, reply, challenge }: Call): Promise<GenericReply> {
    const session = await loadSession(ctx, request);
    if (!session?.refreshJti) return unauthorized(TEXT.noCredentials, challenge);
    const r = await logins.refresh(session.refreshJti);
    if (r.ok) {
      if (await logins.isUnrevoked(r.refreshJti)) await setRefresh(ctx, reply, session, r.refreshJti);
      return json(200, { access: r.access, refresh: r.refresh }, NO_STORE);
    }
    switch (r.reason) {
      case 'user_not_found':
        return unauthorized(TEXT.userNotFound, challenge);
      case 'user_inactive':
        return unauthorized(USER_INACTIVE, challenge);
      case 'invalid':
        await clearRefresh(ctx, reply, session);
        return unauthorized(TEXT.invalidOrExpired, challenge);
      case 'reuse': {
        await clearRefresh(ctx, reply, session);
        const owner = await ctx.accounts.byId(r.userId);
        await ctx.audit.record({ event: 'token.reuse', meta: requestMeta(request, 'v1'), user: owner ? person(owner) : { id: r.userId, email: null, username: null }, details: { login: r.loginId } });
        return unauthorized(TEXT.blacklisted, challenge);
      }
      case 'blacklisted':
        await clearRefresh(ctx, reply, session);
        return unauthorized(TEXT.blacklisted, challenge);
    }
  }

  /** The access jti is denylisted until its exp, its login ended, the session's refresh dropped (§3.7). */
  async function logoutJwt({ request, reply, auth: credential }: Call) {
    const auth = signedInWith(credential, 'jwt');
    if (auth.jti) await ctx.revocation.denyAccess(auth.jti, auth.exp, 'logout');
    if (auth.loginId) await ctx.revocation.endLogin(auth.loginId, 'logout');
    const session = await loadSession(ctx, request);
    if (session?.refreshJti) {
      await ctx.revocation.revokeRefresh(session.refreshJti, 'logout');
      await clearRefresh(ctx, reply, session);
    }
    await ctx.audit.record({ event: 'logout', meta: requestMeta(request, 'v1'), user: person(auth.user), details: { method: 'jwt' } });
    return LOGGED_OUT;
  }

  return [
    { path: 'login-jwt/', name: 'JWT Login', credential: 'none', throttle: 'anon', challenge: JWT_CHALLENGE, methods: { POST: { view: loginJwt, parse: true } } },
    { path: 'token/refresh/', name: 'JWT Refresh', credential: 'optional', throttle: 'anon', methods: { POST: { view: refresh } } },
    { path: 'logout-jwt/', name: 'JWT Logout', credential: 'required', schemes: 'bearer', throttle: 'user', challenge: JWT_CHALLENGE, methods: { POST: { view: logoutJwt } } },
  ];
}
