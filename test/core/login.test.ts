// The shared core on a real database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set):
// uniqueness races, lockout (v1.md §0.7), revocation (§0.8) and deletion (§0.9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import type { RequestMeta } from '../../src/core/audit.js';
import { MICROS_PER_MINUTE, nowMicros } from '../../src/core/time.js';

let t: TestApp;
const meta: RequestMeta = { surface: 'v1', ip: '127.0.0.1', userAgent: 'vitest' };

beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => {
  await t?.close();
});

async function newUser(name: string, password = 'Secret,123') {
  const r = await t.ctx.accounts.create({ email: `${name}@example.com`, username: name, password });
  if (!r.ok) throw new Error('create failed');
  return r.user;
}

function attempt(user: Awaited<ReturnType<typeof newUser>> | undefined, password: string) {
  return t.ctx.login.attempt({ user, password, identifier: user?.username ?? 'nobody', method: 'knox', meta });
}

describe('uniqueness (v1.md §0.6)', () => {
  it('email and username are unique case-insensitively, enforced by the database', async () => {
    await newUser('Alice');
    const dupEmail = await t.ctx.accounts.create({ email: 'ALICE@EXAMPLE.COM', username: 'other' });
    expect(dupEmail).toEqual({ ok: false, conflict: 'email' });
    const dupName = await t.ctx.accounts.create({ email: 'x@example.com', username: 'aLiCe' });
    expect(dupName).toEqual({ ok: false, conflict: 'username' });
    expect((await t.ctx.accounts.byEmail('alice@example.COM'))?.username).toBe('Alice');
  });

  it('50 parallel registrations of one email make exactly one account and no error', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => t.ctx.accounts.create({ email: 'race@example.com', username: `racer${i}`, passwordHash: null })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.conflict === 'email')).toHaveLength(49);
  });

  it('empty email and username are stored as absent and not constrained', async () => {
    const a = await t.ctx.accounts.create({ email: '', username: 'noemail1' });
    const b = await t.ctx.accounts.create({ email: '', username: 'noemail2' });
    expect(a.ok && b.ok).toBe(true);
    if (a.ok) expect(a.user.email).toBeNull();
  });

  it('user numbers increase and are never reused after a deletion', async () => {
    const first = await newUser('numbered1');
    await t.ctx.revocation.deleteUser(first);
    const second = await newUser('numbered2');
    expect(second.number).toBeGreaterThan(first.number);
  });
});

describe('login and lockout (v1.md §0.7)', () => {
  it('an unknown account fails without counting anything', async () => {
    expect(await attempt(undefined, 'whatever')).toEqual({ ok: false, reason: 'unknown_account' });
  });

  it('the 5th consecutive failure locks; while locked even the right password is refused; unlock clears', async () => {
    const u = await newUser('locky');
    for (let i = 1; i <= 4; i++) expect((await attempt(await t.ctx.accounts.byId(u.id), 'wrong')).ok === false && (await t.ctx.accounts.byId(u.id))!.failed_logins).toBe(i);
    const fifth = await attempt(await t.ctx.accounts.byId(u.id), 'wrong');
    expect(fifth).toMatchObject({ ok: false, reason: 'locked', lockedNow: true });
    const locked = (await t.ctx.accounts.byId(u.id))!;
    expect(locked.locked_until! - locked.last_failure_at!).toBe(15 * MICROS_PER_MINUTE);
    expect(await attempt(locked, 'Secret,123')).toMatchObject({ ok: false, reason: 'locked', lockedNow: false });
    expect((await t.ctx.accounts.byId(u.id))!.failed_logins).toBe(5); // not recorded while locked
    await t.ctx.lockout.clear(u.number);
    expect((await attempt(await t.ctx.accounts.byId(u.id), 'Secret,123')).ok).toBe(true);
  });

  it('a success clears the streak; an inactive account counts as a failure', async () => {
    const u = await newUser('streaky');
    await attempt(u, 'wrong');
    await attempt(u, 'wrong');
    expect((await attempt(u, 'Secret,123')).ok).toBe(true);
    const fresh = (await t.ctx.accounts.byId(u.id))!;
    expect(fresh.failed_logins).toBe(0);
    expect(fresh.last_login).not.toBeNull();
    await t.ctx.accounts.update(u.number, { isActive: false });
    expect(await attempt(await t.ctx.accounts.byId(u.id), 'Secret,123')).toMatchObject({ ok: false, reason: 'inactive' });
    expect((await t.ctx.accounts.byId(u.id))!.failed_logins).toBe(1);
  });

  it('a streak older than the window is forgotten', async () => {
    const u = await newUser('forgetful');
    await attempt(u, 'wrong');
    await t.ctx.db.updateTable('users').set({ failed_logins: 4, last_failure_at: nowMicros() - 16 * MICROS_PER_MINUTE }).where('number', '=', u.number).execute();
    const r = await attempt(await t.ctx.accounts.byId(u.id), 'wrong');
    expect(r).toMatchObject({ ok: false, reason: 'wrong_password' });
    expect((await t.ctx.accounts.byId(u.id))!.failed_logins).toBe(1);
  });

  it('parallel failures never lose a count and lock exactly once', async () => {
    const u = await newUser('parallel');
    const results = await Promise.all(Array.from({ length: 12 }, () => attempt(u, 'wrong')));
    expect(results.filter((r) => r.ok === false && r.reason === 'locked' && r.lockedNow)).toHaveLength(1);
    const lockouts = await t.ctx.db.selectFrom('audit_log').select('event').where('event', '=', 'lockout').where('user_id', '=', u.id).execute();
    expect(lockouts).toHaveLength(1);
  });

  it('records audit entries without secrets', async () => {
    const u = await newUser('audited', 'Audit,Pass1');
    await attempt(u, 'Wrong,Pass1');
    const rows = await t.ctx.db.selectFrom('audit_log').selectAll().where('user_id', '=', u.id).execute();
    expect(rows.map((r) => r.event)).toContain('login.failure');
    expect(JSON.stringify(rows)).not.toContain('Wrong,Pass1');
  });
});

describe('revocation and deletion (v1.md §0.8, §0.9)', () => {
  it('endAllSessions deletes knox and account tokens, denylists access JWTs, blacklists refreshes, voids reset tokens, spares what it is told', async () => {
    const u = await newUser('revoked');
    const spared = await t.ctx.knox.create(u, null, null);
    const other = await t.ctx.knox.create(u, null, null);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    await t.ctx.revocation.recordTokens([
      { jti: 'a'.repeat(32), surface: 'api-user', type: 'access', userId: u.id, iat: exp - 3600, exp },
      { jti: 'b'.repeat(32), surface: 'api-user', type: 'refresh', userId: u.id, iat: exp - 3600, exp },
    ]);
    const reset = await t.ctx.emailTokens.issue(u.number, 'v1-reset', { email: u.email, ttlMicros: 3600e6 });
    await t.ctx.revocation.endAllSessions(u, 'revoked', { knoxId: spared.record.id });
    expect((await t.ctx.knox.check(spared.token)).ok).toBe(true);
    expect((await t.ctx.knox.check(other.token)).ok).toBe(false);
    expect(await t.ctx.kv.isDenied('a'.repeat(32))).toBe(true);
    const refresh = await t.ctx.db.selectFrom('jwt_tokens').select(['revoked_at']).where('jti', '=', 'b'.repeat(32)).executeTakeFirst();
    expect(refresh?.revoked_at).not.toBeNull();
    expect(await t.ctx.emailTokens.find(reset, 'v1-reset')).toBeNull();
  });

  it('deleteUser removes the row and its tokens, blacklists refreshes, and leaves access ids to fail as user-not-found', async () => {
    const u = await newUser('deleted');
    const knox = await t.ctx.knox.create(u, null, null);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    await t.ctx.revocation.recordTokens([
      { jti: 'c'.repeat(32), surface: 'v1', type: 'access', userId: u.id, iat: exp - 3600, exp },
      { jti: 'd'.repeat(32), surface: 'v1', type: 'refresh', userId: u.id, iat: exp - 3600, exp },
    ]);
    await t.ctx.profiles.create('artist', u.number, { bio: 'x' });
    await t.ctx.revocation.deleteUser(u);
    expect(await t.ctx.accounts.byId(u.id)).toBeUndefined();
    expect((await t.ctx.knox.check(knox.token)).ok).toBe(false);
    expect(await t.ctx.kv.isDenied('c'.repeat(32))).toBe(false);
    const refresh = await t.ctx.db.selectFrom('jwt_tokens').select(['revoked_at', 'revoked_reason']).where('jti', '=', 'd'.repeat(32)).executeTakeFirst();
    expect(refresh).toMatchObject({ revoked_reason: 'deleted' });
    expect(await t.ctx.profiles.ofUser(u.number)).toEqual([]);
  });

  it('knox cap: 20 concurrent logins of one user leave exactly 3 working tokens', async () => {
    const u = await newUser('capped');
    const created = await Promise.all(Array.from({ length: 20 }, () => t.ctx.knox.create(u, null, null)));
    const live = await t.ctx.knox.listOf(u.number);
    expect(live).toHaveLength(3);
    const working = (await Promise.all(created.map((c) => t.ctx.knox.check(c.token)))).filter((r) => r.ok);
    expect(working).toHaveLength(3);
  });
});
