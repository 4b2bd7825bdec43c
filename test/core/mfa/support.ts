// Shared pieces of the two-factor tests: an Mfa built from a real app's parts, a clock the test
// moves (TOTP steps are 30 s wide; a pinned clock keeps "the step before" from drifting), and
// codes computed from the secret the way an authenticator app does.
import path from 'node:path';
import { generate } from 'otplib';
import { randomBytes } from 'node:crypto';
import type { TestApp } from '../../helpers/app.js';
import { readOutbox, type ReceivedMail } from '../../helpers/smtp.js';
import { Lockout } from '../../../src/core/lockout.js';
import type { RequestMeta } from '../../../src/core/audit.js';
import type { User } from '../../../src/core/accounts.js';
import { Mfa } from '../../../src/core/mfa/index.js';

export const meta: RequestMeta = { surface: 'v1', ip: '127.0.0.1', userAgent: 'vitest' };

/** Microseconds; starts 10 s into the current real 30 s step. */
export class TestClock {
  now: number;
  constructor() {
    const seconds = Math.floor(Date.now() / 1000 / 30) * 30 + 10;
    this.now = seconds * 1_000_000;
  }
  get seconds(): number {
    return Math.floor(this.now / 1_000_000);
  }
  /** Moves to the next 30 s step (same offset within it). */
  nextStep(steps = 1): void {
    this.now += steps * 30_000_000;
  }
  read = (): number => this.now;
}

export function makeMfa(t: TestApp, clock: TestClock, lockoutFailures?: number): Mfa {
  const lockout = lockoutFailures === undefined ? t.ctx.lockout : new Lockout(t.ctx.db, { failures: lockoutFailures, minutes: 15 });
  return new Mfa({
    db: t.ctx.db,
    secrets: t.ctx.secrets,
    accounts: t.ctx.accounts,
    lockout,
    audit: t.ctx.audit,
    mailer: t.ctx.mailer,
    metrics: t.ctx.metrics,
    config: t.ctx.config,
    outbox: t.ctx.events.outbox,
    clock: clock.read,
  });
}

/** The code an authenticator app shows at `epochSeconds` (offset in steps from it). */
export function totpAt(secret: string, epochSeconds: number, stepOffset = 0): Promise<string> {
  return generate({ secret, epoch: epochSeconds + stepOffset * 30 });
}

export async function newUser(t: TestApp, opts: { email?: string | null; username?: string | null } = {}): Promise<User> {
  const tag = randomBytes(5).toString('hex');
  const r = await t.ctx.accounts.create({
    email: opts.email === undefined ? `mfa-${tag}@example.com` : opts.email,
    username: opts.username === undefined ? `mfa-${tag}` : opts.username,
    password: 'Secret,123',
  });
  if (!r.ok) throw new Error('create failed');
  return r.user;
}

/** Enrols `user` through start + confirm with a code of the current step; moves the clock one step on. */
export async function enrol(mfa: Mfa, user: User, clock: TestClock): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await mfa.enrolment.start(user);
  if (!started.ok) throw new Error('start failed');
  const confirmed = await mfa.enrolment.confirm(user, await totpAt(started.secret, clock.seconds), { meta });
  if (!confirmed.ok) throw new Error(`confirm failed: ${confirmed.reason}`);
  clock.nextStep();
  return { secret: started.secret, recoveryCodes: confirmed.recoveryCodes };
}

export async function mailsTo(t: TestApp, to: string): Promise<ReceivedMail[]> {
  await t.ctx.mailer.flush();
  return (await readOutbox(path.join(t.dataDir, 'outbox'))).filter((m) => m.to.includes(to));
}

export async function auditOf(t: TestApp, user: User, event?: string) {
  let q = t.ctx.db.selectFrom('audit_log').selectAll().where('user_id', '=', user.id).orderBy('id');
  if (event) q = q.where('event', '=', event);
  return (await q.execute()).map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}
