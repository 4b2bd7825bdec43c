// src/core/account-keys.ts against the real database: get-or-create under a true race (calls
// started in one tick, so every one of them finds no key before any inserts), look-up by
// digest, and revocation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { AccountKeys, newAccountKey } from '../../../src/core/account-keys.js';
import { sha256Hex } from '../../../src/core/secrets.js';
import { HEX40, startAccount } from './support.js';

let t: TestApp;
let keys: AccountKeys;
beforeAll(async () => {
  t = await startAccount();
  keys = new AccountKeys(t.ctx.db, t.ctx.secrets);
});
afterAll(async () => {
  await t?.close();
});

let n = 0;
async function newUser(): Promise<number> {
  const r = await t.ctx.accounts.create({ username: `keys${++n}`, password: 'x' });
  if (!r.ok) throw new Error('setup failed');
  return r.user.number;
}

describe('AccountKeys', () => {
  it('mints 40 lowercase hex characters from 20 random bytes', () => {
    const seen = new Set(Array.from({ length: 100 }, () => newAccountKey()));
    expect(seen.size).toBe(100);
    for (const k of seen) expect(k).toMatch(HEX40);
  });

  it('gives 20 racing get-or-create calls for one user the same key, stored once', async () => {
    const number = await newUser();
    const results = await Promise.all(Array.from({ length: 20 }, () => keys.getOrCreate(number)));
    expect(new Set(results).size).toBe(1);
    const rows = await t.ctx.db.selectFrom('account_tokens').selectAll().where('user_number', '=', number).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0].digest).toBe(sha256Hex(results[0]));
  });

  it('finds the holder by the key, and nothing for a revoked or malformed key', async () => {
    const number = await newUser();
    const key = await keys.getOrCreate(number);
    const holder = await keys.holder(key);
    expect(holder?.user.number).toBe(number);
    expect(holder?.digest).toBe(sha256Hex(key));
    for (const bad of [key.toUpperCase(), key.slice(1), `${key}0`, '', "' or 1=1 --"]) expect(await keys.holder(bad)).toBeUndefined();
    expect(await keys.revoke(holder!.digest)).toBe(true);
    expect(await keys.holder(key)).toBeUndefined();
    expect(await keys.revoke(holder!.digest)).toBe(false);
  });
});
