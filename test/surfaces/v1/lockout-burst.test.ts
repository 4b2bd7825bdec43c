// Lockout under concurrency (v1.md §0.7 "Under concurrency"): a parallel burst of guesses, spread
// over two instances on one database, never gets more than LOCKOUT_FAILURES of them verified,
// and a right password that arrives after the lock never gets in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, startSibling, type TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';

let a: TestApp;
let b: TestApp;
const PASSWORD = 'Burst,Pass1';

beforeAll(async () => {
  a = await startApp();
  b = await startSibling(a);
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

async function register(name: string): Promise<string> {
  const r = await request(a.url, 'POST', '/v1/user/register/', { json: { email: `${name}@example.com`, username: name, password: PASSWORD, confirm_password: PASSWORD } });
  expect(r.status).toBe(201);
  return r.json.id;
}

function login(base: string, email: string, password: string) {
  return request(base, 'POST', '/v1/user/login-knox/', { json: { email, password } });
}

async function auditCount(userId: string, event: string): Promise<number> {
  const rows = await a.ctx.db.selectFrom('audit_log').select('event').where('user_id', '=', userId).where('event', '=', event).execute();
  return rows.length;
}

describe('a parallel burst of guesses (two instances, one database)', () => {
  it('verifies at most LOCKOUT_FAILURES guesses; the rest get the locked answer without being checked', async () => {
    const id = await register('burst1');
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => login(i % 2 ? a.url : b.url, 'burst1@example.com', `Wrong,guess${i}`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(4);
    expect(statuses.filter((s) => s === 403)).toHaveLength(46);
    expect(await auditCount(id, 'login.failure')).toBe(5);
    expect(await auditCount(id, 'lockout')).toBe(1);
    expect(await auditCount(id, 'login.locked')).toBe(45);
    // The lock holds for the right password too, on either instance.
    expect((await login(a.url, 'burst1@example.com', PASSWORD)).status).toBe(403);
    expect((await login(b.url, 'burst1@example.com', PASSWORD)).status).toBe(403);
  });

  it('a right password inside the burst gets in only if it was among the first LOCKOUT_FAILURES counted', async () => {
    const id = await register('burst2');
    const guesses = Array.from({ length: 30 }, (_, i) => (i === 15 ? PASSWORD : `Wrong,guess${i}`));
    const answers = await Promise.all(guesses.map((pw, i) => login(i % 2 ? a.url : b.url, 'burst2@example.com', pw)));
    const right = answers[15];
    const verified = (await auditCount(id, 'login.failure')) + (await auditCount(id, 'login.success'));
    const locked = await auditCount(id, 'login.locked');
    // Every attempt was either verified or refused as locked, never both.
    expect(verified + locked).toBe(30);
    if (right.status === 200) {
      // It was counted among the first five; its success started a new streak.
      expect(await auditCount(id, 'login.success')).toBe(1);
    } else {
      expect(right.status).toBe(403);
      expect(await auditCount(id, 'login.success')).toBe(0);
      expect(verified).toBe(5);
    }
  });

  it('once locked, parallel right passwords on both instances all get 403', async () => {
    await register('burst3');
    for (let i = 0; i < 5; i++) await login(a.url, 'burst3@example.com', 'Wrong,guess0');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(i % 2 ? a.url : b.url, 'burst3@example.com', PASSWORD)));
    expect(answers.every((r) => r.status === 403)).toBe(true);
  });

  it('a password over 128 characters fails as bad credentials without counting, and is audited', async () => {
    const id = await register('burst4');
    const r = await login(a.url, 'burst4@example.com', 'A,1' + 'x'.repeat(200));
    expect(r.status).toBe(401);
    expect(r.json).toBe('No active account found with the given credentials.');
    const user = (await a.ctx.accounts.byId(id))!;
    expect(user.failed_logins).toBe(0);
    const rows = await a.ctx.db.selectFrom('audit_log').select('details').where('user_id', '=', id).where('event', '=', 'login.failure').execute();
    expect(rows.map((r) => JSON.parse(String(r.details)).reason)).toEqual(['password_too_long']);
  });
});
