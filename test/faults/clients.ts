// The campaign's clients: each registers, logs in with login-jwt/ (its own cookie jar) and then
// refreshes through token/refresh/ and uses its access token, over and over, against whichever
// instance is up, as behind a load balancer. Every acknowledged write is noted so it can be
// checked against the database afterwards, and so is every answer that should never happen.
import { randomBytes } from 'node:crypto';
import type { Instance } from './instances.js';
import { sleep } from './instances.js';

const V1 = '/v1/user/';
const PASSWORD = 'Fault,Test1';
/** Far beyond the 2 s deadline: an answer slower than this is a hang. */
export const HANG_MS = 10_000;

export interface Tally {
  ackedUsers: string[];
  ackedLogins: string[]; // refresh jtis of answered login-jwt/
  ackedRefreshes: string[]; // refresh jtis of answered token/refresh/
  statuses: Map<number, number>;
  /** The slowest 503, in ms: how long an outage takes to be told. */
  slowest503Ms: number;
  networkErrors: number;
  hangs: number;
  innocentEnded: string[];
  oddAnswers: string[];
}

export function newTally(): Tally {
  return { ackedUsers: [], ackedLogins: [], ackedRefreshes: [], statuses: new Map(), slowest503Ms: 0, networkErrors: 0, hangs: 0, innocentEnded: [], oddAnswers: [] };
}

type Answer = { ok: true; status: number; body: any; setCookie: string[] } | { ok: false };

function jtiOf(jwt: string): string {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).jti;
}

export class FaultClient {
  private readonly email: string;
  private cookie: string | null = null;
  private access: string | null = null;
  /** True while the client holds a login that an answer acknowledged. */
  private holdsLogin = false;

  constructor(
    private readonly id: number,
    private readonly pick: () => Instance | null,
    private readonly tally: Tally,
  ) {
    this.email = `fault-${id}-${randomBytes(4).toString('hex')}@example.com`;
  }

  async run(stopped: () => boolean): Promise<void> {
    await this.register(stopped);
    while (!stopped()) {
      if (!this.holdsLogin) {
        await this.login(stopped);
        continue;
      }
      if (Math.random() < 0.7) await this.refresh();
      else await this.useAccess();
      await sleep(30 + Math.random() * 90);
    }
  }

  /** After the faults: a client still holding a login must be able to refresh it. */
  async finalCheck(): Promise<void> {
    if (!this.holdsLogin) return;
    for (let i = 0; i < 100 && this.holdsLogin; i++) {
      if (await this.refresh()) return;
      await sleep(200);
    }
    if (this.holdsLogin) this.tally.innocentEnded.push(`client ${this.id}: no refresh answered after the campaign`);
  }

  private async register(stopped: () => boolean): Promise<void> {
    const username = this.email.split('@')[0];
    while (!stopped()) {
      const r = await this.call('POST', 'register/', { json: { email: this.email, username, password: PASSWORD, confirm_password: PASSWORD } });
      if (r.ok && r.status === 201) {
        this.tally.ackedUsers.push(this.email);
        return;
      }
      // An earlier attempt went through but its answer was lost.
      if (r.ok && r.status === 400 && JSON.stringify(r.body).includes('already exists')) return;
      if (r.ok && r.status !== 503 && r.status < 500) this.tally.oddAnswers.push(`register ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(150 + Math.random() * 300);
    }
  }

  private async login(stopped: () => boolean): Promise<void> {
    while (!stopped()) {
      // A fresh cookie jar: each login is its own, as a new browser's would be.
      const r = await this.call('POST', 'login-jwt/', { json: { email: this.email, password: PASSWORD } });
      if (r.ok && r.status === 200) {
        this.cookie = sessionFrom(r.setCookie) ?? null;
        this.access = r.body.access;
        this.holdsLogin = this.cookie !== null;
        this.tally.ackedLogins.push(jtiOf(r.body.refresh));
        return;
      }
      if (r.ok && r.status !== 503 && r.status < 500) this.tally.oddAnswers.push(`login-jwt ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(150 + Math.random() * 300);
    }
  }

  /** True when answered 200. */
  private async refresh(): Promise<boolean> {
    const r = await this.call('POST', 'token/refresh/', { cookie: this.cookie });
    if (!r.ok) return false;
    if (r.status === 200) {
      this.tally.ackedRefreshes.push(jtiOf(r.body.refresh));
      this.access = r.body.access;
      const renewed = sessionFrom(r.setCookie);
      if (renewed !== undefined) this.cookie = renewed;
      return true;
    }
    if (r.status === 401) {
      // The client did nothing wrong: its login must never end.
      this.tally.innocentEnded.push(`client ${this.id}: token/refresh/ answered 401 ${JSON.stringify(r.body)}`);
      this.holdsLogin = false;
    }
    return false;
  }

  private async useAccess(): Promise<void> {
    const r = await this.call('GET', 'mock-login/', { headers: { authorization: `Bearer ${this.access}` } });
    if (r.ok && r.status === 401) {
      this.tally.innocentEnded.push(`client ${this.id}: its access token answered 401 ${JSON.stringify(r.body)}`);
      this.holdsLogin = false;
    }
  }

  private async call(method: string, route: string, opts: { json?: unknown; cookie?: string | null; headers?: Record<string, string> }): Promise<Answer> {
    const instance = this.pick();
    if (!instance) {
      await sleep(100);
      return { ok: false };
    }
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.json !== undefined) headers['content-type'] = 'application/json';
    if (opts.cookie) headers.cookie = `sessionid=${opts.cookie}`;
    const started = Date.now();
    try {
      const res = await fetch(instance.url + V1 + route, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json), signal: AbortSignal.timeout(HANG_MS) });
      const text = await res.text();
      const elapsed = Date.now() - started;
      this.tally.statuses.set(res.status, (this.tally.statuses.get(res.status) ?? 0) + 1);
      if (res.status === 503) this.tally.slowest503Ms = Math.max(this.tally.slowest503Ms, elapsed);
      let body: any = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      return { ok: true, status: res.status, body, setCookie: res.headers.getSetCookie() };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') this.tally.hangs++;
      else this.tally.networkErrors++; // the instance was killed, or is starting
      return { ok: false };
    }
  }
}

/** The new `sessionid` value; null when cleared; undefined when the answer did not touch it. */
function sessionFrom(setCookie: string[]): string | null | undefined {
  const line = setCookie.find((c) => c.startsWith('sessionid='));
  if (line === undefined) return undefined;
  const value = line.slice('sessionid='.length).split(';')[0];
  return value === '' || /max-age=0/i.test(line) ? null : value;
}
