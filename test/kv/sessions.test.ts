// The session store contract (v1.md §0.4), for the database store and, when TEST_REDIS_URL is
// set, the Redis one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserSessions, EMPTY_SLOTS, LOGIN_SLOT_MICROS, MFA_STEP_MICROS, REFRESH_SLOT_MICROS, type SessionStore, remainingSeconds, sealStep, unsealStep } from '../../src/core/browser-sessions.js';
import { nowMicros } from '../../src/core/time.js';
import { RedisKv } from '../../src/kv/redis.js';
import { startApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

const stores: [string, () => SessionStore][] = [
  ['database', () => new BrowserSessions(t.ctx.db)],
  ['configured', () => t.ctx.sessions],
];

describe.each(stores)('%s session store', (name, store) => {
  it('keeps both slots, drops expired ones, and deletes a session with none left', async () => {
    const s = store();
    const key = s.newKey();
    const now = nowMicros();
    await s.save(key, { loginUser: 7, loginExpires: now + LOGIN_SLOT_MICROS, refreshJti: 'f'.repeat(32), refreshExpires: now + REFRESH_SLOT_MICROS });
    expect(await s.load(key)).toMatchObject({ key, loginUser: 7, refreshJti: 'f'.repeat(32) });
    await s.save(key, { loginUser: 7, loginExpires: now - 1, refreshJti: 'f'.repeat(32), refreshExpires: now + REFRESH_SLOT_MICROS });
    expect(await s.load(key)).toMatchObject({ loginUser: null, refreshJti: 'f'.repeat(32) });
    await s.save(key, { loginUser: null, loginExpires: null, refreshJti: null, refreshExpires: null });
    expect(await s.load(key)).toBeNull();
  });

  it('rotate gives a new key for the same slots and forgets the old one', async () => {
    const s = store();
    const old = s.newKey();
    const slots = { loginUser: 8, loginExpires: nowMicros() + LOGIN_SLOT_MICROS, refreshJti: null, refreshExpires: null };
    await s.save(old, slots);
    const key = await s.rotate(old, slots);
    expect(key).not.toBe(old);
    expect(key.length).toBeGreaterThanOrEqual(22); // ≥ 128 bits
    expect(await s.load(old)).toBeNull();
    expect((await s.load(key))?.loginUser).toBe(8);
  });

  it('endLoginSlotsOf ends the login slots of one user and keeps refresh slots', async () => {
    const s = store();
    const now = nowMicros();
    const a = s.newKey();
    const b = s.newKey();
    const other = s.newKey();
    await s.save(a, { loginUser: 9, loginExpires: now + LOGIN_SLOT_MICROS, refreshJti: null, refreshExpires: null });
    await s.save(b, { loginUser: 9, loginExpires: now + LOGIN_SLOT_MICROS, refreshJti: 'e'.repeat(32), refreshExpires: now + REFRESH_SLOT_MICROS });
    await s.save(other, { loginUser: 10, loginExpires: now + LOGIN_SLOT_MICROS, refreshJti: null, refreshExpires: null });
    await s.endLoginSlotsOf(9);
    expect(await s.load(a)).toBeNull();
    expect(await s.load(b)).toMatchObject({ loginUser: null, refreshJti: 'e'.repeat(32) });
    expect((await s.load(other))?.loginUser).toBe(10);
  });

  it('keeps the admin login\'s pending second step, sealed, for as long as it lives', async () => {
    const s = store();
    const key = s.newKey();
    const now = nowMicros();
    const token = 'T'.repeat(43);
    await s.save(key, { ...EMPTY_SLOTS, mfaToken: token, mfaExpires: now + MFA_STEP_MICROS });
    const loaded = await s.load(key);
    expect(loaded).toMatchObject({ key, loginUser: null, refreshJti: null, mfaToken: token, mfaExpires: now + MFA_STEP_MICROS });
    expect(remainingSeconds(loaded!, now)).toBe(300);
    // Not in clear in the database, nor in Redis.
    const rows = await t.ctx.db.selectFrom('browser_sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    if (name === 'configured' && t.ctx.kv instanceof RedisKv) {
      const keys = await t.ctx.kv.redis.keys(`${t.kvPrefix}sess:*`);
      const hashes = await Promise.all(keys.map((k) => (t.ctx.kv as RedisKv).redis.hgetall(k)));
      expect(hashes.some((h) => h.mfa_step !== undefined)).toBe(true);
      expect(JSON.stringify(hashes)).not.toContain(token);
    }
    // A login slot of the user it does not name leaves it alone; with the slot gone, so is the session.
    await s.save(key, { ...loaded!, loginUser: 11, loginExpires: now + LOGIN_SLOT_MICROS });
    await s.endLoginSlotsOf(11);
    expect(await s.load(key)).toMatchObject({ loginUser: null, mfaToken: token });
    await s.save(key, { ...EMPTY_SLOTS, mfaToken: token, mfaExpires: now - 1 });
    expect(await s.load(key)).toBeNull();
  });

  it('ignores unknown and absurd keys', async () => {
    const s = store();
    expect(await s.load(undefined)).toBeNull();
    expect(await s.load('nope')).toBeNull();
    expect(await s.load('x'.repeat(10_000))).toBeNull();
  });
});

describe('the pending step\'s seal', () => {
  it('opens only with the cookie value it was sealed under', () => {
    const sealed = sealStep('cookie-one', 'the-token');
    expect(sealed).not.toContain('the-token');
    expect(unsealStep('cookie-one', sealed)).toBe('the-token');
    expect(unsealStep('cookie-two', sealed)).toBeNull();
    expect(unsealStep('cookie-one', sealed.slice(0, -2) + 'AA')).toBeNull();
  });
});
