import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration, parseRate } from '../../src/config.js';

const base = { DATA_DIR: '/tmp/gh-config-test' };

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('settings (spec README, operating contract)', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.port).toBe(8000);
    expect(c.host).toBe('127.0.0.1');
    expect(c.databaseUrl).toBe('sqlite:/tmp/gh-config-test/gatehouse.sqlite3');
    expect(c.redisUrl).toBeNull();
    expect(c.throttleAnon).toEqual({ limit: 10, periodMs: 60_000 });
    expect(c.throttleUser).toEqual({ limit: 20, periodMs: 60_000 });
    expect(c.lockoutFailures).toBe(5);
    expect(c.lockoutMinutes).toBe(15);
    expect(c.surfaces).toEqual(['v1', 'api-user', 'account', 'users', 'user-account', 'admin']);
    expect(c.v1KnoxTokenLimit).toBe(3);
    expect(c.v1JwtAlgorithm).toBe('HS256');
    expect(c.v1AccessTtlSec).toBe(36 * 3600);
    expect(c.v1RefreshTtlSec).toBe(86400);
    expect(c.v1RefreshGraceSec).toBe(10);
    expect(c.trustProxy).toEqual([]);
    expect(c.argon2).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  });

  it('names the setting and the problem in one line', () => {
    expect(problem({ PORT: 'eighty' })).toBe('PORT: expected an integer, got "eighty"');
    expect(problem({ PORT: '70000' })).toBe('PORT: expected an integer from 0 to 65535, got 70000');
    expect(problem({ THROTTLE_ANON_RATE: '10 per minute' })).toMatch(/^THROTTLE_ANON_RATE: /);
    expect(problem({ SURFACES: 'v1,v2' })).toBe('SURFACES: unknown surface "v2" (known: v1, api-user, account, users, user-account, admin)');
    expect(problem({ DATABASE_URL: 'mysql://x' })).toBe('DATABASE_URL: expected sqlite:<file> or postgres://…');
    expect(problem({ TRUST_PROXY: '10.0.0.0/33' })).toMatch(/^TRUST_PROXY: /);
    expect(problem({ V1_JWT_ALGORITHM: 'none' })).toMatch(/^V1_JWT_ALGORITHM: /);
    expect(problem({ V1_ACCESS_TTL: '36' })).toMatch(/^V1_ACCESS_TTL: /);
    expect(problem({ V1_PASSWORD_RESET_URL: 'https://x/reset' })).toBe('V1_PASSWORD_RESET_URL: must contain {token}');
    expect(problem({ SMTP_URL: 'http://mail' })).toMatch(/^SMTP_URL: /);
    expect(problem({ TRUSTED_ORIGINS: 'https://a.example/path' })).toMatch(/^TRUSTED_ORIGINS: /);
    expect(problem({ ARGON2_MEMORY_KIB: '1024' })).toMatch(/^ARGON2_MEMORY_KIB: /);
  });

  it('refuses to start in production without SECRET_KEY', () => {
    expect(problem({ NODE_ENV: 'production' })).toBe('SECRET_KEY: must be set when NODE_ENV=production');
    expect(loadConfig({ ...base, NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40), PUBLIC_URL: 'https://id.example' }).secretKey).toBe('k'.repeat(40));
  });

  it('never shows an SMTP password in a message', () => {
    expect(problem({ SMTP_URL: 'smtp://user:hunter2@[bad' })).not.toContain('hunter2');
  });

  it('parses DRF rates and durations', () => {
    expect(parseRate('X', '5/s')).toEqual({ limit: 5, periodMs: 1000 });
    expect(parseRate('X', '100/hour')).toEqual({ limit: 100, periodMs: 3_600_000 });
    expect(parseRate('X', '2/day')).toEqual({ limit: 2, periodMs: 86_400_000 });
    expect(parseRate('X', 'off')).toBeNull();
    expect(parseDuration('X', '90s')).toBe(90);
    expect(parseDuration('X', '1d')).toBe(86400);
    expect(() => parseDuration('X', '0h')).toThrow(ConfigError);
  });

  it('accepts trusted proxies as addresses and CIDR ranges', () => {
    expect(loadConfig({ ...base, TRUST_PROXY: '127.0.0.1, 10.0.0.0/8, ::1' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
  });
});
