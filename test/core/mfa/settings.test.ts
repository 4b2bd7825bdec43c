// The two-factor settings (mfa.md §6): typed, defaulted, checked at start.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

const base = { DATA_DIR: '/tmp/gh-mfa-config-test' };

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('MFA_ISSUER', () => {
  it('defaults to Gatehouse and takes any plain name', () => {
    expect(loadConfig(base).mfaIssuer).toBe('Gatehouse');
    expect(loadConfig({ ...base, MFA_ISSUER: '  Acme & Co. ' }).mfaIssuer).toBe('Acme & Co.');
    expect(loadConfig({ ...base, MFA_ISSUER: 'Zürich Büro' }).mfaIssuer).toBe('Zürich Büro');
  });

  it('refuses a colon (apps split issuer:label on it), control characters and overlong names', () => {
    expect(problem({ MFA_ISSUER: 'Acme:Prod' })).toBe('MFA_ISSUER: must not contain a colon');
    expect(problem({ MFA_ISSUER: 'Acme\u0007' })).toBe('MFA_ISSUER: must not contain control characters');
    expect(problem({ MFA_ISSUER: 'x'.repeat(101) })).toBe('MFA_ISSUER: must be at most 100 characters long');
  });
});

describe('ADMIN_REQUIRE_MFA', () => {
  it('defaults to false', () => {
    expect(loadConfig(base).adminRequireMfa).toBe(false);
  });

  it.each([['true', true], ['TRUE', true], ['1', true], ['yes', true], ['on', true], ['false', false], ['0', false], ['no', false], ['off', false]])('%s', (raw, value) => {
    expect(loadConfig({ ...base, ADMIN_REQUIRE_MFA: raw }).adminRequireMfa).toBe(value);
  });

  it('refuses anything else', () => {
    expect(problem({ ADMIN_REQUIRE_MFA: 'maybe' })).toBe('ADMIN_REQUIRE_MFA: expected true or false, got "maybe"');
  });
});
