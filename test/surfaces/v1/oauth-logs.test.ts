// social.md §4 and v1.md §0.13: nothing secret of a provider sign-in reaches a log line. A
// Gatehouse in its own process logs at the most verbose level while sign-ins run against a real
// provider (one succeeds, one fails ID-token validation, one is a jwt login); then its whole
// output is searched for every token the provider issued and every value of the flows.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type TestIdp, providerEnv, startIdp } from '../../helpers/oidc-idp.js';
import { Client, request } from '../../helpers/http.js';
import { type ChildServer, startChildServer } from './child-server.js';
import { V1 } from './helpers.js';

const SECRET = 'child-client-secret-' + randomBytes(8).toString('hex');
const NEXT = 'https://app.example.com/back';

let idp: TestIdp;
let child: ChildServer;
beforeAll(async () => {
  idp = await startIdp();
  child = await startChildServer({
    SURFACES: 'v1',
    LOG_LEVEL: 'trace',
    OIDC_ALLOW_HTTP: 'true',
    OIDC_PROVIDERS: 'corp',
    ...providerEnv('corp', { issuer: idp.issuer, clientId: 'gatehouse-child', clientSecret: SECRET }),
    OAUTH_REDIRECT_ORIGINS: 'https://app.example.com',
  });
  idp.addClient({ client_id: 'gatehouse-child', client_secret: SECRET, redirect_uris: [`${child.url}/v1/user/oauth/corp/callback/`] });
}, 60_000);
afterAll(async () => {
  await child?.close().catch(() => {});
  await idp?.close();
});

it('no provider token, code, state, nonce, binding cookie, login code or issued credential is logged', async () => {
  const seen: string[] = [SECRET];
  async function signIn(sub: string, kind: 'knox' | 'jwt'): Promise<URL> {
    const browser = new Client(child.url);
    const start = await browser.get(`${V1}oauth/corp/start/?${new URLSearchParams({ next: NEXT, kind })}`);
    expect(start.status, start.text).toBe(302);
    const authorization = new URL(start.headers.get('location')!);
    seen.push(authorization.searchParams.get('state')!, authorization.searchParams.get('nonce')!, authorization.searchParams.get('code_challenge')!, browser.jar.gh_oauth);
    const back = await idp.authorize(authorization.href, { login: sub }, `${child.url}/v1/user/oauth/corp/callback/`);
    seen.push(back.searchParams.get('code')!);
    const callback = await browser.get(back.pathname + back.search);
    expect(callback.status).toBe(302);
    const result = new URL(callback.headers.get('location')!);
    const code = result.searchParams.get('login_code');
    if (code) {
      seen.push(code);
      const r = await browser.post(V1 + 'oauth/exchange/', { json: { login_code: code } });
      expect(r.status, r.text).toBe(200);
      for (const k of ['token', 'access', 'refresh']) if (r.json[k]) seen.push(r.json[k]);
      if (browser.jar.sessionid) seen.push(browser.jar.sessionid);
      const probe = await request(child.url, 'GET', V1 + 'mock-login/', { headers: { authorization: r.json.token ? `Token ${r.json.token}` : `Bearer ${r.json.access}` } });
      expect(probe.status).toBe(200);
    }
    return result;
  }

  const good = `sub-${randomBytes(4).toString('hex')}`;
  idp.addAccount({ sub: good, email: `${good}@corp.example`, email_verified: true, name: 'Good' });
  expect((await signIn(good, 'knox')).searchParams.get('login_code')).toBeTruthy();
  expect((await signIn(good, 'jwt')).searchParams.get('login_code')).toBeTruthy();
  const misissued = `sub-${randomBytes(4).toString('hex')}`;
  idp.addAccount({ sub: misissued, email: `${misissued}@corp.example`, email_verified: true, idTokenAudience: 'another-client' });
  expect((await signIn(misissued, 'knox')).searchParams.get('login_error')).toBe('provider_error');

  await child.close();
  const out = child.output();
  // The log was captured: the request lines and the provider problem are there.
  expect(out).toContain('/v1/user/oauth/:id/callback/');
  expect(out).toContain('oidc provider problem');
  const secrets = [...seen, ...idp.issuedTokens()];
  expect(idp.issuedTokens().length).toBeGreaterThanOrEqual(6);
  for (const s of secrets) {
    expect(typeof s === 'string' && s.length >= 20, 'a value to look for').toBe(true);
    expect(out.includes(s), `logged: ${s.slice(0, 10)}…`).toBe(false);
  }
}, 60_000);
