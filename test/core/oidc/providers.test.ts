// Discovery (social.md §1): lazy, cached for an hour, never waited for at start; a provider
// that cannot be discovered is unavailable and tried again soon, not an hour later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closedPortUrl, startIdp, type TestIdp } from '../../helpers/oidc-idp.js';
import { OidcProviders, type ProviderProblem } from '../../../src/core/oidc/index.js';
import type { OidcProviderConfig } from '../../../src/config.js';

let idp: TestIdp;
beforeAll(async () => {
  idp = await startIdp();
});
afterAll(async () => {
  await idp?.close();
});

function provider(id: string, issuer: string): OidcProviderConfig {
  return { id, issuer, clientId: 'gatehouse', clientSecret: 'secret-secret-secret', name: id, scopes: 'openid email profile' };
}

describe('OidcProviders', () => {
  it('discovers at first use, caches for an hour, and retries a failure after a few seconds', async () => {
    let clock = 1_000_000;
    const problems: ProviderProblem[] = [];
    const providers = new OidcProviders([provider('corp', idp.issuer)], { allowHttp: true, now: () => clock, retryMs: 5_000, onProblem: (p) => problems.push(p) });

    idp.setDown(true);
    try {
      expect(await providers.client('corp')).toEqual({ ok: false, reason: 'unavailable' });
      expect(problems).toMatchObject([{ provider: 'corp', stage: 'discovery' }]);
      idp.setDown(false);
      const asked = idp.requestCount('/.well-known/openid-configuration');
      clock += 4_999;
      expect(await providers.client('corp')).toEqual({ ok: false, reason: 'unavailable' }); // still within the pause
      expect(idp.requestCount('/.well-known/openid-configuration')).toBe(asked); // and the provider was not asked again
      clock += 2;
      const found = await providers.client('corp');
      expect(found.ok).toBe(true);
      if (!found.ok) return;
      expect(found.client.serverMetadata().issuer).toBe(idp.issuer);

      idp.setDown(true);
      clock += 3_599_000;
      expect((await providers.client('corp')).ok).toBe(true); // cached within the hour
      clock += 2_000;
      expect(await providers.client('corp')).toEqual({ ok: false, reason: 'unavailable' });
    } finally {
      idp.setDown(false);
    }
  });

  it('concurrent first uses share one discovery; unknown ids are unknown', async () => {
    const discovery = '/.well-known/openid-configuration';
    const before = idp.requestCount(discovery);
    const providers = new OidcProviders([provider('corp', idp.issuer)], { allowHttp: true });
    const all = await Promise.all(Array.from({ length: 10 }, () => providers.client('corp')));
    expect(all.every((r) => r.ok)).toBe(true);
    expect(idp.requestCount(discovery) - before).toBe(1);
    expect(await providers.client('other')).toEqual({ ok: false, reason: 'unknown_provider' });
  });

  it('an http issuer is refused unless allowed; one provider down leaves the other usable', async () => {
    const strict = new OidcProviders([provider('corp', idp.issuer)], { allowHttp: false });
    expect(await strict.client('corp')).toEqual({ ok: false, reason: 'unavailable' });

    const mixed = new OidcProviders([provider('down', await closedPortUrl()), provider('corp', idp.issuer)], { allowHttp: true });
    const [down, up] = await Promise.all([mixed.client('down'), mixed.client('corp')]);
    expect(down).toEqual({ ok: false, reason: 'unavailable' });
    expect(up.ok).toBe(true);
    expect(mixed.list()).toEqual([{ id: 'down', name: 'down' }, { id: 'corp', name: 'corp' }]);
  });

  it('an issuer whose discovery document names another issuer is refused', async () => {
    const impostor = new OidcProviders([provider('corp', idp.issuer.replace('127.0.0.1', 'localhost'))], { allowHttp: true });
    expect(await impostor.client('corp')).toEqual({ ok: false, reason: 'unavailable' });
  });
});
