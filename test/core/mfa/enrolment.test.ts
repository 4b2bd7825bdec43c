// Enrolment and management (mfa.md §2, §4 reset and stats) on a real database: SQLite, or
// PostgreSQL with Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set. Codes are always
// computed from the secret, as an authenticator app does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { MFA_SUBJECTS, type Mfa } from '../../../src/core/mfa/index.js';
import { MICROS_PER_MINUTE } from '../../../src/core/time.js';
import { TestClock, auditOf, enrol, mailsTo, makeMfa, meta, newUser, totpAt } from './support.js';

let t: TestApp;
let clock: TestClock;
let mfa: Mfa;

beforeAll(async () => {
  t = await startApp({ MFA_ISSUER: 'Gate House' });
  clock = new TestClock();
  mfa = makeMfa(t, clock);
});
afterAll(async () => {
  await t?.close();
});

describe('GET mfa/ status (§2.1)', () => {
  it('is off with no codes for a new account', async () => {
    const u = await newUser(t);
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: false, recoveryCodesLeft: 0 });
    expect(await mfa.enrolment.isEnabled(u.number)).toBe(false);
  });
});

describe('start (§2.2)', () => {
  it('returns the secret, the otpauth URL and the QR code; nothing changes for logins yet', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    expect(r.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(r.otpauthUrl).toBe(`otpauth://totp/Gate%20House:${encodeURIComponent(u.email!)}?secret=${r.secret}&issuer=Gate%20House&algorithm=SHA1&digits=6&period=30`);
    expect(r.qrSvg.startsWith('<svg')).toBe(true);
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: false, recoveryCodesLeft: 0 });
    expect(await mfa.challenges.afterPassword(u, { kind: 'knox', meta })).toEqual({ required: false });
  });

  it('labels an account without email by its username, and one without either by its id', async () => {
    const byName = await newUser(t, { email: null, username: 'name with:colon' });
    const r1 = await mfa.enrolment.start(byName);
    expect(r1.ok && r1.otpauthUrl).toContain('otpauth://totp/Gate%20House:name%20with%3Acolon?');
    const byId = await newUser(t, { email: null, username: null });
    const r2 = await mfa.enrolment.start(byId);
    expect(r2.ok && r2.otpauthUrl).toContain(`otpauth://totp/Gate%20House:${byId.id}?`);
  });

  it('keeps the secret sealed: it appears nowhere in the database in clear', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const row = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', u.number).executeTakeFirstOrThrow();
    expect(row.pending_secret).toBeTruthy();
    expect(JSON.stringify(row)).not.toContain(r.secret);
    expect(JSON.stringify(row).toLowerCase()).not.toContain(r.secret.toLowerCase());
    expect(JSON.stringify(await t.ctx.db.selectFrom('audit_log').selectAll().execute())).not.toContain(r.secret);
    // Sealed under its own key: it opens with that, and only with that.
    expect(t.ctx.secrets.unseal('gatehouse/mfa/totp', row.pending_secret!)).toBe(r.secret);
    expect(t.ctx.secrets.unseal('gatehouse/account/key', row.pending_secret!)).toBeNull();
  });

  it('a new start replaces the pending secret: only the newest one confirms', async () => {
    const u = await newUser(t);
    const first = await mfa.enrolment.start(u);
    const second = await mfa.enrolment.start(u);
    if (!first.ok || !second.ok) throw new Error('start refused');
    expect(second.secret).not.toBe(first.secret);
    expect(await mfa.enrolment.confirm(u, await totpAt(first.secret, clock.seconds), { meta })).toEqual({ ok: false, reason: 'wrong_code' });
    expect((await mfa.enrolment.confirm(u, await totpAt(second.secret, clock.seconds), { meta })).ok).toBe(true);
  });

  it('is refused when TOTP is already on, and leaves the factor as it was', async () => {
    const u = await newUser(t);
    const { secret } = await enrol(mfa, u, clock);
    const before = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', u.number).executeTakeFirstOrThrow();
    expect(await mfa.enrolment.start(u)).toEqual({ ok: false, reason: 'already_enabled' });
    expect(await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', u.number).executeTakeFirstOrThrow()).toEqual(before);
    expect((await mfa.enrolment.disable(u, await totpAt(secret, clock.seconds), { meta })).ok).toBe(true);
  });
});

describe('confirm (§2.3)', () => {
  it('without a start, or after the pending secret expired: not_started', async () => {
    const u = await newUser(t);
    expect(await mfa.enrolment.confirm(u, '123456', { meta })).toEqual({ ok: false, reason: 'not_started' });
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    await t.ctx.db.updateTable('mfa_totp').set({ pending_expires: clock.now - 1 }).where('user_number', '=', u.number).execute();
    expect(await mfa.enrolment.confirm(u, await totpAt(r.secret, clock.seconds), { meta })).toEqual({ ok: false, reason: 'not_started' });
  });

  it('a pending secret lives 10 minutes', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const row = await t.ctx.db.selectFrom('mfa_totp').select('pending_expires').where('user_number', '=', u.number).executeTakeFirstOrThrow();
    expect(row.pending_expires).toBe(clock.now + 10 * MICROS_PER_MINUTE);
  });

  it('a wrong, malformed or recovery-shaped code: wrong_code, and the pending secret stays', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const right = await totpAt(r.secret, clock.seconds);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    for (const code of [wrong, 'abc', '', 'abcde-fghjk', await totpAt(r.secret, clock.seconds, 2)]) {
      expect(await mfa.enrolment.confirm(u, code, { meta })).toEqual({ ok: false, reason: 'wrong_code' });
    }
    expect((await mfa.enrolment.confirm(u, `${right.slice(0, 3)} ${right.slice(3)}`, { meta })).ok).toBe(true);
  });

  it('turns TOTP on with 10 recovery codes, stored as digests only; audit and notice', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const c = await mfa.enrolment.confirm(u, await totpAt(r.secret, clock.seconds), { meta });
    if (!c.ok) throw new Error(`confirm refused: ${c.reason}`);
    expect(c.recoveryCodes).toHaveLength(10);
    for (const code of c.recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: true, recoveryCodesLeft: 10 });
    expect(await mfa.enrolment.isEnabled(u.number)).toBe(true);

    const factor = await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', u.number).executeTakeFirstOrThrow();
    expect(factor.pending_secret).toBeNull();
    expect(factor.enabled_at).toBe(clock.now);
    expect(factor.last_step).toBe(Math.floor(clock.seconds / 30));
    expect(JSON.stringify(factor)).not.toContain(r.secret);
    const codes = await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', u.number).execute();
    expect(codes).toHaveLength(10);
    const stored = JSON.stringify(codes);
    for (const code of c.recoveryCodes) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }

    const audit = await auditOf(t, u, 'mfa.enable');
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(await auditOf(t, u))).not.toMatch(new RegExp([r.secret, ...c.recoveryCodes].join('|')));
    const mails = await mailsTo(t, u.email!);
    expect(mails.map((m) => m.subject)).toEqual([MFA_SUBJECTS.enabled]);
    expect(mails[0].subject).toBe('Two-factor authentication was turned on');
    expect(mails[0].text + mails[0].html).not.toContain(r.secret);
  });

  it('the confirmed step is never accepted again: not even within its window', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const code = await totpAt(r.secret, clock.seconds);
    expect((await mfa.enrolment.confirm(u, code, { meta })).ok).toBe(true);
    expect(await mfa.enrolment.disable(u, code, { meta })).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await mfa.enrolment.disable(u, await totpAt(r.secret, clock.seconds, -1), { meta })).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await mfa.enrolment.disable(u, await totpAt(r.secret, clock.seconds, 1), { meta })).toEqual({ ok: true, method: 'totp' });
  });

  it('two (or ten) parallel confirms enable once', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const code = await totpAt(r.secret, clock.seconds);
    const next = await totpAt(r.secret, clock.seconds, 1);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => mfa.enrolment.confirm(u, i % 2 ? code : next, { meta })));
    expect(results.filter((x) => x.ok)).toHaveLength(1);
    for (const x of results.filter((x) => !x.ok)) expect(x).toEqual({ ok: false, reason: 'not_started' });
    expect(await t.ctx.db.selectFrom('mfa_recovery_codes').select('digest').where('user_number', '=', u.number).execute()).toHaveLength(10);
    expect(await auditOf(t, u, 'mfa.enable')).toHaveLength(1);
    expect((await mailsTo(t, u.email!)).filter((m) => m.subject === MFA_SUBJECTS.enabled)).toHaveLength(1);
  });

  it('runs the caller\'s work in its transaction: when that fails, nothing is kept', async () => {
    const u = await newUser(t);
    const r = await mfa.enrolment.start(u);
    if (!r.ok) throw new Error('start refused');
    const code = await totpAt(r.secret, clock.seconds);
    const boom = new Error('caller failed');
    await expect(
      mfa.enrolment.confirm(u, code, {
        meta,
        within: async (trx) => {
          await trx.updateTable('users').set({ full_name: 'changed inside' }).where('number', '=', u.number).execute();
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: false, recoveryCodesLeft: 0 });
    expect((await t.ctx.accounts.byNumber(u.number))!.full_name).toBe('');
    expect(await auditOf(t, u, 'mfa.enable')).toHaveLength(0);
    expect(await mailsTo(t, u.email!)).toHaveLength(0);
    // The same code still confirms (its step was not spent), and the caller's writes commit with it.
    const ok = await mfa.enrolment.confirm(u, code, {
      meta,
      within: async (trx) => {
        await trx.updateTable('users').set({ full_name: 'changed inside' }).where('number', '=', u.number).execute();
      },
    });
    expect(ok.ok).toBe(true);
    expect((await t.ctx.accounts.byNumber(u.number))!.full_name).toBe('changed inside');
  });
});

describe('disable (§2.4)', () => {
  it('not on: not_enabled (also with only a pending enrolment)', async () => {
    const u = await newUser(t);
    expect(await mfa.enrolment.disable(u, '123456', { meta })).toEqual({ ok: false, reason: 'not_enabled' });
    await mfa.enrolment.start(u);
    expect(await mfa.enrolment.disable(u, '123456', { meta })).toEqual({ ok: false, reason: 'not_enabled' });
  });

  it('a wrong code: wrong_code, and nothing changes', async () => {
    const u = await newUser(t);
    const { secret } = await enrol(mfa, u, clock);
    const right = await totpAt(secret, clock.seconds);
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    for (const code of [wrong, 'nonsense', 'abcde-fghjk', await totpAt(secret, clock.seconds, -2)]) {
      expect(await mfa.enrolment.disable(u, code, { meta })).toEqual({ ok: false, reason: 'wrong_code' });
    }
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: true, recoveryCodesLeft: 10 });
  });

  it('with a TOTP code: off; the secret and the recovery codes deleted; audit and notice', async () => {
    const u = await newUser(t);
    const { secret } = await enrol(mfa, u, clock);
    expect(await mfa.enrolment.disable(u, await totpAt(secret, clock.seconds), { meta })).toEqual({ ok: true, method: 'totp' });
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: false, recoveryCodesLeft: 0 });
    expect(await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', u.number).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', u.number).execute()).toEqual([]);
    expect((await auditOf(t, u, 'mfa.disable')).map((a) => a.details)).toEqual([{ mfa: 'totp' }]);
    // The outbox orders by file name (time, then random): compare as a set.
    expect((await mailsTo(t, u.email!)).map((m) => m.subject).sort()).toEqual([MFA_SUBJECTS.disabled, MFA_SUBJECTS.enabled]);
    expect(MFA_SUBJECTS.disabled).toBe('Two-factor authentication was turned off');
  });

  it('with a recovery code, typed in upper case with a space', async () => {
    const u = await newUser(t);
    const { recoveryCodes } = await enrol(mfa, u, clock);
    const typed = recoveryCodes[3].toUpperCase().replace('-', ' ');
    expect(await mfa.enrolment.disable(u, typed, { meta })).toEqual({ ok: true, method: 'recovery_code' });
    expect(await mfa.enrolment.isEnabled(u.number)).toBe(false);
  });

  it('spends the code only when the whole operation succeeds', async () => {
    const u = await newUser(t);
    const { secret, recoveryCodes } = await enrol(mfa, u, clock);
    const code = await totpAt(secret, clock.seconds);
    const failing = { meta, within: async () => { throw new Error('caller failed'); } };
    await expect(mfa.enrolment.disable(u, code, failing)).rejects.toThrow('caller failed');
    await expect(mfa.enrolment.disable(u, recoveryCodes[0], failing)).rejects.toThrow('caller failed');
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: true, recoveryCodesLeft: 10 });
    const factor = await t.ctx.db.selectFrom('mfa_totp').select('last_step').where('user_number', '=', u.number).executeTakeFirstOrThrow();
    expect(factor.last_step).toBe(Math.floor(clock.seconds / 30) - 1); // still the confirm's step
    expect(await mfa.enrolment.disable(u, code, { meta })).toEqual({ ok: true, method: 'totp' });
  });

  it('two parallel disables with one code: one succeeds', async () => {
    const u = await newUser(t);
    const { secret } = await enrol(mfa, u, clock);
    const code = await totpAt(secret, clock.seconds);
    const results = await Promise.all(Array.from({ length: 6 }, () => mfa.enrolment.disable(u, code, { meta })));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await auditOf(t, u, 'mfa.disable')).toHaveLength(1);
  });
});

describe('recovery codes (§2.5)', () => {
  it('not on: not_enabled', async () => {
    const u = await newUser(t);
    expect(await mfa.enrolment.regenerateRecoveryCodes(u, { meta })).toEqual({ ok: false, reason: 'not_enabled' });
  });

  it('a new set voids the old one; audit and notice', async () => {
    const u = await newUser(t);
    const { recoveryCodes: old } = await enrol(mfa, u, clock);
    const r = await mfa.enrolment.regenerateRecoveryCodes(u, { meta });
    if (!r.ok) throw new Error('refused');
    expect(r.recoveryCodes).toHaveLength(10);
    expect(r.recoveryCodes.some((c) => old.includes(c))).toBe(false);
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: true, recoveryCodesLeft: 10 });
    expect(await mfa.enrolment.disable(u, old[0], { meta })).toEqual({ ok: false, reason: 'wrong_code' });
    expect(await auditOf(t, u, 'mfa.recovery_codes')).toHaveLength(1);
    expect((await mailsTo(t, u.email!)).map((m) => m.subject)).toContain('New recovery codes were made');
    expect(await mfa.enrolment.disable(u, r.recoveryCodes[9], { meta })).toEqual({ ok: true, method: 'recovery_code' });
  });
});

describe('admin reset and stats (§4)', () => {
  it('reset deletes the secret and the codes, audits with the actor, mails a notice', async () => {
    const admin = await newUser(t);
    const u = await newUser(t);
    await enrol(mfa, u, clock);
    const before = await mfa.enrolment.countEnabled();
    const r = await mfa.enrolment.adminReset(u, { meta: { ...meta, surface: 'admin-api' }, actor: { id: admin.id, email: admin.email, username: admin.username } });
    expect(r).toEqual({ ok: true, totpWasOn: true });
    expect(await mfa.enrolment.countEnabled()).toBe(before - 1);
    expect(await mfa.enrolment.status(u.number)).toEqual({ totp: false, recoveryCodesLeft: 0 });
    expect(await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', u.number).execute()).toEqual([]);
    const [entry] = await auditOf(t, u, 'admin.user.mfa_reset');
    expect(entry).toMatchObject({ actor_id: admin.id, surface: 'admin-api', details: { totp: true } });
    expect((await mailsTo(t, u.email!)).filter((m) => m.subject === MFA_SUBJECTS.disabled)).toHaveLength(1);
  });

  it('counts accounts with TOTP on, not those with a pending enrolment', async () => {
    const base = await mfa.enrolment.countEnabled();
    const a = await newUser(t);
    const b = await newUser(t);
    await enrol(mfa, a, clock);
    await enrol(mfa, b, clock);
    await mfa.enrolment.start(await newUser(t));
    expect(await mfa.enrolment.countEnabled()).toBe(base + 2);
  });

  it('the factor goes with a deleted user', async () => {
    const u = await newUser(t);
    await enrol(mfa, u, clock);
    await t.ctx.revocation.deleteUser(u);
    expect(await t.ctx.db.selectFrom('mfa_totp').selectAll().where('user_number', '=', u.number).execute()).toEqual([]);
    expect(await t.ctx.db.selectFrom('mfa_recovery_codes').selectAll().where('user_number', '=', u.number).execute()).toEqual([]);
  });
});

describe('notices go only to an account with an email', () => {
  it('sends nothing and fails nothing without one', async () => {
    const u = await newUser(t, { email: null });
    const { secret } = await enrol(mfa, u, clock);
    expect((await mfa.enrolment.disable(u, await totpAt(secret, clock.seconds), { meta })).ok).toBe(true);
    await t.ctx.mailer.flush();
    expect(t.ctx.mailer.failed).toBe(0);
  });
});
