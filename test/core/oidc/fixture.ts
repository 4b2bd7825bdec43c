// A Gatehouse core on a fresh database (SQLite, or PostgreSQL + Redis when the test env asks)
// with three providers: `corp` (a confidential client at a real oidc-provider, claims from
// userinfo), `corp-public` (a public client at a second oidc-provider that puts the claims in
// the ID token) and `down` (an issuer on a closed port).
import { expect } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { closedPortUrl, type IdpChoice, providerEnv, startIdp, type TestIdp } from '../../helpers/oidc-idp.js';
import { createOidc, type Oidc, type ProviderProblem, type StartResult } from '../../../src/core/oidc/index.js';
import type { RequestMeta } from '../../../src/core/audit.js';

export const APP_ORIGIN = 'https://app.example.com';
export const NEXT = `${APP_ORIGIN}/after-login?from=test`;
export const SECRET = 'corp-client-secret-0123456789abcdef';
export const meta: RequestMeta = { surface: 'v1', ip: '203.0.113.9', userAgent: 'vitest' };

export interface OidcFixture {
  t: TestApp;
  idp: TestIdp;
  idp2: TestIdp;
  oidc: Oidc;
  problems: ProviderProblem[];
  /** Users (by number) that the `hasPasskey` predicate says have a passkey. */
  passkeyUsers: Set<number>;
  callbackUrl(provider: string): string;
  /** start (or link), the browser leg at the provider, and the URL it was sent back to. */
  authorize(started: StartResult, choice: IdpChoice, provider?: string): Promise<URL>;
  close(): Promise<void>;
}

export async function startOidcFixture(): Promise<OidcFixture> {
  const idp = await startIdp();
  const idp2 = await startIdp({ claimsInIdToken: true });
  const t = await startApp({
    OIDC_ALLOW_HTTP: 'true',
    OIDC_PROVIDERS: 'corp,corp-public,down',
    ...providerEnv('corp', { issuer: idp.issuer, clientId: 'gatehouse', clientSecret: SECRET, name: 'Corp SSO' }),
    ...providerEnv('corp-public', { issuer: idp2.issuer, clientId: 'gatehouse-public' }),
    ...providerEnv('down', { issuer: await closedPortUrl(), clientId: 'gatehouse' }),
    OAUTH_REDIRECT_ORIGINS: APP_ORIGIN,
  });
  const callbackUrl = (provider: string) => `${t.url}/v1/user/oauth/${provider}/callback/`;
  idp.addClient({ client_id: 'gatehouse', client_secret: SECRET, redirect_uris: [callbackUrl('corp')] });
  idp2.addClient({ client_id: 'gatehouse-public', redirect_uris: [callbackUrl('corp-public')] });
  const problems: ProviderProblem[] = [];
  const passkeyUsers = new Set<number>();
  const oidc = createOidc({
    ...t.ctx,
    config: t.ctx.config,
    outbox: t.ctx.events.outbox,
    hasPasskey: async (n) => passkeyUsers.has(n),
    onProviderProblem: (p) => problems.push(p),
  });
  return {
    t,
    idp,
    idp2,
    oidc,
    problems,
    passkeyUsers,
    callbackUrl,
    async authorize(started, choice, provider = 'corp') {
      expect(started.ok).toBe(true);
      if (!started.ok) throw new Error(started.reason);
      const at = provider === 'corp-public' ? idp2 : idp;
      return at.authorize(started.url, choice, callbackUrl(provider));
    },
    async close() {
      await t?.close();
      await idp?.close();
      await idp2?.close();
    },
  };
}
