// Sign-in with an OpenID Connect provider (social.md §2.2–§2.5): the authorization request,
// the callback, and the exchange of the one-time login code. The protocol itself (PKCE S256,
// state, nonce, the token request, ID-token validation against the provider's keys,
// userinfo) is openid-client's; this module decides what to keep, for how long, and what the
// outcome means for the account.
//
// Provider tokens live only inside `callback`: they are neither stored nor logged, and only
// the digest of the state, of the cookie binding and of the login code is kept.
import * as oidc from 'openid-client';
import { Counter } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Accounts, User } from '../accounts.js';
import { person } from '../accounts.js';
import type { Audit, RequestMeta } from '../audit.js';
import type { Lockout } from '../lockout.js';
import type { Mailer } from '../mail.js';
import type { Metrics } from '../metrics.js';
import type { SecretKeys } from '../secrets.js';
import { type ProviderClaims, needsUserinfo, readClaims } from './claims.js';
import { type LoginKind, OAuthFlows, randomToken } from './flows.js';
import type { Identities } from './identities.js';
import { AccountMatcher } from './matching.js';
import type { OidcProviders } from './providers.js';
import { resolveNext, withResult } from './redirects.js';
import type { Outbox } from '../events/outbox.js';

/** The binding cookie (social.md §2.2); `Secure` is the route's decision (v1.md §0.3). */
export const OAUTH_COOKIE = Object.freeze({ name: 'gh_oauth', path: '/v1/user/oauth/', maxAgeSeconds: 600 });

export type StartFailure = 'unknown_provider' | 'next_not_allowed' | 'bad_kind' | 'unavailable';

/** `url`: where to send the browser; `cookie`: the value of the `gh_oauth` cookie to set. */
export type StartResult = { ok: true; url: string; cookie: string } | { ok: false; reason: StartFailure };
export type LinkResult = { ok: true; url: string; cookie: string } | { ok: false; reason: Exclude<StartFailure, 'bad_kind'> };

export type LoginError = 'access_denied' | 'provider_error' | 'account_exists' | 'identity_in_use' | 'inactive';

/**
 * `redirect`: the stored `next` with exactly one parameter added; `outcome` says which.
 * `invalid_state`: 400 "Invalid or expired OAuth state."; `unknown_provider`: 404.
 */
export type CallbackResult =
  | { ok: true; redirect: string; outcome: 'login_code' | 'linked' | LoginError }
  | { ok: false; reason: 'invalid_state' | 'unknown_provider' };

export type ExchangeResult =
  | { ok: true; user: User; kind: LoginKind; provider: string }
  | { ok: false; reason: 'invalid_code' }
  | { ok: false; reason: 'locked' | 'inactive'; user: User };

export interface OidcSignInDeps {
  db: Kysely<Database>;
  secrets: SecretKeys;
  accounts: Accounts;
  lockout: Lockout;
  audit: Audit;
  mailer: Mailer;
  metrics: Metrics;
  outbox: Outbox;
  providers: OidcProviders;
  identities: Identities;
  /** OAUTH_REDIRECT_ORIGINS; null: the origin of the base URL. */
  redirectOrigins: readonly string[] | null;
}

export interface StartInput {
  provider: string;
  next: unknown;
  /** `knox` (also when absent) or `jwt`. */
  kind?: unknown;
  /** PUBLIC_URL, or the listening address of v1.md §0.11: never anything the request says. */
  base: string;
}

export interface LinkInput {
  provider: string;
  next: unknown;
  user: User;
  base: string;
}

export interface CallbackInput {
  provider: string;
  /** The callback's query string (or its parsed parameters), as received. */
  query: string | URLSearchParams;
  /** The `gh_oauth` cookie's value, if the browser sent one. */
  cookie: string | undefined;
  meta: RequestMeta;
}

const SWEEP_INTERVAL_MS = 60_000;

type ProtocolOutcome = { ok: true; claims: ProviderClaims } | { ok: false; reason: 'access_denied' | 'provider_error' };

export class OidcSignIn {
  private readonly flows: OAuthFlows;
  private readonly matcher: AccountMatcher;
  private readonly starts: Counter<'provider' | 'outcome'>;
  private readonly callbacks: Counter<'provider' | 'outcome'>;
  private lastSweep = 0;

  constructor(private readonly d: OidcSignInDeps) {
    this.flows = new OAuthFlows(d.db, d.secrets);
    this.matcher = new AccountMatcher(d);
    this.starts = counter(d.metrics, 'gatehouse_oauth_starts_total', 'OAuth authorization requests by provider and outcome (started, unavailable)');
    this.callbacks = counter(d.metrics, 'gatehouse_oauth_callbacks_total', 'OAuth callbacks by provider and outcome (login_code, linked, a login_error, invalid_state)');
  }

  /** GET `oauth/<id>/start/` (§2.2). Checks in the spec's order: provider, next, kind; then discovery. */
  async start(input: StartInput): Promise<StartResult> {
    if (!this.d.providers.get(input.provider)) return { ok: false, reason: 'unknown_provider' };
    const next = resolveNext(input.next as string | undefined, this.d.redirectOrigins, trimBase(input.base));
    if (next === null) return { ok: false, reason: 'next_not_allowed' };
    const kind = input.kind === undefined || input.kind === null ? 'knox' : input.kind;
    if (kind !== 'knox' && kind !== 'jwt') return { ok: false, reason: 'bad_kind' };
    return this.begin(input.provider, next, kind, null, input.base);
  }

  /** POST `oauth/<id>/link/` (§2.3): the same request, bound to the caller. */
  async link(input: LinkInput): Promise<LinkResult> {
    if (!this.d.providers.get(input.provider)) return { ok: false, reason: 'unknown_provider' };
    const next = resolveNext(input.next as string | undefined, this.d.redirectOrigins, trimBase(input.base));
    if (next === null) return { ok: false, reason: 'next_not_allowed' };
    return this.begin(input.provider, next, null, input.user.number, input.base) as Promise<LinkResult>;
  }

  /** GET `oauth/<id>/callback/` (§2.4). */
  async callback(input: CallbackInput): Promise<CallbackResult> {
    const provider = this.d.providers.get(input.provider);
    if (!provider) return { ok: false, reason: 'unknown_provider' };
    const query = typeof input.query === 'string' ? new URLSearchParams(input.query) : input.query;
    const states = query.getAll('state');
    const flow = states.length === 1 ? await this.flows.take(states[0], provider.id, input.cookie) : null;
    if (!flow) {
      this.callbacks.inc({ provider: provider.id, outcome: 'invalid_state' });
      return { ok: false, reason: 'invalid_state' };
    }

    const fail = async (reason: LoginError, user: User | null): Promise<CallbackResult> => {
      this.callbacks.inc({ provider: provider.id, outcome: reason });
      await this.d.audit.record({ event: 'oauth.failure', meta: input.meta, user: user ? person(user) : null, details: { provider: provider.id, reason } });
      return { ok: true, redirect: withResult(flow.next, 'login_error', reason), outcome: reason };
    };

    const protocol = await this.protocol(provider.id, flow, query, states[0]);
    if (!protocol.ok) {
      const caller = flow.linkUser !== null ? ((await this.d.accounts.byNumber(flow.linkUser)) ?? null) : null;
      return fail(protocol.reason, caller);
    }

    const match = await this.matcher.match({ provider, claims: protocol.claims, linkUser: flow.linkUser, meta: input.meta });
    if (!match.ok) return fail(match.reason, match.user);
    if (match.action === 'linked') {
      this.callbacks.inc({ provider: provider.id, outcome: 'linked' });
      return { ok: true, redirect: withResult(flow.next, 'linked', provider.id), outcome: 'linked' };
    }
    const code = await this.flows.issueCode(match.user.number, provider.id, flow.kind ?? 'knox');
    this.callbacks.inc({ provider: provider.id, outcome: 'login_code' });
    await this.d.audit.record({ event: 'oauth.login', meta: input.meta, user: person(match.user), details: { provider: provider.id, new_user: match.created } });
    return { ok: true, redirect: withResult(flow.next, 'login_code', code), outcome: 'login_code' };
  }

  /**
   * POST `oauth/exchange/` (§2.5): spends the code. The caller then completes the login for
   * `kind` (two-factor challenge, credential, last_login, `login.success`). A locked account is
   * refused first (v1.md §0.7: every login of a locked account gets the locked answer), recorded
   * as `login.locked` and answered 403 by the route; then an inactive one (deactivated since the
   * callback), recorded as `login.failure`. Neither counts toward the streak.
   */
  async exchange(code: unknown, meta: RequestMeta): Promise<ExchangeResult> {
    const issued = await this.flows.takeCode(code);
    if (!issued) return { ok: false, reason: 'invalid_code' };
    const user = await this.d.accounts.byNumber(issued.userNumber);
    if (!user) return { ok: false, reason: 'invalid_code' };
    if (this.d.lockout.lockedUntil(user) !== null) {
      this.d.metrics.logins.inc({ surface: meta.surface, result: 'locked' });
      await this.d.audit.record({ event: 'login.locked', meta, user: person(user), details: { method: 'oauth', provider: issued.provider } });
      return { ok: false, reason: 'locked', user };
    }
    if (user.is_active !== 1) {
      this.d.metrics.logins.inc({ surface: meta.surface, result: 'inactive' });
      await this.d.audit.record({ event: 'login.failure', meta, user: person(user), details: { method: 'oauth', provider: issued.provider, reason: 'inactive' } });
      return { ok: false, reason: 'inactive', user };
    }
    return { ok: true, user, kind: issued.kind, provider: issued.provider };
  }

  private async begin(providerId: string, next: string, kind: LoginKind | null, linkUser: number | null, base: string): Promise<StartResult> {
    const lookup = await this.d.providers.client(providerId);
    if (!lookup.ok) {
      if (lookup.reason === 'unavailable') this.starts.inc({ provider: providerId, outcome: 'unavailable' });
      return { ok: false, reason: lookup.reason };
    }
    const state = randomToken();
    const cookie = randomToken();
    const nonce = oidc.randomNonce();
    const verifier = oidc.randomPKCECodeVerifier();
    const redirectUri = `${trimBase(base)}/v1/user/oauth/${providerId}/callback/`;
    const url = oidc.buildAuthorizationUrl(lookup.client, {
      redirect_uri: redirectUri,
      scope: lookup.provider.scopes,
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await this.sweepNowAndThen();
    await this.flows.save({ state, cookie, provider: providerId, nonce, verifier, next, kind, linkUser, redirectUri });
    this.starts.inc({ provider: providerId, outcome: 'started' });
    return { ok: true, url: url.href, cookie };
  }

  /** The token request, ID-token validation and userinfo, all by openid-client. */
  private async protocol(providerId: string, flow: { redirectUri: string; verifier: string; nonce: string }, query: URLSearchParams, state: string): Promise<ProtocolOutcome> {
    const lookup = await this.d.providers.client(providerId);
    if (!lookup.ok) return { ok: false, reason: 'provider_error' };
    const current = new URL(flow.redirectUri);
    for (const [k, v] of query) current.searchParams.append(k, v);
    try {
      const tokens = await oidc.authorizationCodeGrant(lookup.client, current, {
        pkceCodeVerifier: flow.verifier,
        expectedState: state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) return { ok: false, reason: 'provider_error' };
      let userinfo: oidc.UserInfoResponse | null = null;
      if (needsUserinfo(idToken) && lookup.client.serverMetadata().userinfo_endpoint && tokens.access_token) {
        userinfo = await oidc.fetchUserInfo(lookup.client, tokens.access_token, idToken.sub);
      }
      const claims = readClaims(idToken, userinfo);
      return claims ? { ok: true, claims } : { ok: false, reason: 'provider_error' };
    } catch (err) {
      if (err instanceof oidc.AuthorizationResponseError && err.error === 'access_denied') return { ok: false, reason: 'access_denied' };
      this.d.providers.report(providerId, 'callback', err);
      return { ok: false, reason: 'provider_error' };
    }
  }

  /** Expired requests and codes are refused anyway; removing them keeps the tables small. */
  private async sweepNowAndThen(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    await this.flows.sweep();
  }
}

/** One counter per app registry (two apps in one process each have their own). */
function counter(metrics: Metrics, name: string, help: string): Counter<'provider' | 'outcome'> {
  const existing = metrics.registry.getSingleMetric(name) as Counter<'provider' | 'outcome'> | undefined;
  return existing ?? new Counter({ name, help, labelNames: ['provider', 'outcome'], registers: [metrics.registry] });
}

function trimBase(base: string): string {
  return base.replace(/\/+$/, '');
}
