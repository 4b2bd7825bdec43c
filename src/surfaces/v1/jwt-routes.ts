// JWT routes (v1.md §3.3, §3.4, §3.7): login-jwt/, token/refresh/, logout-jwt/. The login
// families and rotation are core/v1-logins.ts; this file maps them onto the session slot and the
// original's answers. All three read or write `sessionid`, so a cross-site request is refused
// before anything else (§1.6a).
import type { AppContext } from '../../context.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import { loadSession } from '../../http/session-cookie.js';
import type { GenericReply } from '../../http/surface.js';
import { NO_STORE, TEXT, USER_INACTIVE, invalid, json, unauthorized } from './messages.js';
import { passwordLogin } from './password-login.js';
import { clearRefresh, setRefresh } from './refresh-slot.js';
import { BAD_REQUEST, COMMON, JwtLoginAnswer, JwtPair, MfaChallengeAnswer, says } from './schemas.js';
import { JWT_LOGIN, JWT_PAIR, LOGIN_BODY } from './examples.js';
import { type V1Call, type V1Route, challengeOf, signedInWith, v1Path } from './style.js';
import { type FieldSpec, validate } from './validation.js';

const LOGIN_FIELDS: FieldSpec[] = [{ key: 'email' }, { key: 'password' }];
const LOGGED_OUT = json(200, TEXT.loggedOut);
const JWT_CHALLENGE = 'Bearer realm="api"';
const CROSS_SITE = { description: '"Origin checking failed - <origin> does not match any trusted origins."', schema: Type.String(), example: 'Origin checking failed - https://elsewhere.example does not match any trusted origins.' };

export function jwtRoutes(ctx: AppContext): V1Route[] {
  /** The trimmed email and password (§3.3); the header is ignored; a held refresh is superseded. */
  async function loginJwt({ request, reply, body, route }: V1Call) {
    const v = await validate(body, LOGIN_FIELDS);
    if (!v.ok) return invalid(v.errors);
    return passwordLogin(ctx, request, reply, v.values.email, v.values.password, 'jwt', challengeOf(route));
  }

  /** Reads only the session's slot (§3.4); every 401 carries WWW-Authenticate: Token. */
  async function refresh({ request, reply, route }: V1Call): Promise<GenericReply> {
    const challenge = challengeOf(route);
    const session = await loadSession(ctx, request);
    if (!session?.refreshJti) return unauthorized(TEXT.noCredentials, challenge);
    const r = await ctx.v1Logins.refresh(session.refreshJti, requestMeta(request, 'v1'));
    if (r.ok) {
      if (await ctx.v1Logins.isUnrevoked(r.refreshJti)) await setRefresh(ctx, reply, session, r.refreshJti);
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
      case 'reuse':
      case 'blacklisted':
        await clearRefresh(ctx, reply, session);
        return unauthorized(TEXT.blacklisted, challenge);
    }
  }

  /** The access jti is denylisted until its exp, its login ended, the session's refresh dropped (§3.7). */
  async function logoutJwt({ request, reply, auth }: V1Call) {
    const jwt = signedInWith(auth, 'jwt');
    const session = await loadSession(ctx, request);
    await ctx.actions.logoutV1Jwt(jwt.user, { jti: jwt.jti, exp: jwt.exp, loginId: jwt.loginId }, session?.refreshJti ?? null, { meta: requestMeta(request, 'v1') });
    if (session?.refreshJti) await clearRefresh(ctx, reply, session);
    return LOGGED_OUT;
  }

  return [
    {
      paths: [v1Path('login-jwt/')],
      name: 'JWT Login',
      credential: 'none',
      throttle: 'anon',
      extra: { challenge: JWT_CHALLENGE, crossSiteChecked: true },
      methods: {
        POST: {
          operationId: 'v1LoginJwt',
          summary: 'Log in with email and password; returns a JWT pair and keeps the refresh in the sessionid cookie',
          body: { schema: Type.Object({ email: Type.String(), password: Type.String() }, { required: ['email', 'password'] }), example: LOGIN_BODY },
          responses: {
            200: { description: 'Logged in; Set-Cookie: sessionid (or, for an account with two-factor on, the second-step challenge that login/mfa/ completes)', schema: Type.Union([JwtLoginAnswer, MfaChallengeAnswer]), example: JWT_LOGIN },
            400: BAD_REQUEST,
            ...COMMON,
            401: says('No active account found with the given credentials.'),
            403: { description: 'Locked out, or a cross-site request', schema: Type.String(), example: TEXT.lockedOut },
          },
          handle: loginJwt,
        },
      },
    },
    {
      paths: [v1Path('token/refresh/')],
      name: 'JWT Refresh',
      credential: 'optional',
      throttle: 'anon',
      extra: { crossSiteChecked: true },
      methods: {
        POST: {
          operationId: 'v1RefreshJwt',
          summary: 'Rotate the refresh held by the sessionid cookie; returns a new pair',
          description: 'No body is needed: only the session cookie is read. A rotated refresh presented again after the grace period ends the whole login.',
          responses: { 200: { description: 'A new access and refresh token', schema: JwtPair, example: JWT_PAIR }, ...COMMON, 403: CROSS_SITE },
          handle: refresh,
        },
      },
    },
    {
      paths: [v1Path('logout-jwt/')],
      name: 'JWT Logout',
      credential: 'required',
      scheme: 'bearer',
      throttle: 'user',
      extra: { challenge: JWT_CHALLENGE, crossSiteChecked: true },
      methods: {
        POST: {
          operationId: 'v1LogoutJwt',
          summary: 'End the JWT login of the access token used, and the refresh the session holds',
          responses: { 200: says('User logged out successfully.'), ...COMMON, 403: CROSS_SITE },
          handle: logoutJwt,
        },
      },
    },
  ];
}
