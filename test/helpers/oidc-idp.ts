// A real OpenID provider for tests: oidc-provider, in this process, on a random loopback port
// (an http issuer, so Gatehouse needs OIDC_ALLOW_HTTP). Nothing about the protocol is
// imitated: discovery, the authorization endpoint, PKCE, the token endpoint, signed ID tokens
// and userinfo are oidc-provider's own. The only test code is the interaction page, which
// finishes the login and consent prompts at once for the account the "browser" names (or
// refuses, as a user pressing Cancel would), and `authorize`, which plays the browser: plain
// HTTP requests that follow redirects and carry the provider's cookies.
//
// Clients can be added after start, so a test can register the redirect URI of an app whose
// port it learns later. An account may ask for ID tokens with another audience, so the
// relying party's audience check can be tested against a real, correctly signed token.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

export interface IdpAccount {
  sub: string;
  email?: string;
  email_verified?: boolean | string;
  name?: string;
  /** ID tokens for this account are issued to this audience instead of the client (misbehaviour). */
  idTokenAudience?: string;
}

export interface IdpClient {
  client_id: string;
  /** Absent: a public client (token_endpoint_auth_method none, PKCE alone). */
  client_secret?: string;
  redirect_uris: string[];
}

/** What the person at the provider does: sign in as an account, or cancel. */
export type IdpChoice = { login: string } | { deny: true };

export interface TestIdp {
  issuer: string;
  addClient(client: IdpClient): void;
  addAccount(account: IdpAccount): void;
  /** While down, every request answers 503 (discovery included). */
  setDown(down: boolean): void;
  /** How many requests reached the provider for this path (query ignored), down or not. */
  requestCount(path: string): number;
  /** Every token the token endpoint has handed out (access, ID and refresh tokens), to look for leaks. */
  issuedTokens(): string[];
  /**
   * Opens `authorizationUrl` as a fresh browser would and follows the provider's redirects,
   * through its interaction pages, until the browser is sent to a URL starting with `stopAt`
   * (the relying party's redirect URI), which is returned without being opened.
   */
  authorize(authorizationUrl: string, choice: IdpChoice, stopAt: string): Promise<URL>;
  close(): Promise<void>;
}

export interface IdpOptions {
  /** Put email and name into the ID token too (default: userinfo only, oidc-provider's default). */
  claimsInIdToken?: boolean;
}

const CHOICE_HEADER = 'x-test-idp-choice';

/** Gatehouse's settings for one provider (social.md §1), to merge into an app's env. */
export function providerEnv(id: string, p: { issuer: string; clientId: string; clientSecret?: string; name?: string; scopes?: string }): Record<string, string> {
  const prefix = `OIDC_${id.toUpperCase().replaceAll('-', '_')}_`;
  return {
    [prefix + 'ISSUER']: p.issuer,
    [prefix + 'CLIENT_ID']: p.clientId,
    ...(p.clientSecret ? { [prefix + 'CLIENT_SECRET']: p.clientSecret } : {}),
    ...(p.name ? { [prefix + 'NAME']: p.name } : {}),
    ...(p.scopes ? { [prefix + 'SCOPES']: p.scopes } : {}),
  };
}

/** An http URL on a loopback port where nothing listens (an undiscoverable issuer). */
export async function closedPortUrl(): Promise<string> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export async function startIdp(options: IdpOptions = {}): Promise<TestIdp> {
  const clients = new Map<string, Record<string, unknown>>();
  const accounts = new Map<string, IdpAccount>();
  let down = false;
  const hits = new Map<string, number>();
  const tokenAnswers: string[] = [];

  // The issuer names the port, so the server listens first and serves once the provider exists.
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };
  const memory = createMemoryAdapter();
  const clientStore = {
    find: async (id: string) => clients.get(id),
    upsert: async () => {},
    destroy: async () => {},
    consume: async () => {},
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    revokeByGrantId: async () => {},
  };

  const provider = new Provider(issuer, {
    adapter: (model: string) => (model === 'Client' ? clientStore : memory(model)),
    findAccount: async (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return { accountId: sub, claims: async () => claimsOf(account) };
    },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: !options.claimsInIdToken,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    jwks: { keys: [signingKey] },
    pkce: { required: () => true },
    responseTypes: ['code'],
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    renderError: async (ctx: { type: string; body: unknown }, out: unknown) => {
      ctx.type = 'application/json';
      ctx.body = out;
    },
  });
  misissueAudience(provider, accounts);
  const serve = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (down) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down for maintenance');
      return;
    }
    if (path === '/token') recordBody(res, (body) => tokenAnswers.push(body));
    if (path.startsWith('/interaction/')) {
      interact(provider, req, res).catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`interaction failed: ${err.message}`);
      });
      return;
    }
    serve(req, res);
  });

  return {
    issuer,
    addClient(client) {
      clients.set(client.client_id, {
        client_id: client.client_id,
        ...(client.client_secret ? { client_secret: client.client_secret } : {}),
        redirect_uris: client.redirect_uris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: client.client_secret ? 'client_secret_basic' : 'none',
      });
    },
    addAccount(account) {
      accounts.set(account.sub, account);
    },
    setDown(value) {
      down = value;
    },
    requestCount: (path) => hits.get(path) ?? 0,
    issuedTokens: () =>
      tokenAnswers.flatMap((body) => {
        try {
          const parsed = JSON.parse(body) as Record<string, unknown>;
          return ['access_token', 'id_token', 'refresh_token'].map((k) => parsed[k]).filter((v): v is string => typeof v === 'string');
        } catch {
          return [];
        }
      }),
    authorize: (url, choice, stopAt) => browse(url, choice, stopAt),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Hands what the server wrote as the response body to `done` once the response ends. */
function recordBody(res: http.ServerResponse, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
  const keep = (chunk: unknown) => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') keep(chunk);
    done(Buffer.concat(chunks).toString('utf8'));
    return end(chunk, ...rest);
  }) as typeof res.end;
}

function claimsOf(a: IdpAccount): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: a.sub };
  if (a.email !== undefined) claims.email = a.email;
  if (a.email_verified !== undefined) claims.email_verified = a.email_verified;
  if (a.name !== undefined) claims.name = a.name;
  return claims;
}

/** The interaction page: the login prompt, then the consent prompt, answered as the browser asks. */
async function interact(provider: Provider, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const choice = JSON.parse(String(req.headers[CHOICE_HEADER] ?? 'null')) as IdpChoice | null;
  if (choice === null) throw new Error('the browser did not say what to do');
  if ('deny' in choice) {
    await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'End-User aborted interaction' }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: choice.login } }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name !== 'consent') throw new Error(`unexpected prompt ${details.prompt.name}`);
  const accountId = details.session?.accountId;
  if (!accountId) throw new Error('consent without a session');
  const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
    new provider.Grant({ accountId, clientId: String(details.params.client_id) });
  const missing = details.prompt.details;
  if (Array.isArray(missing.missingOIDCScope)) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (Array.isArray(missing.missingOIDCClaims)) grant.addOIDCClaims(missing.missingOIDCClaims as string[]);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

/** Issues ID tokens of accounts that ask for it to another audience, signed as usual. */
function misissueAudience(provider: Provider, accounts: Map<string, IdpAccount>): void {
  const proto = provider.IdToken.prototype;
  const issue = proto.issue;
  proto.issue = async function (this: { available?: { sub?: string }; client: { clientId: string } }, opts?: { use?: string }) {
    const audience = accounts.get(this.available?.sub ?? '')?.idTokenAudience;
    if (!audience || opts?.use !== 'idtoken') return issue.call(this, opts);
    const real = this.client;
    this.client = Object.create(real, { clientId: { value: audience } });
    try {
      return await issue.call(this, opts);
    } finally {
      this.client = real;
    }
  };
}

/** The browser leg: GETs with the provider's cookies, following redirects until `stopAt`. */
async function browse(start: string, choice: IdpChoice, stopAt: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = start;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(stopAt)) return new URL(url);
    const headers: Record<string, string> = { [CHOICE_HEADER]: JSON.stringify(choice) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { redirect: 'manual', headers });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      const gone = value === '' || attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url).href;
      continue;
    }
    throw new Error(`the provider answered ${res.status} at ${url}: ${(await res.text()).slice(0, 300)}`);
  }
  throw new Error('too many redirects at the provider');
}
