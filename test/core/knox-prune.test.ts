// The knox cap's prune (core/knox.ts, v1.md §2.1): a new token evicts the expired ones and every
// live one but the newest `limit - 1`, newest by creation with ties broken by id, on both
// databases. The surface tests cover the cap through logins; these pin the edges a login rarely
// reaches: equal creation times, a cap of 1 and 2, fewer live tokens than the cap keeps.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnoxTokens } from '../../src/core/knox.js';
import { Metrics } from '../../src/core/metrics.js';
import { nowMicros } from '../../src/core/time.js';
import { freshStore, type TestStore } from './events/support.js';

let s: TestStore;
let limit = 3;
let knox: KnoxTokens;
beforeAll(async () => {
  s = await freshStore();
  knox = new KnoxTokens(s.db, new Metrics(false), () => limit);
});
afterAll(async () => {
  await s?.close();
});

async function user(): Promise<number> {
  const id = randomUUID();
  const now = nowMicros();
  await s.db.insertInto('users').values({
    id, email: `${id}@example.com`, email_ci: `${id}@example.com`, username: id, username_ci: id, password: '', full_name: '',
    email_verified: 1, is_active: 1, is_staff: 0, is_superuser: 0, created: now, updated: now, failed_logins: 0,
  }).execute();
  const row = await s.db.selectFrom('users').select('number').where('id', '=', id).executeTakeFirstOrThrow();
  return row.number;
}

/** A stored token with the given id, creation time and expiry (live unless `expires` is past). */
async function token(userNumber: number, id: string, created: number, expires = nowMicros() + 3_600_000_000): Promise<void> {
  await s.db.insertInto('knox_tokens').values({ id, digest: randomBytes(64).toString('hex'), user_number: userNumber, created, expires, last_used: null, ip: null, user_agent: null }).execute();
}

async function idsOf(userNumber: number): Promise<string[]> {
  const rows = await s.db.selectFrom('knox_tokens').select('id').where('user_number', '=', userNumber).execute();
  return rows.map((r) => r.id).sort();
}

/** A token id that sorts by `c` (ties on creation are broken by id); unique across the file. */
let serial = 0;
const ID = (c: string) => `${c.repeat(8)}-0000-4000-8000-${String(++serial).padStart(12, '0')}`;

/**
 * With the cap at `cap`, a new user holding tokens created `ago` µs back (their ids sorting in
 * the order given; `expired` ones past their expiry) is issued one more: the seeded ids, the new
 * token's id, and the ids the user holds afterwards.
 */
async function issueAfter(cap: number, seeds: { ago: number; expired?: true }[]): Promise<{ ids: string[]; issued: string; left: string[] }> {
  limit = cap;
  const u = await user();
  const now = nowMicros();
  const ids = seeds.map((_, i) => ID('abcdefgh'[i]));
  for (const [i, seed] of seeds.entries()) await token(u, ids[i], now - seed.ago, seed.expired ? now - 1 : undefined);
  const issued = await knox.create({ number: u }, null, null);
  return { ids, issued: issued.record.id, left: await idsOf(u) };
}

describe('the prune when a token is issued', () => {
  it('equal creation times: the highest ids are the newest and stay', async () => {
    limit = 3;
    const u = await user();
    const t = nowMicros() - 1_000_000;
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(ID);
    for (const id of [c, a, d, b]) await token(u, id, t);
    const issued = await knox.create({ number: u }, null, null);
    expect(await idsOf(u)).toEqual([c, d, issued.record.id].sort());
  });

  it('a cap of 1 leaves only the new token', async () => {
    const { issued, left } = await issueAfter(1, [{ ago: 2_000_000 }, { ago: 1_000_000 }]);
    expect(left).toEqual([issued]);
  });

  it('a cap of 2 keeps the newest live one; an expired newer one goes and holds no place', async () => {
    const { ids: [, b], issued, left } = await issueAfter(2, [{ ago: 3_000_000 }, { ago: 2_000_000 }, { ago: 1_000_000, expired: true }]);
    expect(left).toEqual([b, issued].sort());
  });

  it('fewer live tokens than the cap keeps: only the expired ones go', async () => {
    const { ids: [a, , c], issued, left } = await issueAfter(5, [{ ago: 3_000_000 }, { ago: 2_000_000, expired: true }, { ago: 1_000_000 }]);
    expect(left).toEqual([a, c, issued].sort());
  });

  it("another user's tokens are never touched", async () => {
    limit = 1;
    const [u, other] = [await user(), await user()];
    const kept = ID('e');
    await token(other, kept, nowMicros() - 1_000_000);
    await token(u, ID('f'), nowMicros() - 1_000_000);
    await knox.create({ number: u }, null, null);
    expect(await idsOf(other)).toEqual([kept]);
  });
});
