// Sign-in with OpenID Connect providers (social.md §2): the provider list, the two browser
// routes that answer with redirects (start/, callback/), linking a provider to the signed-in
// user, the exchange of the one-time login code for a v1 credential, and the caller's linked
// identities. The protocol and the account rules are the oidc core's (ctx.oidc); this file
// reads the request, sets and clears the `gh_oauth` binding cookie and words the results.
//
// redirect_uri and a path `next` are built from PUBLIC_URL or the listening address
// (ctx.accountMail.linkBase(), v1.md §0.11), never from the request's Host.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { MFA_METHODS } from '../../core/mfa/index.js';
import { OAUTH_COOKIE } from '../../core/oidc/index.js';
import { clearCookie, cookiesOf, requestMeta, setCookie } from '../../http/request.js';
import { Nullable, Timestamp, Type, Uuid } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { answerV1Login, v1Issuer } from './issue-login.js';
import { BAD_UUID, LOCKED, NOT_FOUND, NO_CONTENT, NO_STORE, TEXT, invalid, json, unauthorized } from './messages.js';
import { BAD_REQUEST, COMMON, Errors, JwtLoginAnswer, KnoxLoginAnswer, NO_CONTENT as NO_CONTENT_DOC, says } from './schemas.js';
import { type V1Call, type V1Route, challengeOf, signedIn, v1Path } from './style.js';
import { parseUuid } from './uuid.js';
import { validate } from './validation.js';
import { IDENTITIES, OAUTH_EXCHANGE_BODY, OAUTH_LINK, OAUTH_LINK_BODY, OAUTH_LOGIN, OAUTH_PROVIDERS } from './examples.js';

export const OAUTH_TEXT = {
  nextRefused: 'Next error. Redirect target is not allowed.',
  badKind: 'Kind error. Expected knox or jwt.',
  unavailable: 'Provider is unavailable.',
  invalidState: 'Invalid or expired OAuth state.',
  invalidCode: 'Invalid or expired login code.',
  identityMissing: 'Identity does not exist.',
  lastWayIn: 'You cannot remove your last way to sign in.',
} as const;

const UNAVAILABLE = json(503, OAUTH_TEXT.unavailable);
const INVALID_STATE = json(400, OAUTH_TEXT.invalidState);
const IDENTITY_MISSING = json(404, OAUTH_TEXT.identityMissing);
/** Redirects carrying a state or a login code are never stored, and never sent on as a Referer. */
const REDIRECT_HEADERS = { ...NO_STORE, 'Referrer-Policy': 'no-referrer' } as const;

function redirect(location: string): GenericReply {
  return { status: 302, headers: { Location: location, ...REDIRECT_HEADERS } };
}

/** The query string exactly as the browser sent it (the core reads `state`, `code`, `error` from it). */
function rawQuery(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q < 0 ? '' : request.url.slice(q + 1);
}

function queryValue(request: FastifyRequest, key: string): unknown {
  return (request.query as Record<string, unknown> | undefined)?.[key];
}

export function oauthRoutes(ctx: AppContext): V1Route[] {
  const { oidc } = ctx;
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: OAUTH_COOKIE.path };

  /** §2.2: the login-CSRF binding; the callback accepts the state only with this cookie. */
  function bind(reply: FastifyReply, value: string): void {
    setCookie(reply, ctx.config, OAUTH_COOKIE.name, value, { ...cookieOptions, maxAge: OAUTH_COOKIE.maxAgeSeconds });
  }

  async function providers(): Promise<GenericReply> {
    return json(200, oidc.providers.list());
  }

  /** §2.2: provider (404), next (400), kind (400), then discovery (503); 302 to the provider. */
  async function start({ request, reply, params }: V1Call): Promise<GenericReply> {
    const r = await oidc.signIn.start({
      provider: params.id ?? '',
      next: queryValue(request, 'next'),
      kind: queryValue(request, 'kind'),
      base: ctx.accountMail.linkBase(),
    });
    if (!r.ok) {
      switch (r.reason) {
        case 'unknown_provider':
          return NOT_FOUND;
        case 'next_not_allowed':
          return json(400, OAUTH_TEXT.nextRefused);
        case 'bad_kind':
          return json(400, OAUTH_TEXT.badKind);
        case 'unavailable':
          return UNAVAILABLE;
      }
    }
    bind(reply, r.cookie);
    return redirect(r.url);
  }

  /** §2.3: the same authorization request, bound to the caller; the URL in the body. */
  async function link({ reply, auth, body, params }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const provider = params.id ?? '';
    if (!oidc.providers.get(provider)) return NOT_FOUND;
    const v = await validate(body, [{ key: 'next', trim: false }]);
    if (!v.ok) return invalid(v.errors);
    const r = await oidc.signIn.link({ provider, next: v.values.next, user, base: ctx.accountMail.linkBase() });
    if (!r.ok) {
      switch (r.reason) {
        case 'unknown_provider':
          return NOT_FOUND;
        case 'next_not_allowed':
          return json(400, OAUTH_TEXT.nextRefused);
        case 'unavailable':
          return UNAVAILABLE;
      }
    }
    bind(reply, r.cookie);
    return json(200, { url: r.url }, NO_STORE);
  }

  /** §2.4: every outcome a 302 to the stored next, or 400 when the state is unusable; the cookie goes. */
  async function callback({ request, reply, params }: V1Call): Promise<GenericReply> {
    const r = await oidc.signIn.callback({
      provider: params.id ?? '',
      query: rawQuery(request),
      cookie: cookiesOf(request)[OAUTH_COOKIE.name],
      meta: requestMeta(request, 'v1'),
    });
    if (!r.ok && r.reason === 'unknown_provider') return NOT_FOUND;
    clearCookie(reply, ctx.config, OAUTH_COOKIE.name, cookieOptions);
    return r.ok ? redirect(r.redirect) : INVALID_STATE;
  }

  /**
   * §2.5: the code is spent first, whatever follows. Locked 403, inactive 401; two-factor on:
   * the mfa.md §3.1 challenge (login/mfa/ completes it); otherwise exactly the success of
   * login-knox/ or login-jwt/ for the kind chosen at start.
   */
  async function exchange({ request, reply, body, route }: V1Call): Promise<GenericReply> {
    const v = await validate(body, [{ key: 'login_code' }]);
    if (!v.ok) return invalid(v.errors);
    const meta = requestMeta(request, 'v1');
    const r = await oidc.signIn.exchange(v.values.login_code, meta);
    if (!r.ok) {
      switch (r.reason) {
        case 'invalid_code':
          return unauthorized(OAUTH_TEXT.invalidCode, challengeOf(route));
        case 'locked':
          return LOCKED;
        case 'inactive':
          return unauthorized(TEXT.badCredentials, challengeOf(route));
      }
    }
    if (await ctx.mfa.enrolment.isEnabled(r.user.number)) {
      const step = await ctx.mfa.challenges.issue(r.user, r.kind, meta, { provider: r.provider });
      return json(200, { mfa_required: true, mfa_token: step.mfaToken, methods: [...MFA_METHODS] }, NO_STORE);
    }
    const done = await ctx.login.recordSuccess(r.user, meta, { method: 'oauth', provider: r.provider, kind: r.kind }, v1Issuer(ctx, meta, r.kind));
    return answerV1Login(ctx, request, reply, done.user, done.issued);
  }

  async function identities({ auth }: V1Call): Promise<GenericReply> {
    return json(200, await oidc.identities.list(signedIn(auth).user.number));
  }

  /** §2.6: never the last way in (no usable password, no passkey, no other identity). */
  async function unlink({ request, auth, params }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const id = parseUuid(params.id ?? '');
    if (id === null) return BAD_UUID;
    const r = await oidc.identities.unlink(user, id, requestMeta(request, 'v1'));
    if (r.ok) return NO_CONTENT;
    return r.reason === 'not_found' ? IDENTITY_MISSING : invalid([OAUTH_TEXT.lastWayIn]);
  }

  const redirectDoc = (description: string) => ({
    description,
    headers: { Location: { description: 'Where the browser goes next', schema: Type.String({ format: 'uri' }) } },
  });

  return [
    {
      paths: [v1Path('oauth/providers/')],
      name: 'OAuth Providers',
      credential: 'none',
      methods: {
        GET: {
          operationId: 'v1OAuthProviders',
          summary: 'The configured OpenID Connect providers, in configuration order',
          responses: { 200: { description: 'id and display name of each provider', schema: Type.Array(ProviderSchema), example: OAUTH_PROVIDERS }, ...COMMON },
          handle: providers,
        },
      },
    },
    {
      paths: [v1Path('oauth/:id/start/')],
      name: 'OAuth Start',
      credential: 'none',
      throttle: 'anon',
      methods: {
        GET: {
          operationId: 'v1OAuthStart',
          summary: 'Send the browser to the provider (authorization code with PKCE); sets the gh_oauth binding cookie',
          description: 'The provider sends the browser back to `/v1/user/oauth/<id>/callback/`, which redirects to `next` with `login_code`, `linked` or `login_error`.',
          query: Type.Object({
            next: Type.String({ description: 'Where to return: a path, or a URL on an origin of OAUTH_REDIRECT_ORIGINS' }),
            kind: Type.Optional(Type.Union([Type.Literal('knox'), Type.Literal('jwt')])),
          }),
          responses: {
            302: redirectDoc('To the provider’s authorization endpoint; Set-Cookie: gh_oauth'),
            400: says('Next error. Redirect target is not allowed.', 'Kind error. Expected knox or jwt.'),
            404: says('Not found.'),
            503: says('Provider is unavailable.'),
            ...COMMON,
          },
          handle: start,
        },
      },
    },
    {
      paths: [v1Path('oauth/:id/link/')],
      name: 'OAuth Link',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1OAuthLink',
          summary: 'Start linking a provider to the caller: the authorization URL to open; sets the gh_oauth binding cookie',
          body: { schema: Type.Object({ next: Type.String() }, { required: ['next'] }), example: OAUTH_LINK_BODY },
          responses: {
            200: { description: 'The authorization URL', schema: Type.Object({ url: Type.String({ format: 'uri' }) }), example: OAUTH_LINK },
            400: { description: 'Field errors or "Next error. Redirect target is not allowed."', schema: Errors, example: OAUTH_TEXT.nextRefused },
            404: says('Not found.'),
            503: says('Provider is unavailable.'),
            ...COMMON,
          },
          handle: link,
        },
      },
    },
    {
      paths: [v1Path('oauth/:id/callback/')],
      name: 'OAuth Callback',
      credential: 'none',
      throttle: 'anon',
      methods: {
        GET: {
          operationId: 'v1OAuthCallback',
          summary: 'Where the provider returns the browser: redirects to next with login_code, linked or login_error',
          description: 'Register `{PUBLIC_URL}/v1/user/oauth/<id>/callback/` as the redirect URI at the provider. The gh_oauth cookie is cleared.',
          query: Type.Object({ code: Type.Optional(Type.String()), state: Type.Optional(Type.String()), error: Type.Optional(Type.String()) }),
          responses: {
            302: redirectDoc('To the stored next with `login_code=<43 characters>`, `linked=<provider>` or `login_error=<reason>`'),
            400: says('Invalid or expired OAuth state.'),
            404: says('Not found.'),
            ...COMMON,
          },
          handle: callback,
        },
      },
    },
    {
      paths: [v1Path('oauth/exchange/')],
      name: 'OAuth Exchange',
      credential: 'none',
      throttle: 'anon',
      extra: { crossSiteChecked: true },
      methods: {
        POST: {
          operationId: 'v1OAuthExchange',
          summary: 'Exchange a one-time login code for the credential of the kind chosen at start',
          body: { schema: Type.Object({ login_code: Type.String() }, { required: ['login_code'] }), example: OAUTH_EXCHANGE_BODY },
          responses: {
            200: {
              description: 'The login-knox/ body, the login-jwt/ body with Set-Cookie: sessionid, or (two-factor on) the challenge that login/mfa/ completes',
              schema: Type.Union([KnoxLoginAnswer, JwtLoginAnswer, MfaChallenge]),
              example: OAUTH_LOGIN,
            },
            400: BAD_REQUEST,
            ...COMMON,
            401: { description: '"Invalid or expired login code.", "No active account found with the given credentials." (inactive)', schema: Type.String(), example: OAUTH_TEXT.invalidCode },
            403: { description: 'Locked out, or a cross-site request', schema: Type.String(), example: TEXT.lockedOut },
          },
          handle: exchange,
        },
      },
    },
    {
      paths: [v1Path('identities/')],
      name: 'Identities',
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: {
          operationId: 'v1ListIdentities',
          summary: 'The provider identities linked to the caller',
          responses: { 200: { description: 'The identities', schema: Type.Array(IdentitySchema), example: IDENTITIES }, ...COMMON },
          handle: identities,
        },
      },
    },
    {
      paths: [v1Path('identities/:id/')],
      name: 'Identity Detail',
      credential: 'required',
      throttle: 'user',
      methods: {
        DELETE: {
          operationId: 'v1UnlinkIdentity',
          summary: 'Unlink a provider identity (never the last way to sign in)',
          responses: {
            204: NO_CONTENT_DOC,
            400: says('You cannot remove your last way to sign in.', 'Badly formed hexadecimal uuid string'),
            404: says('Identity does not exist.'),
            ...COMMON,
          },
          handle: unlink,
        },
      },
    },
  ];
}

const ProviderSchema = Type.Object({ id: Type.String(), name: Type.String() });

const IdentitySchema = Type.Object({ id: Uuid, provider: Type.String(), email: Nullable(Type.String()), created: Timestamp, last_used: Nullable(Timestamp) });

const MfaChallenge = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String({ minLength: 43, maxLength: 43 }),
  methods: Type.Array(Type.String()),
});
