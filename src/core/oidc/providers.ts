// The configured OpenID Connect providers (social.md §1) and their discovered metadata.
//
// Discovery happens at first use, never at start, so a provider that is down cannot stop the
// service or delay the others. A discovered configuration is kept for an hour; a failure is
// remembered only for a few seconds (so a dead provider does not make every request wait for
// its timeout), after which the next use tries again. Concurrent first uses share one request.
import * as oidc from 'openid-client';
import type { OidcProviderConfig } from '../../config.js';

/** What went wrong with a provider, for the operator's log: never a token, a code or a secret. */
export interface ProviderProblem {
  provider: string;
  stage: 'discovery' | 'callback';
  /** The library's error code (e.g. OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED), when it has one. */
  code: string | null;
  message: string;
}

export interface OidcProvidersOptions {
  /** OIDC_ALLOW_HTTP: plain-http issuers (and their endpoints) are accepted. */
  allowHttp: boolean;
  /** How long a discovery result is used (default 1 hour). */
  cacheMs?: number;
  /** How long a failed discovery answers `unavailable` before it is tried again (default 5 s). */
  retryMs?: number;
  /** Timeout of each request to a provider, in seconds (default 10). */
  timeoutSeconds?: number;
  /** Milliseconds since the epoch (tests move it). */
  now?: () => number;
  onProblem?: (problem: ProviderProblem) => void;
}

export type ProviderLookup =
  | { ok: true; provider: OidcProviderConfig; client: oidc.Configuration }
  | { ok: false; reason: 'unknown_provider' | 'unavailable' };

export interface ProviderSummary {
  id: string;
  name: string;
}

type CacheEntry =
  | { state: 'ready'; client: oidc.Configuration; until: number }
  | { state: 'failed'; until: number };

const HOUR_MS = 3_600_000;

// RS256 is what openid-client expects by default; a provider that does not offer it is asked
// for the first asymmetric algorithm it announces. Symmetric and `none` are never accepted.
const ASYMMETRIC_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'RS384', 'PS384', 'ES384', 'RS512', 'PS512', 'ES512'];

export class OidcProviders {
  private readonly byId = new Map<string, OidcProviderConfig>();
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ProviderLookup>>();
  private readonly now: () => number;

  constructor(private readonly configured: readonly OidcProviderConfig[], private readonly opts: OidcProvidersOptions) {
    for (const p of configured) this.byId.set(p.id, p);
    this.now = opts.now ?? Date.now;
  }

  /** `oauth/providers/`: id and display name, in configuration order. */
  list(): ProviderSummary[] {
    return this.configured.map((p) => ({ id: p.id, name: p.name }));
  }

  get(id: string): OidcProviderConfig | undefined {
    return this.byId.get(id);
  }

  /** The provider's client configuration, discovering it when the cached one is missing or old. */
  async client(id: string): Promise<ProviderLookup> {
    const provider = this.byId.get(id);
    if (!provider) return { ok: false, reason: 'unknown_provider' };
    const cached = this.cache.get(id);
    const now = this.now();
    if (cached && cached.until > now) {
      return cached.state === 'ready' ? { ok: true, provider, client: cached.client } : { ok: false, reason: 'unavailable' };
    }
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = this.discover(provider).finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  /** Reports a protocol failure of a callback to the operator's log. */
  report(provider: string, stage: ProviderProblem['stage'], err: unknown): void {
    const e = err as { code?: unknown; message?: unknown };
    this.opts.onProblem?.({
      provider,
      stage,
      code: typeof e?.code === 'string' ? e.code : null,
      message: typeof e?.message === 'string' ? e.message.slice(0, 300) : String(err).slice(0, 300),
    });
  }

  private async discover(provider: OidcProviderConfig): Promise<ProviderLookup> {
    const insecure = this.opts.allowHttp && provider.issuer.startsWith('http:');
    const timeout = this.opts.timeoutSeconds ?? 10;
    try {
      const found = await oidc.discovery(new URL(provider.issuer), provider.clientId, undefined, oidc.None(), {
        timeout,
        execute: insecure ? [oidc.allowInsecureRequests] : [],
      });
      const client = this.configure(provider, found.serverMetadata(), insecure, timeout);
      this.cache.set(provider.id, { state: 'ready', client, until: this.now() + (this.opts.cacheMs ?? HOUR_MS) });
      return { ok: true, provider, client };
    } catch (err) {
      this.report(provider.id, 'discovery', err);
      this.cache.set(provider.id, { state: 'failed', until: this.now() + (this.opts.retryMs ?? 5_000) });
      return { ok: false, reason: 'unavailable' };
    }
  }

  /** The client as registered at the provider: its authentication method and ID-token algorithm. */
  private configure(provider: OidcProviderConfig, server: oidc.ServerMetadata, insecure: boolean, timeout: number): oidc.Configuration {
    const metadata: Partial<oidc.ClientMetadata> = {};
    const algs = server.id_token_signing_alg_values_supported;
    if (Array.isArray(algs) && !algs.includes('RS256')) {
      const alg = ASYMMETRIC_ALGS.find((a) => algs.includes(a));
      if (alg) metadata.id_token_signed_response_alg = alg;
    }
    let auth: oidc.ClientAuth;
    if (provider.clientSecret === null) {
      metadata.token_endpoint_auth_method = 'none';
      auth = oidc.None();
    } else {
      // OpenID Connect Discovery: client_secret_basic is the default when nothing is announced.
      const methods = server.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
      const post = !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
      metadata.token_endpoint_auth_method = post ? 'client_secret_post' : 'client_secret_basic';
      auth = post ? oidc.ClientSecretPost(provider.clientSecret) : oidc.ClientSecretBasic(provider.clientSecret);
    }
    const client = new oidc.Configuration(server, provider.clientId, metadata, auth);
    client.timeout = timeout;
    if (insecure) oidc.allowInsecureRequests(client);
    return client;
  }
}
