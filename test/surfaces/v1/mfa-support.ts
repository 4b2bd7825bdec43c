// Shared steps of the two-factor black-box tests: turning TOTP on over HTTP, and codes computed
// from the secret the way an authenticator app computes them (otplib, the app's clock).
//
// The server accepts a TOTP step at most once per user, and only a step after the highest one
// it accepted. A test that needs a second code takes the step after "now"; a third would have
// to wait for the clock, so tests use recovery codes (or a fresh user) beyond that.
import path from 'node:path';
import { expect } from 'vitest';
import { generate } from 'otplib';
import type { TestApp } from '../../helpers/app.js';
import { type HttpResponse, request } from '../../helpers/http.js';
import { readOutbox, type ReceivedMail } from '../../helpers/smtp.js';
import { V1, type TestUser, knoxLogin, registerUser, tokenHeader } from './helpers.js';

export const PERIOD = 30;

export function nowStep(): number {
  return Math.floor(Date.now() / 1000 / PERIOD);
}

/** The code of a TOTP step. */
export function codeOfStep(secret: string, step: number): Promise<string> {
  return generate({ secret, epoch: step * PERIOD });
}

/**
 * A user's authenticator as a test holds it: the secret, and the highest step the server has
 * accepted (it never accepts that one again, nor an earlier one).
 */
export class Authenticator {
  constructor(readonly secret: string, public floor = -1) {}

  /**
   * The code of the earliest step the server will still take: the current step, or the next one
   * (the server accepts one step either side of its own clock).
   */
  async next(): Promise<string> {
    const now = nowStep();
    const step = this.floor < now ? now : now + 1;
    if (step <= this.floor) throw new Error('no TOTP step left in the window: use a recovery code or a fresh user');
    this.floor = step;
    return codeOfStep(this.secret, step);
  }

  /** A code of an earlier step than any accepted, for replay tests (it is not consumed). */
  replay(step: number): Promise<string> {
    return codeOfStep(this.secret, step);
  }

  /** `n` six-digit codes that no step near now has: wrong codes, certainly. */
  async wrong(n = 1): Promise<string[]> {
    const now = nowStep();
    const near = new Set(await Promise.all([-2, -1, 0, 1, 2].map((d) => codeOfStep(this.secret, now + d))));
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) {
      const candidate = String(100000 + i * 7919);
      if (!near.has(candidate)) out.push(candidate);
    }
    return out;
  }
}

export interface Enrolled extends TestUser {
  /** A knox token that survived the enrolment (the one that turned TOTP on). */
  token: string;
  totp: Authenticator;
  recoveryCodes: string[];
}

/** POST mfa/totp/ with the password, then confirm with the current code. */
export async function enrolOver(url: string, user: TestUser, token: string): Promise<{ totp: Authenticator; recoveryCodes: string[]; start: HttpResponse; confirm: HttpResponse }> {
  const start = await request(url, 'POST', V1 + 'mfa/totp/', { json: { password: user.password }, headers: tokenHeader(token) });
  expect(start.status, start.text).toBe(200);
  const totp = new Authenticator(start.json.secret);
  const confirm = await request(url, 'POST', V1 + 'mfa/totp/confirm/', { json: { code: await totp.next() }, headers: tokenHeader(token) });
  expect(confirm.status, confirm.text).toBe(200);
  return { totp, recoveryCodes: confirm.json.recovery_codes, start, confirm };
}

/** A registered user with TOTP on, and a knox token that survived turning it on. */
export async function enrolledUser(url: string, prefix = 'mfa'): Promise<Enrolled> {
  const user = await registerUser(url, prefix);
  const token = await knoxLogin(url, user);
  const { totp, recoveryCodes } = await enrolOver(url, user, token);
  return { ...user, token, totp, recoveryCodes };
}

/** The §3.1 challenge of a password login, checked, and its token. */
export async function challengeOf(url: string, kind: 'knox' | 'jwt', user: Pick<TestUser, 'email' | 'password'>): Promise<string> {
  const r = await request(url, 'POST', V1 + `login-${kind}/`, { json: { email: user.email, password: user.password } });
  expect(r.status, r.text).toBe(200);
  expect(r.json).toEqual({ mfa_required: true, mfa_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), methods: ['totp', 'recovery_code'] });
  return r.json.mfa_token;
}

export function secondStep(url: string, mfaToken: string, code: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return request(url, 'POST', V1 + 'login/mfa/', { json: { mfa_token: mfaToken, code }, headers });
}

export async function mailsTo(t: TestApp, to: string): Promise<ReceivedMail[]> {
  await t.ctx.mailer.flush();
  return (await readOutbox(path.join(t.dataDir, 'outbox'))).filter((m) => m.to.includes(to));
}

/** The first mail to `to` whose subject matches, once it is written (mail leaves after the answer). */
export async function waitForMail(t: TestApp, to: string, subject: RegExp): Promise<ReceivedMail> {
  for (;;) {
    const found = (await mailsTo(t, to)).find((m) => subject.test(m.subject));
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function auditOf(t: TestApp, userId: string, event?: string) {
  let q = t.ctx.db.selectFrom('audit_log').selectAll().where('user_id', '=', userId).orderBy('id');
  if (event) q = q.where('event', '=', event);
  return (await q.execute()).map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
}

/** The events recorded for a user, oldest first: their types and data. */
export async function eventsOf(t: TestApp, userId: string): Promise<{ type: string; data: Record<string, any> }[]> {
  const rows = await t.ctx.db.selectFrom('events').select(['type', 'body']).orderBy('id').execute();
  return rows
    .map((r) => ({ type: r.type, data: (JSON.parse(r.body) as { data: Record<string, any> }).data }))
    .filter((e) => e.data.user?.id === userId);
}

export async function userRow(t: TestApp, userId: string) {
  return t.ctx.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
}
