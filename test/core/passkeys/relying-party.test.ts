// The relying party (passkeys.md §1, §5): settings first, then PUBLIC_URL, then the request.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { resolveRelyingParty } from '../../../src/core/passkeys/relying-party.js';

const base = { DATA_DIR: '/tmp/gh-passkeys-config-test' };

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('settings (§5)', () => {
  it('default to nothing configured and the name Gatehouse', () => {
    const c = loadConfig(base);
    expect(c.webauthnRpId).toBeNull();
    expect(c.webauthnOrigins).toEqual([]);
    expect(c.webauthnRpName).toBe('Gatehouse');
  });

  it('are read and normalised', () => {
    const c = loadConfig({ ...base, WEBAUTHN_RP_ID: 'Example.COM', WEBAUTHN_ORIGINS: 'https://example.com, https://LOGIN.example.com:8443', WEBAUTHN_RP_NAME: 'Acme' });
    expect(c.webauthnRpId).toBe('example.com');
    expect(c.webauthnOrigins).toEqual(['https://example.com', 'https://login.example.com:8443']);
    expect(c.webauthnRpName).toBe('Acme');
  });

  it.each(['https://example.com', 'example.com:443', '127.0.0.1', 'exa mple.com', '-bad.example', 'a..b'])('WEBAUTHN_RP_ID %s is refused at start', (v) => {
    expect(problem({ WEBAUTHN_RP_ID: v })).toMatch(/^WEBAUTHN_RP_ID: /);
  });

  it.each(['example.com', 'ftp://example.com', 'https://example.com/login', 'https://example.com/'])('WEBAUTHN_ORIGINS %s is refused at start', (v) => {
    expect(problem({ WEBAUTHN_ORIGINS: v })).toMatch(/^WEBAUTHN_ORIGINS: /);
  });
});

describe('resolution (§1)', () => {
  const none = { webauthnRpId: null, webauthnOrigins: [], webauthnRpName: 'Gatehouse', publicUrl: null };

  it('with nothing configured: the request’s host name and origin (development)', () => {
    expect(resolveRelyingParty(none, 'http://localhost:5173')).toEqual({ ok: true, rp: { rpId: 'localhost', rpName: 'Gatehouse', origins: ['http://localhost:5173'] } });
  });

  it('PUBLIC_URL decides over the request', () => {
    const r = resolveRelyingParty({ ...none, publicUrl: 'https://Auth.Example.com/base' }, 'http://evil.example:80');
    expect(r).toEqual({ ok: true, rp: { rpId: 'auth.example.com', rpName: 'Gatehouse', origins: ['https://auth.example.com'] } });
  });

  it('the settings decide over PUBLIC_URL', () => {
    const settings = { webauthnRpId: 'example.com', webauthnOrigins: ['https://example.com', 'https://app.example.com'], webauthnRpName: 'Acme', publicUrl: 'https://auth.example.com' };
    expect(resolveRelyingParty(settings, 'http://localhost:1')).toEqual({ ok: true, rp: { rpId: 'example.com', rpName: 'Acme', origins: ['https://example.com', 'https://app.example.com'] } });
    expect(resolveRelyingParty({ ...settings, webauthnOrigins: [] }, null)).toEqual({ ok: true, rp: { rpId: 'example.com', rpName: 'Acme', origins: ['https://auth.example.com'] } });
  });

  it('without settings, PUBLIC_URL or a usable request origin there is none', () => {
    expect(resolveRelyingParty(none, null)).toEqual({ ok: false, reason: 'no_origin' });
    expect(resolveRelyingParty(none, 'not a url')).toEqual({ ok: false, reason: 'no_origin' });
    expect(resolveRelyingParty(none, 'javascript:alert(1)')).toEqual({ ok: false, reason: 'no_origin' });
  });
});
