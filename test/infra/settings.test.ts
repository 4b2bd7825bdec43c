// The settings this work adds or tightens, read through the real loader (spec README; v1.md §0.11).
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { DATA_DIR: '/tmp/gh-infra-settings' };
const production = { ...base, NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40) };

function problem(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('PUBLIC_URL in production (v1.md §0.11)', () => {
  it('is required at start with NODE_ENV=production', () => {
    expect(problem(production)).toBe('PUBLIC_URL: must be set when NODE_ENV=production');
    expect(loadConfig({ ...production, PUBLIC_URL: 'https://id.example.com/' }).publicUrl).toBe('https://id.example.com');
  });

  it('stays optional outside production', () => {
    expect(loadConfig(base).publicUrl).toBeNull();
    expect(loadConfig({ ...base, NODE_ENV: 'test' }).publicUrl).toBeNull();
  });
});

describe('REDIS_PREFIX', () => {
  it('defaults to gatehouse: and takes a deployment\u2019s own', () => {
    expect(loadConfig(base).redisPrefix).toBe('gatehouse:');
    expect(loadConfig({ ...base, REDIS_PREFIX: 'shop-eu:' }).redisPrefix).toBe('shop-eu:');
  });

  it('refuses spaces, control characters and absurd lengths', () => {
    expect(problem({ ...base, REDIS_PREFIX: 'two words:' })).toMatch(/^REDIS_PREFIX: /);
    expect(problem({ ...base, REDIS_PREFIX: 'a\u0007b' })).toMatch(/^REDIS_PREFIX: /);
    expect(problem({ ...base, REDIS_PREFIX: 'x'.repeat(101) })).toMatch(/^REDIS_PREFIX: /);
  });
});

describe('IMAGE_DECODE_CONCURRENCY', () => {
  it('defaults to the number of CPUs', () => {
    expect(loadConfig(base).imageDecodeConcurrency).toBe(os.availableParallelism());
    expect(loadConfig({ ...base, IMAGE_DECODE_CONCURRENCY: '1' }).imageDecodeConcurrency).toBe(1);
  });

  it('is a positive integer', () => {
    expect(problem({ ...base, IMAGE_DECODE_CONCURRENCY: '0' })).toBe('IMAGE_DECODE_CONCURRENCY: expected an integer from 1 to 256, got 0');
    expect(problem({ ...base, IMAGE_DECODE_CONCURRENCY: 'many' })).toBe('IMAGE_DECODE_CONCURRENCY: expected an integer, got "many"');
  });
});
