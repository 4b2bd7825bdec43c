// The credential look-up cache (store/read-cache.ts) must never answer what the database would
// not: any write to users or knox_tokens, by this process or another, invalidates it; writes to
// other tables (the outbox, webhook deliveries), by this process or another, leave it serving.
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startApp, type TestApp, usingPostgres } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

/** One turn of the event loop: SQLite's caches ask about other connections' commits once per turn. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

async function userWithToken(name: string) {
  const r = await t.ctx.accounts.create({ email: `${name}@example.com`, username: name, password: 'Secret,123' });
  if (!r.ok) throw new Error('create failed');
  const { token } = await t.ctx.knox.create(r.user, null, null);
  expect((await t.ctx.knox.check(token)).ok).toBe(true); // now cached where caching applies
  return { user: r.user, token };
}

describe('cached credential look-ups', () => {
  it('a token deleted by any query is refused at once', async () => {
    const { user, token } = await userWithToken('cache1');
    await t.ctx.db.deleteFrom('knox_tokens').where('user_number', '=', user.number).execute();
    expect(await t.ctx.knox.check(token)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a user deactivated by any query is refused at once, by token and by id', async () => {
    const { user, token } = await userWithToken('cache2');
    expect((await t.ctx.accounts.byId(user.id))?.is_active).toBe(1);
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('number', '=', user.number).execute();
    expect(await t.ctx.knox.check(token)).toEqual({ ok: false, reason: 'inactive' });
    expect((await t.ctx.accounts.byId(user.id))?.is_active).toBe(0);
  });

  it('callers get copies: changing one never changes the next answer', async () => {
    const { user, token } = await userWithToken('cache3');
    const first = await t.ctx.knox.check(token);
    if (first.ok) first.user.email = 'changed@example.com';
    const again = await t.ctx.knox.check(token);
    expect(again.ok && again.user.email).toBe('cache3@example.com');
    const byId = (await t.ctx.accounts.byId(user.id))!;
    byId.username = 'changed';
    expect((await t.ctx.accounts.byId(user.id))?.username).toBe('cache3');
  });

  // Another connection's commit is asked about once per event-loop turn (store/db.ts): it is
  // seen from the next turn on, which is the earliest any request read after it can run.
  it.skipIf(usingPostgres)('a write by another process (another SQLite connection) is seen from the next event-loop turn', async () => {
    const { user, token } = await userWithToken('cache4');
    const other = new SQLite(path.join(t.dataDir, 'gatehouse.sqlite3'));
    other.prepare('delete from knox_tokens where user_number = ?').run(user.number);
    other.close();
    await turn();
    expect(await t.ctx.knox.check(token)).toEqual({ ok: false, reason: 'invalid' });
  });

  it.skipIf(usingPostgres)('a request sent after another process committed is refused', async () => {
    const { user, token } = await userWithToken('cache5');
    const headers = { authorization: `Token ${token}` };
    expect((await fetch(t.url + '/v1/user/mock-login/', { headers })).status).toBe(200);
    const other = new SQLite(path.join(t.dataDir, 'gatehouse.sqlite3'));
    other.prepare('update users set is_active = 0 where number = ?').run(user.number);
    other.close();
    expect((await fetch(t.url + '/v1/user/mock-login/', { headers })).status).toBe(401);
  });

  // The webhook delivery thread has its own connection and commits all the time: its commits,
  // which never touch users or knox_tokens, must not empty the caches (migration 012's count).
  it.skipIf(usingPostgres)("another process's commits to other tables keep the cache; one to knox_tokens empties it", async () => {
    const { user, token } = await userWithToken('cache9');
    const epoch = () => t.ctx.store.changeEpoch!();
    await turn();
    const before = epoch();
    const other = new SQLite(path.join(t.dataDir, 'gatehouse.sqlite3'));
    try {
      other.prepare("insert into events (id, type, occurred, body) values ('evt_cache9', 'user.updated', 1, '{}')").run();
      other.prepare("delete from events where id = 'evt_cache9'").run();
      await turn();
      expect(epoch()).toBe(before);
      expect((await t.ctx.knox.check(token)).ok).toBe(true);
      other.prepare('update knox_tokens set last_used = 1 where user_number = ?').run(user.number);
      await turn();
      expect(epoch()).not.toBe(before);
      const moved = epoch();
      other.prepare('delete from users where number = ?').run(user.number); // its tokens go by cascade
      await turn();
      expect(epoch()).not.toBe(moved);
      expect(await t.ctx.knox.check(token)).toEqual({ ok: false, reason: 'invalid' });
    } finally {
      other.close();
    }
  });

  // A count read inside a transaction that is then rolled back holds a change that never
  // happened; a later change elsewhere brings the count back to that value. The epoch must
  // still move then, or what was cached in between is served as if nothing had changed.
  it.skipIf(usingPostgres)('a count seen inside a rolled-back transaction does not hide a later change elsewhere', async () => {
    const { user, token } = await userWithToken('cache10');
    await turn();
    await expect(
      t.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ full_name: 'Never' }).where('number', '=', user.number).execute();
        await turn();
        t.ctx.store.changeEpoch!(); // read while the transaction is open
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    expect((await t.ctx.knox.check(token)).ok).toBe(true); // cached after the rollback
    const other = new SQLite(path.join(t.dataDir, 'gatehouse.sqlite3'));
    try {
      other.prepare('update users set is_active = 0 where number = ?').run(user.number);
    } finally {
      other.close();
    }
    await turn();
    expect(await t.ctx.knox.check(token)).toEqual({ ok: false, reason: 'inactive' });
  });

  it('writes to other tables keep the cache; a transaction that wrote users moves it at the write and at the end', async () => {
    const { user, token } = await userWithToken('cache6');
    const epoch = () => t.ctx.store.changeEpoch!();
    // PostgreSQL: the notifications of the writes above arrive a little after their commits.
    let before = epoch();
    for (let quiet = 0; quiet < 4; ) {
      await new Promise((r) => setTimeout(r, 50));
      quiet = epoch() === before ? quiet + 1 : 0;
      before = epoch();
    }
    await t.ctx.db.insertInto('events').values({ id: 'evt_cache6', type: 'user.updated', occurred: 1, body: '{}' }).execute();
    await t.ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('events').set({ body: '{"x":1}' }).where('id', '=', 'evt_cache6').execute();
    });
    await t.ctx.db.deleteFrom('events').where('id', '=', 'evt_cache6').execute();
    expect(epoch()).toBe(before);
    expect((await t.ctx.knox.check(token)).ok).toBe(true);

    let during = '';
    await t.ctx.db.transaction().execute(async (trx) => {
      await trx.updateTable('users').set({ full_name: 'Changed' }).where('number', '=', user.number).execute();
      during = epoch()!;
      expect(during).not.toBe(before);
    });
    expect(epoch()).not.toBe(during);
    const after = await t.ctx.knox.check(token);
    expect(after.ok && after.user.full_name).toBe('Changed');
  });

  it('a rolled-back write to users is never served', async () => {
    const { user, token } = await userWithToken('cache7');
    await expect(
      t.ctx.db.transaction().execute(async (trx) => {
        await trx.updateTable('users').set({ is_active: 0 }).where('number', '=', user.number).execute();
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    const again = await t.ctx.knox.check(token);
    expect(again.ok).toBe(true);
  });

  it('a write the cache cannot classify (raw SQL, a CTE) invalidates it', async () => {
    const { user, token } = await userWithToken('cache8');
    await sql`with target as (select cast(${user.number} as bigint) as n) update users set is_active = 0 where number in (select n from target)`.execute(t.ctx.db);
    expect(await t.ctx.knox.check(token)).toEqual({ ok: false, reason: 'inactive' });
  });
});
