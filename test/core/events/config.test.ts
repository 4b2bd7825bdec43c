// The settings of events.md §6: typed, defaulted, checked at start with one line naming them.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

const base = { DATA_DIR: '/tmp/gh-events-config-test' };

function problem(env: Record<string, string>): string {
  try {
    loadConfig({ ...base, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('event settings', () => {
  it('default to https only, public addresses only, 7 days, no broker', () => {
    const c = loadConfig(base);
    expect(c.webhookAllowHttp).toBe(false);
    expect(c.webhookAllowPrivate).toBe(false);
    expect(c.eventRetentionDays).toBe(7);
    expect(c.amqpUrl).toBeNull();
    expect(c.amqpExchange).toBe('gatehouse.events');
    expect(c.amqpLegacyQueue).toBeNull();
  });

  it('are read from the environment', () => {
    const c = loadConfig({ ...base, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: '1', EVENT_RETENTION_DAYS: '14', AMQP_URL: 'amqps://u:p@broker:5671/vh', AMQP_EXCHANGE: 'auth.events', AMQP_LEGACY_QUEUE: 'posts' });
    expect(c).toMatchObject({ webhookAllowHttp: true, webhookAllowPrivate: true, eventRetentionDays: 14, amqpUrl: 'amqps://u:p@broker:5671/vh', amqpExchange: 'auth.events', amqpLegacyQueue: 'posts' });
  });

  it('refuse bad values with one line naming the setting (and never the broker password)', () => {
    expect(problem({ WEBHOOK_ALLOW_HTTP: 'sometimes' })).toBe('WEBHOOK_ALLOW_HTTP: expected true or false, got "sometimes"');
    expect(problem({ EVENT_RETENTION_DAYS: '0' })).toBe('EVENT_RETENTION_DAYS: expected an integer from 1 to 3650, got 0');
    expect(problem({ AMQP_URL: 'http://broker' })).toBe('AMQP_URL: expected a amqp or amqps URL');
    expect(problem({ AMQP_URL: 'amqp://user:s3cret@' })).not.toContain('s3cret');
    expect(problem({ AMQP_URL: 'amqp://broker', AMQP_EXCHANGE: 'has space' })).toMatch(/^AMQP_EXCHANGE: expected up to 255 letters/);
    expect(problem({ AMQP_URL: 'amqp://broker', AMQP_EXCHANGE: 'amq.topic' })).toMatch(/^AMQP_EXCHANGE: /);
    expect(problem({ AMQP_LEGACY_QUEUE: 'posts' })).toBe('AMQP_LEGACY_QUEUE: needs AMQP_URL');
  });
});
