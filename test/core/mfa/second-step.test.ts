// The second login step (mfa.md §3.1, §3.2; v1.md §0.7 lockout, including "Under
// concurrency") on a real database: SQLite, or PostgreSQL with Redis when TEST_DATABASE_URL /
// TEST_REDIS_URL are set. Codes are computed from the secret, as an authenticator app does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import type { User } from '../../../src/core/accounts.js';
import { MFA_METHODS, MFA_SUBJECTS, type Mfa } from '../../../src/core/mfa/index.js';
import { MICROS_PER_MINUTE, nowMicros } from '../../../src/core/time.js';
import { TestClock, auditOf, enrol, mailsTo, makeMfa, meta, newUser, totpAt } from './support.js';

let t: TestApp;
let clock: TestClock;
/** With the app's lockout (LOCKOUT_FAILURES=5). */
let mfa: Mfa;
/** The same, under a lockout that never trips in these tests, to see the token's own limit. */
let lenient: Mfa;

beforeAll(async () => {
  t = await startApp();
  clock = new TestClock();
  mfa = makeMfa(t, clock);
  lenient = makeMfa(t, clock, 1000);
});
afterAll(async () => {
  await t?.close();
});

async function enrolled(opts: Parameters<typeof newUser>[1] = {}) {
  const user = await newUser(t, opts);
  const factor = await enrol(mfa, user, clock);
  return { user, ...factor };
}

async function challenge(user: User, kind: 'knox' | 'jwt' | 'admin' = 'knox', context?: Record<string, string>) {
  const r = await mfa.challenges.afterPassword(user, { kind, context, meta });
  if (!r.required || !r.challenge) throw new Error('no challenge');
  return r.challenge.mfaToken;
}

/** What login/mfa/ completes: the v1 logins' steps. */
const V1 = { accept: ['knox', 'jwt'] } as const;

function wrongOf(code: string): string {
  return String((Number(code) + 123_457) % 1_000_000).padStart(6, '0');
}

const fresh = async (u: User) => (await t.ctx.accounts.byNumber(u.number))!;

describe('the password step (§3.1, §3.3)', () => {
  it('changes nothing for an account without TOTP', async () => {
    const u = await newUser(t);
    expect(await mfa.challenges.afterPassword(u, { kind: 'jwt', meta })).toEqual({ required: false });
    await mfa.enrolment.start(u); // pending only
    expect(await mfa.challenges.afterPassword(u, { kind: 'jwt', meta })).toEqual({ required: false });
  });

  it('issues a 43-character token for a login that can ask, stored as a digest only; audit login.mfa_challenge', async () => {
    const { user } = await enrolled();
    const r = await mfa.challenges.afterPassword(user, { kind: 'jwt', meta });
    if (!r.required || !r.challenge) throw new Error('no challenge');
    expect(r.challenge.mfaToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(r.challenge.mfaToken, 'base64url')).toHaveLength(32);
    expect(r.challenge.expires).toBe(clock.now + 5 * MICROS_PER_MINUTE);
    expect(MFA_METHODS).toEqual(['totp', 'recovery_code']);
    const rows = await t.ctx.db.selectFrom('mfa_challenges').selectAll().where('user_number', '=', user.number).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: 'jwt', wrong_codes: 0, used_at: null });
    expect(rows[0].digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(r.challenge.mfaToken);
    const audit = await auditOf(t, user, 'login.mfa_challenge');
    expect(audit.map((a) => a.details)).toEqual([{ method: 'jwt' }]);
    expect(JSON.stringify(await auditOf(t, user))).not.toContain(r.challenge.mfaToken);
    // No success yet: no last_login, no login.success.
    expect((await fresh(user)).last_login).toBeNull();
    expect(await auditOf(t, user, 'login.success')).toHaveLength(0);
  });

  it('refuses a login that cannot ask (older surfaces): audit login.failure mfa_required, no lockout count', async () => {
    const { user } = await enrolled();
    expect(await mfa.challenges.afterPassword(user, { kind: null, meta: { ...meta, surface: 'account' } })).toEqual({ required: true, challenge: null });
    expect((await auditOf(t, user, 'login.failure')).map((a) => a.details)).toEqual([{ reason: 'mfa_required' }]);
    expect((await fresh(user)).failed_logins).toBe(0);
    expect(await t.ctx.db.selectFrom('mfa_challenges').selectAll().where('user_number', '=', user.number).execute()).toEqual([]);
  });
});

describe('login/mfa/ with a TOTP code (§3.2)', () => {
  it('completes the login: kind and context back, last_login, streak cleared, login.success with method and mfa', async () => {
    const { user, secret } = await enrolled();
    await t.ctx.db.updateTable('users').set({ failed_logins: 3, last_failure_at: nowMicros() }).where('number', '=', user.number).execute();
    const token = await challenge(user, 'jwt', { provider: 'example' });
    const r = await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1);
    if (!r.ok) throw new Error(`refused: ${r.reason}`);
    expect(r).toMatchObject({ kind: 'jwt', context: { provider: 'example' }, method: 'totp' });
    expect(r.recoveryCodesLeft).toBeUndefined();
    expect(r.user.id).toBe(user.id);
    const after = await fresh(user);
    expect(after.last_login).toBe(clock.now);
    expect(r.user.last_login).toBe(clock.now);
    expect(after.failed_logins).toBe(0);
    expect(after.login_pending).toBe(0);
    expect((await auditOf(t, user, 'login.success')).map((a) => a.details)).toEqual([{ method: 'jwt', mfa: 'totp' }]);
  });

  it('the token is single-use', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    expect((await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).ok).toBe(true);
    clock.nextStep();
    expect(await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
  });

  it('accepts the step before and after; refuses two steps away', async () => {
    const { user, secret } = await enrolled();
    clock.nextStep(3); // well past the confirm's step
    const tokenA = await challenge(user);
    for (const offset of [-2, 2]) {
      const code = await totpAt(secret, clock.seconds, offset);
      const window = await Promise.all([-1, 0, 1].map((o) => totpAt(secret, clock.seconds, o)));
      if (!window.includes(code)) expect(await lenient.challenges.complete(tokenA, code, meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    }
    expect((await lenient.challenges.complete(tokenA, await totpAt(secret, clock.seconds, -1), meta, V1)).ok).toBe(true);
    const tokenB = await challenge(user);
    expect((await lenient.challenges.complete(tokenB, await totpAt(secret, clock.seconds, 1), meta, V1)).ok).toBe(true);
  });

  it('refuses the replay of an accepted step, also within its window and through another token', async () => {
    const { user, secret } = await enrolled();
    const code = await totpAt(secret, clock.seconds);
    expect((await mfa.challenges.complete(await challenge(user), code, meta, V1)).ok).toBe(true);
    const again = await challenge(user);
    expect(await mfa.challenges.complete(again, code, meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    // An earlier step is refused too: only later steps are accepted.
    expect(await mfa.challenges.complete(again, await totpAt(secret, clock.seconds, -1), meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    expect((await mfa.challenges.complete(again, await totpAt(secret, clock.seconds, 1), meta, V1)).ok).toBe(true);
  });

  it('a token completes only at the route of its kind: elsewhere it is unknown and stays usable', async () => {
    const { user, secret } = await enrolled();
    const adminToken = await challenge(user, 'admin');
    const code = await totpAt(secret, clock.seconds);
    expect(await mfa.challenges.complete(adminToken, code, meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
    const knoxToken = await challenge(user, 'knox');
    expect(await mfa.challenges.complete(knoxToken, code, meta, { accept: ['admin'] })).toEqual({ ok: false, reason: 'invalid_token' });
    expect((await fresh(user)).failed_logins).toBe(0);
    expect((await mfa.challenges.complete(adminToken, code, meta, { accept: ['admin'] })).ok).toBe(true);
  });

  it('records the admin second page as a session login', async () => {
    const { user, secret } = await enrolled();
    const r = await mfa.challenges.complete(await challenge(user, 'admin'), await totpAt(secret, clock.seconds), { ...meta, surface: 'admin' }, { accept: ['admin'] });
    expect(r).toMatchObject({ ok: true, kind: 'admin', context: null });
    expect((await auditOf(t, user, 'login.success')).map((a) => a.details)).toEqual([{ method: 'session', mfa: 'totp' }]);
  });
});

describe('login/mfa/ with a recovery code (§3.2)', () => {
  it('spends it, says how many are left, audits mfa.recovery_code_used, mails the notice', async () => {
    const { user, recoveryCodes } = await enrolled();
    const r = await mfa.challenges.complete(await challenge(user), ` ${recoveryCodes[2].toUpperCase()} `, meta, V1);
    expect(r).toMatchObject({ ok: true, method: 'recovery_code', recoveryCodesLeft: 9 });
    expect(await mfa.enrolment.status(user.number)).toEqual({ totp: true, recoveryCodesLeft: 9 });
    expect((await auditOf(t, user, 'login.success')).map((a) => a.details)).toEqual([{ method: 'knox', mfa: 'recovery_code' }]);
    expect((await auditOf(t, user, 'mfa.recovery_code_used')).map((a) => a.details)).toEqual([{ left: 9, method: 'knox' }]);
    const notice = (await mailsTo(t, user.email!)).find((m) => m.subject === MFA_SUBJECTS.recoveryCodeUsed)!;
    expect(notice.subject).toBe('A recovery code was used to sign in');
    expect(notice.text).toContain('You have 9 recovery codes left.');
    expect(notice.text + notice.html).not.toContain(recoveryCodes[2]);
    // Used once: the same code again is a wrong code.
    expect(await mfa.challenges.complete(await challenge(user), recoveryCodes[2], meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
  });

  it('the same recovery code sent in parallel through different tokens is spent once', async () => {
    const { user, recoveryCodes } = await enrolled();
    const tokens = await Promise.all(Array.from({ length: 8 }, () => challenge(user)));
    const results = await Promise.all(tokens.map((tok) => lenient.challenges.complete(tok, recoveryCodes[0], meta, V1)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && r.reason === 'wrong_code')).toBe(true);
    expect(await mfa.enrolment.status(user.number)).toEqual({ totp: true, recoveryCodesLeft: 9 });
    expect(await auditOf(t, user, 'mfa.recovery_code_used')).toHaveLength(1);
  });
});

describe('single use under concurrency', () => {
  it('20 parallel requests with one token and its right code: exactly one login', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    const code = await totpAt(secret, clock.seconds);
    const results = await Promise.all(Array.from({ length: 20 }, () => mfa.challenges.complete(token, code, meta, V1)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, reason: 'invalid_token' });
    expect(await auditOf(t, user, 'login.success')).toHaveLength(1);
    const after = await fresh(user);
    expect(after.failed_logins).toBe(0);
    expect(after.login_pending).toBe(0);
  });

  it('one TOTP code sent in parallel through 10 different tokens: its step is accepted once', async () => {
    const { user, secret } = await enrolled();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => challenge(user)));
    const code = await totpAt(secret, clock.seconds);
    const results = await Promise.all(tokens.map((tok) => lenient.challenges.complete(tok, code, meta, V1)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, reason: 'wrong_code' });
  });

  it('20 parallel requests with one token and a recovery code: one login, one code spent', async () => {
    const { user, recoveryCodes } = await enrolled();
    const token = await challenge(user);
    const results = await Promise.all(Array.from({ length: 20 }, () => mfa.challenges.complete(token, recoveryCodes[5], meta, V1)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await mfa.enrolment.status(user.number)).toEqual({ totp: true, recoveryCodesLeft: 9 });
  });
});

describe('the caller\'s work on success', () => {
  it('runs in the same transaction: when it fails, the token, the code and the streak are as they were', async () => {
    const { user, recoveryCodes } = await enrolled();
    const token = await challenge(user);
    await expect(mfa.challenges.complete(token, recoveryCodes[1], meta, { ...V1, issuer: () => ({ write: async () => { throw new Error('caller failed'); } }) })).rejects.toThrow('caller failed');
    expect(await mfa.enrolment.status(user.number)).toEqual({ totp: true, recoveryCodesLeft: 10 });
    const after = await fresh(user);
    expect(after.last_login).toBeNull();
    expect(after.login_pending).toBe(0);
    expect(await auditOf(t, user, 'login.success')).toHaveLength(0);
    let seen = 0;
    const r = await mfa.challenges.complete(token, recoveryCodes[1], meta, {
      ...V1,
      issuer: () => ({
        write: async (trx) => {
          seen = (await trx.selectFrom('mfa_recovery_codes').select('used_at').where('user_number', '=', user.number).where('used_at', 'is not', null).execute()).length;
        },
      }),
    });
    expect(r).toMatchObject({ ok: true, recoveryCodesLeft: 9 });
    expect(seen).toBe(1);
  });
});

describe('mixed operations on one account in parallel', () => {
  it('queue on the factor instead of deadlocking or failing', async () => {
    for (let round = 0; round < 20; round++) {
      const { user, secret, recoveryCodes } = await enrolled();
      const tokens = await Promise.all(Array.from({ length: 3 }, () => challenge(user)));
      const code = await totpAt(secret, clock.seconds);
      const settled = await Promise.allSettled([
        lenient.challenges.complete(tokens[0], recoveryCodes[0], meta, V1),
        mfa.enrolment.regenerateRecoveryCodes(user, { meta }),
        lenient.challenges.complete(tokens[1], code, meta, V1),
        mfa.enrolment.disable(user, recoveryCodes[1], { meta }),
        lenient.challenges.complete(tokens[2], recoveryCodes[2], meta, V1),
        mfa.enrolment.regenerateRecoveryCodes(user, { meta }),
        mfa.enrolment.disable(user, recoveryCodes[3], { meta }),
        mfa.enrolment.regenerateRecoveryCodes(user, { meta }),
      ]);
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
    }
  });
});

describe('wrong codes (§3.2, v1.md §0.7)', () => {
  it('count toward the lockout streak and are audited without the code', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    const wrong = wrongOf(await totpAt(secret, clock.seconds));
    expect(await mfa.challenges.complete(token, wrong, meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await mfa.challenges.complete(token, 'not a code', meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    const after = await fresh(user);
    expect(after.failed_logins).toBe(2);
    expect(after.login_pending).toBe(0);
    const failures = await auditOf(t, user, 'login.failure');
    expect(failures.map((a) => a.details)).toEqual([{ reason: 'wrong_code', method: 'knox' }, { reason: 'wrong_code', method: 'knox' }]);
    expect(JSON.stringify(await auditOf(t, user))).not.toMatch(new RegExp(`${wrong}|${token}|${secret}`));
    // The token survives them, and a right code then clears the streak.
    expect((await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).ok).toBe(true);
    expect((await fresh(user)).failed_logins).toBe(0);
  });

  it('the 5th wrong code for one token ends it', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    const wrong = wrongOf(await totpAt(secret, clock.seconds));
    for (let i = 0; i < 5; i++) expect(await lenient.challenges.complete(token, wrong, meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await lenient.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
    const row = await t.ctx.db.selectFrom('mfa_challenges').select('wrong_codes').where('user_number', '=', user.number).executeTakeFirstOrThrow();
    expect(row.wrong_codes).toBe(5);
  });

  it('the failure that reaches LOCKOUT_FAILURES answers locked; then even a right code is locked', async () => {
    const { user, secret } = await enrolled();
    const wrong = wrongOf(await totpAt(secret, clock.seconds));
    const tokenA = await challenge(user);
    for (let i = 0; i < 4; i++) expect(await mfa.challenges.complete(tokenA, wrong, meta, V1)).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await mfa.challenges.complete(tokenA, wrong, meta, V1)).toEqual({ ok: false, reason: 'locked', lockedNow: true });
    const locked = await fresh(user);
    expect(locked.locked_until! - locked.last_failure_at!).toBe(15 * MICROS_PER_MINUTE);
    expect(await auditOf(t, user, 'lockout')).toHaveLength(1);
    const tokenB = await challenge(user);
    expect(await mfa.challenges.complete(tokenB, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'locked', lockedNow: false });
    expect((await fresh(user)).failed_logins).toBe(5); // not recorded while locked
    // The refused right code was not spent: after an unlock it still works.
    await t.ctx.lockout.clear(user.number);
    expect((await mfa.challenges.complete(tokenB, await totpAt(secret, clock.seconds), meta, V1)).ok).toBe(true);
  });

  it('in parallel: never more checked than LOCKOUT_FAILURES, and the account locks exactly once', async () => {
    const { user, secret } = await enrolled();
    const wrong = wrongOf(await totpAt(secret, clock.seconds));
    const tokens = await Promise.all(Array.from({ length: 4 }, () => challenge(user)));
    const results = await Promise.all(tokens.flatMap((tok) => Array.from({ length: 5 }, () => mfa.challenges.complete(tok, wrong, meta, V1))));
    const checked = await auditOf(t, user, 'login.failure');
    expect(checked.length).toBeLessThanOrEqual(5);
    expect(checked.length).toBe(5);
    expect(results.filter((r) => !r.ok && r.reason === 'locked' && r.lockedNow)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'wrong_code')).toHaveLength(4);
    expect(results.filter((r) => !r.ok && r.reason === 'locked')).toHaveLength(16);
    expect(await auditOf(t, user, 'lockout')).toHaveLength(1);
    const after = await fresh(user);
    expect(after.failed_logins).toBe(5);
    expect(after.login_pending).toBe(0);
  });
});

describe('dead tokens and accounts', () => {
  it('unknown or malformed tokens: invalid_token, nothing counted', async () => {
    const { user, secret } = await enrolled();
    const code = await totpAt(secret, clock.seconds);
    const real = await challenge(user);
    const forged = (real[0] === 'A' ? 'B' : 'A') + real.slice(1);
    for (const tok of ['', 'x', real + 'A', real.slice(1), forged, real.replace(/./, '*'), ' '.repeat(43)]) {
      expect(await mfa.challenges.complete(tok, code, meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
    }
    expect((await fresh(user)).failed_logins).toBe(0);
    expect((await mfa.challenges.complete(real, code, meta, V1)).ok).toBe(true);
  });

  it('an expired token: invalid_token (5 minutes)', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    await t.ctx.db.updateTable('mfa_challenges').set({ expires: clock.now - 1 }).where('user_number', '=', user.number).execute();
    expect(await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
    expect((await fresh(user)).failed_logins).toBe(0);
  });

  it('an account deactivated after the password step: inactive', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    await t.ctx.accounts.update(user.number, { isActive: false });
    expect(await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'inactive' });
    expect((await fresh(user)).last_login).toBeNull();
  });

  it('an account locked meanwhile: locked, without checking the code', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    await t.ctx.db.updateTable('users').set({ locked_until: nowMicros() + MICROS_PER_MINUTE }).where('number', '=', user.number).execute();
    expect(await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'locked', lockedNow: false });
    expect(await auditOf(t, user, 'login.locked')).toHaveLength(1);
  });

  it('a token of a deleted user goes with the user', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    await t.ctx.revocation.deleteUser(user);
    expect(await mfa.challenges.complete(token, await totpAt(secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
  });

  it('TOTP turned off (or off and on again) after the password step: the token is dead', async () => {
    const { user, secret } = await enrolled();
    const token = await challenge(user);
    expect((await mfa.enrolment.disable(user, await totpAt(secret, clock.seconds), { meta })).ok).toBe(true);
    clock.nextStep();
    const again = await enrol(mfa, user, clock);
    expect(await mfa.challenges.complete(token, await totpAt(again.secret, clock.seconds), meta, V1)).toEqual({ ok: false, reason: 'invalid_token' });
    expect((await mfa.challenges.complete(await challenge(user), await totpAt(again.secret, clock.seconds), meta, V1)).ok).toBe(true);
  });

  it('spent and expired tokens of a user are cleared when a new one is issued', async () => {
    const { user, secret } = await enrolled();
    const used = await challenge(user);
    expect((await mfa.challenges.complete(used, await totpAt(secret, clock.seconds), meta, V1)).ok).toBe(true);
    await challenge(user);
    await t.ctx.db.updateTable('mfa_challenges').set({ expires: clock.now - 1 }).where('user_number', '=', user.number).execute();
    await challenge(user);
    expect(await t.ctx.db.selectFrom('mfa_challenges').select('digest').where('user_number', '=', user.number).execute()).toHaveLength(1);
    expect(await mfa.challenges.purgeExpired()).toBeGreaterThanOrEqual(0);
  });
});
