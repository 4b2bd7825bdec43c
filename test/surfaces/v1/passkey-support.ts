// What the passkey black-box tests stand on: a v1 app whose relying party is configured as an
// operator would (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS), Chromium with CDP virtual authenticators on
// the test page, and the HTTP steps of each ceremony. Origins: the page the RP allows, the same
// page on `app.localhost` (allowed too, for the RP ID tests), and one it does not allow.
import path from 'node:path';
import { expect } from 'vitest';
import { type TestApp, startApp } from '../../helpers/app.js';
import { openBrowser, type TestBrowser } from '../../helpers/browser.js';
import { type HttpResponse, request } from '../../helpers/http.js';
import { readOutbox, type ReceivedMail } from '../../helpers/smtp.js';
import { type PasskeyClient, type PasskeyPageServer, openPasskeyClient, startPasskeyPage } from '../../helpers/webauthn.js';
import { V1, type TestUser, knoxLogin, registerUser, tokenHeader } from './helpers.js';

export interface PasskeyHttpFixture {
  t: TestApp;
  browser: TestBrowser;
  page: PasskeyPageServer;
  /** The page at `http://app.localhost:<port>`: allowed by WEBAUTHN_ORIGINS, but not the RP ID. */
  altOrigin: string;
  /** A page whose origin the RP does not allow. */
  otherPage: PasskeyPageServer;
  client(origin?: string): Promise<PasskeyClient>;
  /** A v1 user with a password and a knox token. */
  user(prefix?: string): Promise<{ user: TestUser; token: string }>;
  /** POST passkeys/register/options/ → the options (asserts 200). */
  creationOptions(token: string, base?: string): Promise<any>;
  /** Options, ceremony, POST passkeys/register/: the answer and what was sent. */
  register(client: PasskeyClient, token: string, body?: Record<string, unknown>, opts?: { base?: string; tweak?: (options: any) => void; mutate?: (credential: any) => void }): Promise<{ res: HttpResponse; credential: any; options: any }>;
  /** POST login-passkey/options/, then the ceremony: what a login would send. */
  assertion(client: PasskeyClient, opts?: { base?: string; tweak?: (options: any) => void }): Promise<{ challenge_id: string; credential: any }>;
  login(body: unknown, headers?: Record<string, string>, base?: string): Promise<HttpResponse>;
  audit(event: string, userId?: string): Promise<Array<{ details: Record<string, unknown>; user_id: string | null }>>;
  events(type: string, userId: string): Promise<Array<Record<string, any>>>;
  mails(to: string): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

export async function startPasskeyHttp(env: Record<string, string> = {}): Promise<PasskeyHttpFixture> {
  const [page, otherPage] = await Promise.all([startPasskeyPage(), startPasskeyPage()]);
  const altOrigin = page.origin.replace('//localhost', '//app.localhost');
  const t = await startApp({ SURFACES: 'v1', WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: `${page.origin},${altOrigin}`, ...env });
  const browser = await openBrowser();
  const clients: PasskeyClient[] = [];

  const f: PasskeyHttpFixture = {
    t,
    browser,
    page,
    altOrigin,
    otherPage,
    async client(origin = page.origin) {
      const c = await openPasskeyClient(browser, origin);
      clients.push(c);
      return c;
    },
    async user(prefix = 'pk') {
      const user = await registerUser(t.url, prefix);
      return { user, token: await knoxLogin(t.url, user) };
    },
    async creationOptions(token, base = t.url) {
      const r = await request(base, 'POST', V1 + 'passkeys/register/options/', { headers: tokenHeader(token) });
      expect(r.status, r.text).toBe(200);
      return r.json;
    },
    async register(client, token, body = {}, opts = {}) {
      const options = await f.creationOptions(token, opts.base);
      opts.tweak?.(options);
      const credential = await client.create(options);
      opts.mutate?.(credential);
      const res = await request(opts.base ?? t.url, 'POST', V1 + 'passkeys/register/', { headers: tokenHeader(token), json: { credential, ...body } });
      return { res, credential, options };
    },
    async assertion(client, opts = {}) {
      const r = await request(opts.base ?? t.url, 'POST', V1 + 'login-passkey/options/');
      expect(r.status, r.text).toBe(200);
      const options = structuredClone(r.json.options);
      opts.tweak?.(options);
      return { challenge_id: r.json.challenge_id, credential: await client.get(options) };
    },
    login(body, headers = {}, base = t.url) {
      return request(base, 'POST', V1 + 'login-passkey/', { json: body, headers });
    },
    async audit(event, userId) {
      let q = t.ctx.db.selectFrom('audit_log').select(['details', 'user_id']).where('event', '=', event);
      if (userId) q = q.where('user_id', '=', userId);
      const rows = await q.orderBy('id').execute();
      return rows.map((r) => ({ user_id: r.user_id, details: JSON.parse(r.details) as Record<string, unknown> }));
    },
    async events(type, userId) {
      const rows = await t.ctx.db.selectFrom('events').select(['type', 'body']).where('type', '=', type).orderBy('id').execute();
      return rows.map((r) => JSON.parse(r.body) as Record<string, any>).filter((e) => e.data?.user?.id === userId);
    },
    async mails(to) {
      await t.ctx.mailer.flush();
      const all = await readOutbox(path.join(t.dataDir, 'outbox')).catch(() => [] as ReceivedMail[]);
      return all.filter((m) => m.to.includes(to));
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

export const PASSKEY_KEYS = ['id', 'name', 'created', 'last_used', 'transports', 'backed_up', 'device_type'];
export const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
