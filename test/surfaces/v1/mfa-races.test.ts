// Parallel attacks on the second step, over HTTP (mfa.md §1 "No replay", §3.2; v1.md §0.7
// "Under concurrency"): one code sent many times at once logs in at most once, a recovery code
// is spent once, and wrong codes in parallel never get more checks than the lockout allows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request, startV1, V1 } from './helpers.js';
import { auditOf, challengeOf, enrolledUser, secondStep, userRow } from './mfa-support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

const N = 20;
const REFUSALS = [
  { status: 401, body: 'Invalid or expired MFA token.' },
  { status: 401, body: 'Invalid code.' },
  { status: 403, body: 'Locked out due to too many login failures.' },
];

async function knoxTokensOf(userId: string): Promise<number> {
  const number = (await userRow(t, userId)).number;
  return (await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', number).execute()).length;
}

describe('the same right code, 20 times at once', () => {
  it('through one mfa_token: one login', async () => {
    const u = await enrolledUser(t.url);
    const before = await knoxTokensOf(u.id);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    const code = await u.totp.next();
    const answers = await Promise.all(Array.from({ length: N }, () => secondStep(t.url, mfaToken, code)));
    const ok = answers.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of answers.filter((a) => a.status !== 200)) expect(REFUSALS).toContainEqual({ status: r.status, body: r.json });
    expect(await knoxTokensOf(u.id)).toBe(before + 1);
    expect((await auditOf(t, u.id, 'login.success')).filter((a) => a.details.mfa)).toHaveLength(1);
  });

  it('through 20 mfa_tokens: its step is accepted once', async () => {
    const u = await enrolledUser(t.url);
    const tokens = [];
    for (let i = 0; i < N; i++) tokens.push(await challengeOf(t.url, 'knox', u));
    const code = await u.totp.next();
    const answers = await Promise.all(tokens.map((mfaToken) => secondStep(t.url, mfaToken, code)));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    // A replayed step is a wrong code: those count toward the lockout like any other.
    for (const r of answers.filter((a) => a.status !== 200)) expect(REFUSALS.slice(1)).toContainEqual({ status: r.status, body: r.json });
    expect((await auditOf(t, u.id, 'login.success')).filter((a) => a.details.mfa)).toHaveLength(1);
    expect((await auditOf(t, u.id, 'login.failure')).length).toBeLessThanOrEqual(5);
  });

  it('a recovery code through 20 mfa_tokens: spent once', async () => {
    const u = await enrolledUser(t.url);
    const tokens = [];
    for (let i = 0; i < N; i++) tokens.push(await challengeOf(t.url, 'jwt', u));
    const answers = await Promise.all(tokens.map((mfaToken) => secondStep(t.url, mfaToken, u.recoveryCodes[2])));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await auditOf(t, u.id, 'mfa.recovery_code_used')).toHaveLength(1);
    const number = (await userRow(t, u.id)).number;
    const unused = await t.ctx.db.selectFrom('mfa_recovery_codes').select('digest').where('user_number', '=', number).where('used_at', 'is', null).execute();
    expect(unused).toHaveLength(9);
  });

  it('a recovery code through one mfa_token: one login, one code spent', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    const answers = await Promise.all(Array.from({ length: N }, () => secondStep(t.url, mfaToken, u.recoveryCodes[7])));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(await auditOf(t, u.id, 'mfa.recovery_code_used')).toHaveLength(1);
  });
});

describe('wrong codes, 20 at once', () => {
  it('through 20 mfa_tokens: at most LOCKOUT_FAILURES are checked, and the account locks once', async () => {
    const u = await enrolledUser(t.url);
    const tokens = [];
    for (let i = 0; i < N; i++) tokens.push(await challengeOf(t.url, 'knox', u));
    const answers = await Promise.all(tokens.map((mfaToken, i) => secondStep(t.url, mfaToken, String(100000 + i))));
    const wrong = await auditOf(t, u.id, 'login.failure');
    expect(wrong.length).toBeLessThanOrEqual(5);
    expect(wrong.every((a) => a.details.reason === 'wrong_code')).toBe(true);
    expect(await auditOf(t, u.id, 'lockout')).toHaveLength(1);
    const row = await userRow(t, u.id);
    expect(row.failed_logins).toBe(5);
    expect(row.locked_until).not.toBeNull();
    expect(answers.filter((r) => r.status === 401).length).toBeLessThanOrEqual(4);
    for (const r of answers) {
      if (r.status === 401) expect(r.json).toBe('Invalid code.');
      else expect({ status: r.status, body: r.json }).toEqual({ status: 403, body: 'Locked out due to too many login failures.' });
    }
    // Locked: even the right password is refused now.
    const login = await request(t.url, 'POST', V1 + 'login-knox/', { json: { email: u.email, password: u.password } });
    expect(login.status).toBe(403);
  });

  it('through one mfa_token: the same', async () => {
    const u = await enrolledUser(t.url);
    const mfaToken = await challengeOf(t.url, 'knox', u);
    const answers = await Promise.all(Array.from({ length: N }, (_, i) => secondStep(t.url, mfaToken, String(200000 + i))));
    expect((await auditOf(t, u.id, 'login.failure')).length).toBeLessThanOrEqual(5);
    expect((await userRow(t, u.id)).failed_logins).toBe(5);
    expect(answers.filter((r) => r.status === 200)).toEqual([]);
    for (const r of answers) expect([401, 403]).toContain(r.status);
  });
});
