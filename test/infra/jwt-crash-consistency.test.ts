// v1.md §2.3 "Atomicity" and "Reuse": a login's record and its token records are written in one
// transaction; a rotation whose answer was lost (the server died after the rotation committed,
// before the session named the new refresh) never passes for theft, whatever the time; reuse of
// a refresh whose successor has been used is always theft.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1Logins } from '../../src/core/v1-logins.js';
import { nowMicros } from '../../src/core/time.js';
import { REFRESH_SLOT_MICROS } from '../../src/core/browser-sessions.js';
import { startApp, usingPostgres, type TestApp } from '../helpers/app.js';
import { Client, request } from '../helpers/http.js';
import { V1, bearerHeader, claimsOf, jwtLogin, registerUser } from '../surfaces/v1/helpers.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp({ SURFACES: 'v1', V1_REFRESH_GRACE_SECONDS: '1' });
});

afterAll(async () => {
  await t?.close();
});

const META = { surface: 'v1', ip: null, userAgent: null } as const;

const pastGrace = () => new Promise((r) => setTimeout(r, 1300));

/** The core's own login families on the app's database, for what a dying server leaves behind. */
function logins(): V1Logins {
  const c = t.ctx.config;
  return new V1Logins({
    db: t.ctx.db,
    audit: t.ctx.audit,
    codec: t.ctx.v1Keys.codec,
    accounts: t.ctx.accounts,
    revocation: t.ctx.revocation,
    metrics: t.ctx.metrics,
    outbox: t.ctx.events.outbox,
    settings: { accessTtlSec: c.v1AccessTtlSec, refreshTtlSec: c.v1RefreshTtlSec, graceSec: c.v1RefreshGraceSec },
  });
}

describe('a login and its tokens are written together (§2.3 "Atomicity")', () => {
  // A failure between the login row and its token records that also prevents any cleanup
  // afterwards, as a process killed at that moment would: only a transaction leaves nothing.
  async function breakTokenWrites(): Promise<() => Promise<void>> {
    if (usingPostgres) {
      await sql`create function gh_test_fail() returns trigger language plpgsql as $$ begin raise exception 'the process died here'; end $$`.execute(t.ctx.db);
      await sql`create trigger gh_test_tokens before insert on jwt_tokens for each row when (new.type = 'refresh') execute function gh_test_fail()`.execute(t.ctx.db);
      await sql`create trigger gh_test_cleanup before delete on jwt_logins for each row execute function gh_test_fail()`.execute(t.ctx.db);
      return async () => {
        await sql`drop trigger gh_test_tokens on jwt_tokens`.execute(t.ctx.db);
        await sql`drop trigger gh_test_cleanup on jwt_logins`.execute(t.ctx.db);
        await sql`drop function gh_test_fail()`.execute(t.ctx.db);
      };
    }
    await sql`create trigger gh_test_tokens before insert on jwt_tokens when new.type = 'refresh' begin select raise(abort, 'the process died here'); end`.execute(t.ctx.db);
    await sql`create trigger gh_test_cleanup before delete on jwt_logins begin select raise(abort, 'the process died here'); end`.execute(t.ctx.db);
    return async () => {
      await sql`drop trigger gh_test_tokens`.execute(t.ctx.db);
      await sql`drop trigger gh_test_cleanup`.execute(t.ctx.db);
    };
  }

  it('leaves no login row without its tokens when writing them fails', async () => {
    const user = await registerUser(t.url, 'atomic');
    const repair = await breakTokenWrites();
    try {
      const r = await request(t.url, 'POST', V1 + 'login-jwt/', { json: { email: user.email, password: user.password } });
      expect(r.status).toBe(500);
    } finally {
      await repair();
    }
    expect(await t.ctx.db.selectFrom('jwt_logins').select('id').where('user_id', '=', user.id).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('jwt_tokens').select('jti').where('user_id', '=', user.id).execute()).toEqual([]);
    expect((await request(t.url, 'POST', V1 + 'login-jwt/', { json: { email: user.email, password: user.password } })).status).toBe(200);
  });
});

describe('a rotation whose answer was lost (§2.3 "Reuse")', () => {
  it('is not theft after the grace: the next refresh gets the login\u2019s current refresh, and the login lives on', async () => {
    const user = await registerUser(t.url, 'lost');
    const browser = new Client(t.url);
    const { refresh } = await jwtLogin(browser, user);
    const held = claimsOf(refresh).jti as string;
    // The server rotated the held refresh, committed, and died before writing the session.
    const rotated = await logins().refresh(held, META);
    expect(rotated.ok).toBe(true);
    const successor = rotated.ok ? rotated.refreshJti : '';
    await pastGrace();

    const again = await browser.post(V1 + 'token/refresh/');
    expect(again.status, again.text).toBe(200);
    expect(claimsOf(again.json.refresh).jti).toBe(successor);
    expect((await request(t.url, 'GET', V1 + 'mock-login/', { headers: bearerHeader(again.json.access) })).status).toBe(200);
    // The session now names the successor: the next refresh rotates it as usual.
    const next = await browser.post(V1 + 'token/refresh/');
    expect(next.status, next.text).toBe(200);
    expect(claimsOf(next.json.refresh).jti).not.toBe(successor);
    expect(await t.ctx.db.selectFrom('audit_log').select('id').where('event', '=', 'token.reuse').where('user_id', '=', user.id).execute()).toEqual([]);
  });

  it('a refresh whose successor was presented is theft, however the successor was answered', async () => {
    const user = await registerUser(t.url, 'theft');
    const browser = new Client(t.url);
    const { refresh } = await jwtLogin(browser, user);
    const first = claimsOf(refresh).jti as string;
    expect((await browser.post(V1 + 'token/refresh/')).status).toBe(200); // first → second, presented below
    expect((await browser.post(V1 + 'token/refresh/')).status).toBe(200); // second presented → third
    await pastGrace();
    // Someone holding a session that still names the first refresh presents it.
    const key = t.ctx.sessions.newKey();
    await t.ctx.sessions.save(key, { loginUser: null, loginExpires: null, refreshJti: first, refreshExpires: nowMicros() + REFRESH_SLOT_MICROS });
    const stolen = await request(t.url, 'POST', V1 + 'token/refresh/', { cookies: { sessionid: key } });
    expect(stolen.status).toBe(401);
    expect(stolen.json).toBe('Token is blacklisted');
    // The whole login is ended: the rightful holder is logged out too, and it is audited.
    const victim = await browser.post(V1 + 'token/refresh/');
    expect(victim.status).toBe(401);
    expect(await t.ctx.db.selectFrom('audit_log').select('id').where('event', '=', 'token.reuse').where('user_id', '=', user.id).execute()).toHaveLength(1);
  });

  it('records when a refresh is first presented, and keeps that first time', async () => {
    const user = await registerUser(t.url, 'presented');
    const browser = new Client(t.url);
    const { refresh } = await jwtLogin(browser, user);
    const jti = claimsOf(refresh).jti as string;
    const before = await t.ctx.db.selectFrom('jwt_tokens').select('presented_at').where('jti', '=', jti).executeTakeFirstOrThrow();
    expect(before.presented_at).toBeNull();
    expect((await browser.post(V1 + 'token/refresh/')).status).toBe(200);
    const after = await t.ctx.db.selectFrom('jwt_tokens').select('presented_at').where('jti', '=', jti).executeTakeFirstOrThrow();
    expect(after.presented_at).not.toBeNull();
    await logins().refresh(jti, META); // presented again (a duplicate)
    const later = await t.ctx.db.selectFrom('jwt_tokens').select('presented_at').where('jti', '=', jti).executeTakeFirstOrThrow();
    expect(later.presented_at).toBe(after.presented_at);
  });
});
