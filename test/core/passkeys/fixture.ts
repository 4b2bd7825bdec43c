// What every passkey test stands on: a real app (SQLite, or PostgreSQL + Redis), the passkey
// core built from its parts with a clock the test can move, Chromium with virtual
// authenticators, and the test page at two origins of the RP ID `localhost`.
import path from 'node:path';
import { startApp, type TestApp } from '../../helpers/app.js';
import { openBrowser, type TestBrowser } from '../../helpers/browser.js';
import { readOutbox, type ReceivedMail } from '../../helpers/smtp.js';
import { openPasskeyClient, startPasskeyPage, type PasskeyClient, type PasskeyPageServer } from '../../helpers/webauthn.js';
import type { User } from '../../../src/core/accounts.js';
import type { RequestMeta } from '../../../src/core/audit.js';
import { nowMicros } from '../../../src/core/time.js';
import { Passkeys, type PasskeyObject, type RelyingParty, resolveRelyingParty } from '../../../src/core/passkeys/index.js';

export const meta: RequestMeta = { surface: 'v1', ip: '127.0.0.1', userAgent: 'vitest' };

export interface PasskeyFixture {
  t: TestApp;
  browser: TestBrowser;
  /** The page the RP allows (`rp.origins`). */
  page: PasskeyPageServer;
  /** The same page at another origin of the same RP ID (not allowed). */
  otherPage: PasskeyPageServer;
  passkeys: Passkeys;
  /** Resolved as a development server would: no settings, the request's own origin. */
  rp: RelyingParty;
  /** Moves the passkey core's clock forward. */
  advance(micros: number): void;
  newUser(name: string, options?: { password?: string | null; fullName?: string }): Promise<User>;
  client(origin?: string): Promise<PasskeyClient>;
  /** Options, ceremony and verification: a registered passkey. */
  register(client: PasskeyClient, user: User, name?: string): Promise<PasskeyObject>;
  /** Options and ceremony: what a login would send (challenge id and credential). */
  assert(client: PasskeyClient, rp?: RelyingParty, tweak?: (options: any) => void): Promise<{ challengeId: string; credential: any }>;
  mails(): Promise<ReceivedMail[]>;
  audit(event: string, userId?: string): Promise<{ event: string; details: Record<string, unknown>; user_id: string | null }[]>;
  close(): Promise<void>;
}

export async function startPasskeyFixture(): Promise<PasskeyFixture> {
  const t = await startApp();
  const [page, otherPage] = await Promise.all([startPasskeyPage(), startPasskeyPage()]);
  const browser = await openBrowser();
  let offset = 0;
  const passkeys = new Passkeys({
    db: t.ctx.db,
    accounts: t.ctx.accounts,
    lockout: t.ctx.lockout,
    audit: t.ctx.audit,
    mailer: t.ctx.mailer,
    metrics: t.ctx.metrics,
    outbox: t.ctx.events.outbox,
    hasOtherWayIn: (user) => t.ctx.passwords.isUsable(user.password),
    clock: () => nowMicros() + offset,
  });
  const resolved = resolveRelyingParty({ webauthnRpId: null, webauthnOrigins: [], webauthnRpName: 'Gatehouse', publicUrl: null }, page.origin);
  if (!resolved.ok) throw new Error('no relying party');
  const rp = resolved.rp;
  const clients: PasskeyClient[] = [];

  const f: PasskeyFixture = {
    t,
    browser,
    page,
    otherPage,
    passkeys,
    rp,
    advance(micros) {
      offset += micros;
    },
    async newUser(name, options = {}) {
      const r = await t.ctx.accounts.create({
        email: `${name}@example.com`,
        username: name,
        password: options.password === undefined ? 'Secret,123' : options.password,
        fullName: options.fullName ?? '',
      });
      if (!r.ok) throw new Error(`user ${name} exists`);
      return r.user;
    },
    async client(origin = page.origin) {
      const c = await openPasskeyClient(browser, origin);
      clients.push(c);
      return c;
    },
    async register(client, user, name) {
      const o = await passkeys.registration.options(user, rp);
      if (!o.ok) throw new Error(`options refused: ${o.reason}`);
      const credential = await client.create(o.options);
      const r = await passkeys.registration.register({ user, credential, name, rp, meta });
      if (!r.ok) throw new Error(`registration refused: ${r.reason}`);
      return r.passkey;
    },
    async assert(client, useRp = rp, tweak) {
      const o = await passkeys.authentication.options(useRp);
      const options = structuredClone(o.options) as any;
      tweak?.(options);
      return { challengeId: o.challenge_id, credential: await client.get(options) };
    },
    async mails() {
      await t.ctx.mailer.flush();
      return readOutbox(path.join(t.dataDir, 'outbox')).catch(() => []);
    },
    async audit(event, userId) {
      let q = t.ctx.db.selectFrom('audit_log').select(['event', 'details', 'user_id']).where('event', '=', event);
      if (userId) q = q.where('user_id', '=', userId);
      const rows = await q.orderBy('id').execute();
      return rows.map((r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }));
    },
    async close() {
      for (const c of clients) await c.close();
      await browser?.close();
      await page?.close();
      await otherPage?.close();
      await t?.close();
    },
  };
  return f;
}

/** Base64url JSON of client data with `change` applied: what a tampering client would send. */
export function rewriteClientData(encoded: string, change: (cd: Record<string, unknown>) => void): string {
  const cd = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
  change(cd);
  return Buffer.from(JSON.stringify(cd), 'utf8').toString('base64url');
}

export function clientDataOf(credential: any): Record<string, unknown> {
  return JSON.parse(Buffer.from(credential.response.clientDataJSON, 'base64url').toString('utf8'));
}
