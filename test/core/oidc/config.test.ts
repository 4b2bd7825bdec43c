// OIDC settings (social.md §1, §5): typed, read once, a bad or missing value stops the start
// with one line naming the setting.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

const base = { DATA_DIR: '/tmp/gh-oidc-config-test' };

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('OIDC settings', () => {
  it('defaults: no providers, redirect origins follow PUBLIC_URL, http issuers refused', () => {
    const c = loadConfig(base);
    expect(c.oidcProviders).toEqual([]);
    expect(c.oauthRedirectOrigins).toBeNull();
    expect(c.oidcAllowHttp).toBe(false);
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://id.example.com/auth/' }).oauthRedirectOrigins).toEqual(['https://id.example.com']);
  });

  it('reads providers in configuration order with their defaults', () => {
    const c = loadConfig({
      ...base,
      OIDC_PROVIDERS: ' corp , google-work ',
      OIDC_CORP_ISSUER: 'https://sso.corp.example/realms/main',
      OIDC_CORP_CLIENT_ID: 'gatehouse',
      OIDC_CORP_CLIENT_SECRET: 's3cret',
      OIDC_CORP_NAME: 'Corp SSO',
      OIDC_CORP_SCOPES: 'openid email',
      OIDC_GOOGLE_WORK_ISSUER: 'https://accounts.google.com',
      OIDC_GOOGLE_WORK_CLIENT_ID: 'abc.apps.googleusercontent.com',
    });
    expect(c.oidcProviders).toEqual([
      { id: 'corp', issuer: 'https://sso.corp.example/realms/main', clientId: 'gatehouse', clientSecret: 's3cret', name: 'Corp SSO', scopes: 'openid email' },
      { id: 'google-work', issuer: 'https://accounts.google.com', clientId: 'abc.apps.googleusercontent.com', clientSecret: null, name: 'google-work', scopes: 'openid email profile' },
    ]);
  });

  it('a missing required value names the setting', () => {
    expect(problem({ OIDC_PROVIDERS: 'corp', OIDC_CORP_CLIENT_ID: 'x' })).toMatch(/^OIDC_CORP_ISSUER: required/);
    expect(problem({ OIDC_PROVIDERS: 'my-idp', OIDC_MY_IDP_ISSUER: 'https://idp.example' })).toMatch(/^OIDC_MY_IDP_CLIENT_ID: required/);
  });

  it('refuses bad ids, duplicates, bad issuers and scopes without openid', () => {
    expect(problem({ OIDC_PROVIDERS: 'Corp' })).toMatch(/^OIDC_PROVIDERS: /);
    expect(problem({ OIDC_PROVIDERS: 'a_b' })).toMatch(/^OIDC_PROVIDERS: /);
    expect(problem({ OIDC_PROVIDERS: 'x'.repeat(33) })).toMatch(/^OIDC_PROVIDERS: /);
    expect(problem({ OIDC_PROVIDERS: 'a,a', OIDC_A_ISSUER: 'https://a.example', OIDC_A_CLIENT_ID: 'c' })).toMatch(/^OIDC_PROVIDERS: provider "a" is listed twice/);
    const one = { OIDC_PROVIDERS: 'a', OIDC_A_CLIENT_ID: 'c' };
    expect(problem({ ...one, OIDC_A_ISSUER: 'http://a.example' })).toMatch(/^OIDC_A_ISSUER: expected an https URL/);
    expect(problem({ ...one, OIDC_A_ISSUER: 'not a url' })).toMatch(/^OIDC_A_ISSUER: not a valid URL/);
    expect(problem({ ...one, OIDC_A_ISSUER: 'https://a.example/?x=1' })).toMatch(/^OIDC_A_ISSUER: /);
    expect(problem({ ...one, OIDC_A_ISSUER: 'https://a.example', OIDC_A_SCOPES: 'email profile' })).toMatch(/^OIDC_A_SCOPES: must include openid/);
  });

  it('OIDC_ALLOW_HTTP accepts http issuers, and is refused in production', () => {
    const env = { OIDC_PROVIDERS: 'dev', OIDC_DEV_ISSUER: 'http://127.0.0.1:9000', OIDC_DEV_CLIENT_ID: 'c', OIDC_ALLOW_HTTP: 'true' };
    expect(loadConfig({ ...base, ...env }).oidcProviders[0].issuer).toBe('http://127.0.0.1:9000');
    expect(problem({ ...env, NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40), PUBLIC_URL: 'https://id.example' })).toMatch(/^OIDC_ALLOW_HTTP: /);
    expect(problem({ OIDC_ALLOW_HTTP: 'maybe' })).toMatch(/^OIDC_ALLOW_HTTP: expected true or false/);
  });

  it('OAUTH_REDIRECT_ORIGINS is a list of origins', () => {
    const c = loadConfig({ ...base, PUBLIC_URL: 'https://id.example', OAUTH_REDIRECT_ORIGINS: 'https://app.example, http://localhost:3000' });
    expect(c.oauthRedirectOrigins).toEqual(['https://app.example', 'http://localhost:3000']);
    expect(problem({ OAUTH_REDIRECT_ORIGINS: 'https://app.example/path' })).toMatch(/^OAUTH_REDIRECT_ORIGINS: /);
    expect(problem({ OAUTH_REDIRECT_ORIGINS: 'javascript:alert(1)' })).toMatch(/^OAUTH_REDIRECT_ORIGINS: /);
  });
});
