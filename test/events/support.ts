// Shared pieces of the black-box events tests: an app with webhooks allowed to reach the test's
// own receiver on 127.0.0.1 (and a quicker retry schedule where a test waits for retries), a
// superuser's credential for the admin API, endpoints made through that API, and a receiver that
// checks every delivery with the Standard Webhooks reference library.
import { afterAll, beforeAll, expect } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { type TestApp, type TestSeams, startApp } from '../helpers/app.js';
import { type HttpResponse, request } from '../helpers/http.js';
import { knoxHeader, makeUser } from '../surfaces/admin/support.js';
import { Receiver, type Received, waitFor } from '../core/events/support.js';

export { Receiver, waitFor };
export type { Received, TestApp };

/** The receiver listens on loopback: these settings let endpoints point at it. */
export const OPEN_WEBHOOKS = { WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' };

/** Retries after 0.3 s, 0.6 s, … instead of 5 s, 5 min, … (8 attempts in all, as in production). */
export const QUICK_RETRIES = [300, 600, 1200, 2400, 4800, 9600, 19200];

export function startEventsApp(env: Record<string, string> = {}, seams: NonNullable<TestSeams['events']> = {}): Promise<TestApp> {
  return startApp({ ...OPEN_WEBHOOKS, ...env }, {}, { events: { ...seams, worker: { pollMs: 100, ...(seams.worker ?? {}) } } });
}

/** The password of every user the events tests register. */
export const PASSWORD = 'Admin,123';

let registered = 0;

/** A v1 registration with a fresh email and username, both starting with `prefix`. */
export async function register(app: TestApp, prefix = 'g'): Promise<{ id: string; email: string; status: number }> {
  const tag = `${prefix}${++registered}${Math.random().toString(36).slice(2, 8)}`;
  const email = `${tag}@example.com`;
  const r = await request(app.url, 'POST', '/v1/user/register/', { json: { email, username: tag, password: PASSWORD, confirm_password: PASSWORD } });
  return { id: r.json?.id, email, status: r.status };
}

/**
 * For one describe block: an events app, a receiver that checks signatures and the superuser's
 * credential, started before its tests and closed after them. Read the fields inside the tests.
 */
export function appWithReceiver(seams: NonNullable<TestSeams['events']> = {}): { t: TestApp; rx: SignedReceiver; root: string } {
  const fx = {} as { t: TestApp; rx: SignedReceiver; root: string };
  beforeAll(async () => {
    [fx.t, fx.rx] = await Promise.all([startEventsApp({}, seams), new SignedReceiver().start()]);
    fx.root = await superuser(fx.t);
  });
  afterAll(async () => {
    await fx.t?.close();
    await fx.rx?.close();
  });
  return fx;
}

/** A superuser (a fixture row) and a knox `Authorization` value for the admin API. */
export async function superuser(t: TestApp): Promise<string> {
  return knoxHeader(t.ctx, await makeUser(t.ctx, { superuser: true }));
}

export function api(t: TestApp, method: string, path: string, auth: string | null, json?: unknown): Promise<HttpResponse> {
  return request(t.url, method, path, { json, headers: auth ? { authorization: auth } : {} });
}

export interface Endpoint {
  id: string;
  url: string;
  events: string[];
  secret: string;
}

/** POST /admin/api/webhooks/ → 201. */
export async function addEndpoint(t: TestApp, auth: string, body: Record<string, unknown>): Promise<Endpoint> {
  const r = await api(t, 'POST', '/admin/api/webhooks/', auth, body);
  expect(r.status, r.text).toBe(201);
  return r.json;
}

/** One delivery as a receiver sees it once its signature checked out. */
export interface Delivered {
  path: string;
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, any>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** What the receiver answered (null: it never did). */
  status: number | null;
}

/**
 * A receiver that verifies every request with `standardwebhooks` against the secrets of the
 * endpoints pointing at it (by path): a request that does not verify is kept in `rejected`.
 */
export class SignedReceiver extends Receiver {
  readonly delivered: Delivered[] = [];
  readonly rejected: Received[] = [];
  private readonly secrets = new Map<string, string[]>();

  constructor() {
    super();
    const answer = this.reply;
    this.reply = (r) => {
      const d = this.check(r);
      const reply = this.answer(r) ?? answer(r);
      if (d) d.status = reply === 'hang' ? null : reply.status;
      return reply;
    };
  }

  /** What to answer, decided per request; undefined: 204. */
  answer: (r: Received) => ReturnType<Receiver['reply']> | undefined = () => undefined;

  /** The path's endpoint signs with these secrets. */
  trust(path: string, ...secrets: string[]): void {
    this.secrets.set(path, secrets);
  }

  private check(r: Received): Delivered | null {
    const path = r.path.split('?')[0];
    const secrets = this.secrets.get(path) ?? [];
    for (const secret of secrets) {
      try {
        const payload = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { type: string; timestamp: string; data: Record<string, any> };
        const d: Delivered = { path, id: String(r.headers['webhook-id']), type: payload.type, timestamp: payload.timestamp, data: payload.data, headers: r.headers, body: r.body, status: null };
        this.delivered.push(d);
        return d;
      } catch {
        // try the next secret
      }
    }
    this.rejected.push(r);
    return null;
  }

  /** Distinct event ids the receiver accepted (answered 2xx) at `path`. */
  acceptedIds(path: string): Set<string> {
    return new Set(this.delivered.filter((d) => d.path === path && d.status !== null && d.status < 300).map((d) => d.id));
  }

  /** Delivered events of `type` (at `path`), optionally about one user. */
  of(type: string, opts: { path?: string; userId?: string } = {}): Delivered[] {
    return this.delivered.filter((d) => d.type === type && (opts.path === undefined || d.path === opts.path) && (opts.userId === undefined || d.data.user?.id === opts.userId));
  }

  /** Waits for the first delivered event of `type` about `userId`. */
  async one(type: string, userId: string, path?: string): Promise<Delivered> {
    return waitFor(() => this.of(type, { userId, path })[0], 10_000, `${type} for ${userId}`);
  }
}

export const EVENT_ID = /^evt_[0-9A-HJKMNP-TV-Z]{26}$/;
export const ISO_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
export const SNAPSHOT_KEYS = ['id', 'number', 'email', 'username', 'full_name', 'email_verified', 'is_active', 'is_staff'];

/** The envelope and headers of events.md §1 and §3, on one delivery. */
export function expectEnvelope(d: Delivered, type: string, dataKeys: string[]): void {
  expect(JSON.parse(d.body)).toEqual({ type, timestamp: d.timestamp, data: d.data });
  expect(Object.keys(JSON.parse(d.body))).toEqual(['type', 'timestamp', 'data']);
  expect(d.body).toBe(JSON.stringify(JSON.parse(d.body)));
  expect(d.timestamp).toMatch(ISO_MICROS);
  expect(d.id).toMatch(EVENT_ID);
  expect(d.headers['content-type']).toBe('application/json');
  expect(d.headers['user-agent']).toMatch(/^Gatehouse-Webhooks\/\d+\.\d+\.\d+/);
  expect(d.headers['webhook-timestamp']).toMatch(/^\d{10}$/);
  expect(d.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  expect(Object.keys(d.data)).toEqual(['user', ...dataKeys]);
  expect(Object.keys(d.data.user)).toEqual(SNAPSHOT_KEYS);
}
