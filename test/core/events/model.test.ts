// The pure parts: event ids, the envelope and snapshot, the retry schedule, the address guard's
// judgement of addresses, and signatures as the Standard Webhooks library computes them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { EVENT_ID_PATTERN, EventIds, eventIdTime } from '../../../src/core/events/ids.js';
import { envelopeBody, eventData, userSnapshot } from '../../../src/core/events/model.js';
import { RETRY_AFTER_CAP_MS, RETRY_DELAYS_MS, nextRetryDelay, parseRetryAfter } from '../../../src/core/events/schedule.js';
import { AddressGuard, ipv6Bytes } from '../../../src/core/events/address-guard.js';
import { newWebhookSecret, sign, signatureHeader } from '../../../src/core/events/signing.js';
import { someUser } from './support.js';

describe('event ids (events.md §1)', () => {
  it('are evt_ + 26 Crockford characters carrying the millisecond', () => {
    const ids = new EventIds();
    const ms = Date.UTC(2024, 6, 16, 20, 11, 35, 123);
    const id = ids.next(ms);
    expect(id).toMatch(EVENT_ID_PATTERN);
    expect(eventIdTime(id)).toBe(ms);
  });

  it('never go backwards in one generator, within a millisecond or when the clock steps back', () => {
    const ids = new EventIds();
    const seen: string[] = [];
    const base = Date.now();
    for (let i = 0; i < 2000; i++) seen.push(ids.next(base + (i % 7 === 0 ? -5 : Math.floor(i / 100))));
    const sorted = [...seen].sort();
    expect(seen).toEqual(sorted);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('sort by time across generators', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 30 }), (t, gap) => {
        const a = new EventIds().next(t);
        const b = new EventIds().next(t + gap);
        return a < b;
      }),
    );
  });
});

describe('envelope and snapshot (events.md §1)', () => {
  it('carries the snapshot first, flags as booleans, then what the type adds', () => {
    const user = someUser({ email_verified: 1, is_staff: 0 });
    const data = eventData({ type: 'session.created', user, surface: 'v1', method: 'knox' });
    expect(Object.keys(data)).toEqual(['user', 'surface', 'method']);
    expect(data.user).toEqual({
      id: user.id,
      number: user.number,
      email: user.email,
      username: user.username,
      full_name: user.full_name,
      email_verified: true,
      is_active: true,
      is_staff: false,
    });
    expect(Object.keys(userSnapshot(user))).toEqual(['id', 'number', 'email', 'username', 'full_name', 'email_verified', 'is_active', 'is_staff']);
  });

  it.each([
    [{ type: 'user.created', surface: 'api-user' }, { surface: 'api-user' }],
    [{ type: 'user.updated', changed: ['email', 'full_name'] }, { changed: ['email', 'full_name'] }],
    [{ type: 'user.deleted' }, {}],
    [{ type: 'user.password_changed', via: 'reset' }, { via: 'reset' }],
    [{ type: 'user.locked', until: 1721160695123456 }, { until: '2024-07-16T20:11:35.123456Z' }],
    [{ type: 'session.revoked', reason: 'password_change' }, { reason: 'password_change' }],
    [{ type: 'security.token_reuse', loginId: 'L1' }, { login_id: 'L1' }],
    [{ type: 'mfa.enabled' }, {}],
  ])('%o', (input, extra) => {
    const user = someUser();
    const { user: _u, ...rest } = eventData({ ...(input as any), user });
    expect(rest).toEqual(extra);
  });

  it('is compact JSON with type, a microsecond timestamp and data, in that order', () => {
    const body = envelopeBody('user.deleted', 1721160695123456, { a: 1 });
    expect(body).toBe('{"type":"user.deleted","timestamp":"2024-07-16T20:11:35.123456Z","data":{"a":1}}');
  });
});

describe('retry schedule (events.md §3)', () => {
  it('waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then gives up after the 8th attempt', () => {
    expect(RETRY_DELAYS_MS).toEqual([5e3, 3e5, 18e5, 72e5, 18e6, 36e6, 36e6]);
    for (let attempts = 1; attempts <= 7; attempts++) {
      expect(nextRetryDelay({ attempts, status: 500, retryAfter: null, nowMs: 0, random: () => 0.5 })).toBe(RETRY_DELAYS_MS[attempts - 1]);
    }
    expect(nextRetryDelay({ attempts: 8, status: 500, retryAfter: null, nowMs: 0 })).toBeNull();
  });

  it('jitters each wait within ±10%', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, r) => {
        const base = RETRY_DELAYS_MS[attempts - 1];
        const d = nextRetryDelay({ attempts, status: null, retryAfter: null, nowMs: 0, random: () => r })!;
        return d >= base * 0.9 - 1 && d <= base * 1.1 + 1;
      }),
    );
  });

  it('honours Retry-After on 429 and 503 only when it asks for longer, up to 24 h', () => {
    const now = Date.UTC(2024, 0, 1);
    const base = { attempts: 1, nowMs: now, random: () => 0.5 };
    expect(nextRetryDelay({ ...base, status: 503, retryAfter: '120' })).toBe(120_000);
    expect(nextRetryDelay({ ...base, status: 429, retryAfter: '2' })).toBe(5_000);
    expect(nextRetryDelay({ ...base, status: 500, retryAfter: '120' })).toBe(5_000);
    expect(nextRetryDelay({ ...base, status: 503, retryAfter: String(3 * 86400) })).toBe(RETRY_AFTER_CAP_MS);
    expect(nextRetryDelay({ ...base, status: 503, retryAfter: new Date(now + 3_600_000).toUTCString() })).toBe(3_600_000);
    expect(nextRetryDelay({ ...base, status: 503, retryAfter: 'soon' })).toBe(5_000);
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter(new Date(now - 1000).toUTCString(), now)).toBe(0);
  });
});

describe('address guard (events.md §2)', () => {
  const guard = new AddressGuard(false, async () => []);
  it.each([
    '127.0.0.1', '127.255.0.9', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250', '255.255.255.255', '::', '::1', 'fc00::1', 'fd12:3456::1', 'fe80::1',
    'fe80::1%eth0', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a9fe:a9fe', '::127.0.0.1',
    '64:ff9b::7f00:1', '64:ff9b::10.0.0.1', '2002:7f00:1::', '2002:c0a8:101::1', '[::1]', 'not-an-address',
  ])('refuses %s', (a) => {
    expect(guard.isForbidden(a)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '192.169.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1'])('allows %s', (a) => {
    expect(guard.isForbidden(a)).toBe(false);
  });

  it('allows everything with WEBHOOK_ALLOW_PRIVATE', () => {
    expect(new AddressGuard(true).isForbidden('127.0.0.1')).toBe(false);
  });

  it('parses IPv6 the long way round', () => {
    expect(Buffer.from(ipv6Bytes('::ffff:127.0.0.1')!).toString('hex')).toBe('00000000000000000000ffff7f000001');
    expect(Buffer.from(ipv6Bytes('2001:db8::1')!).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(ipv6Bytes('1::2::3')).toBeNull();
    expect(ipv6Bytes('1:2:3:4:5:6:7:8:9')).toBeNull();
  });

  it('refuses a name when any of its addresses is forbidden', async () => {
    const mixed = new AddressGuard(false, async () => [{ address: '93.184.216.34', family: 4 }, { address: '10.0.0.1', family: 4 }]);
    expect(await mixed.resolve('hooks.example.test')).toEqual({ ok: false, reason: 'forbidden' });
    const fine = new AddressGuard(false, async () => [{ address: '93.184.216.34', family: 4 }]);
    expect(await fine.resolve('hooks.example.test')).toMatchObject({ ok: true });
  });
});

describe('signatures (Standard Webhooks)', () => {
  it('secrets are whsec_ + base64 of 32 random bytes', () => {
    const s = newWebhookSecret();
    expect(s).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(s);
  });

  it('match the library byte for byte, and the library verifies every secret of a rotation', () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    const ts = Math.floor(Date.now() / 1000);
    const body = '{"type":"user.created","data":{"é":"ü"}}';
    expect(sign(a, 'evt_1', ts, body)).toBe(new Webhook(a).sign('evt_1', new Date(ts * 1000), body));
    const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': String(ts), 'webhook-signature': signatureHeader([b, a], 'evt_1', ts, body) };
    expect(new Webhook(a).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(b).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(a).verify(body + ' ', headers)).toThrow();
  });
});
