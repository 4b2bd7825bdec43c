// The attack campaign: requests drawn by fast-check (requests.ts) sent one at a time to a real
// `serve` process, each judged against the properties every route of every surface must keep:
//   - no answer is a 5xx, none hangs, the process never exits;
//   - a refused request (4xx, or a redirect that is not an action's 302/303) leaves every table
//     as it was, apart from what the specification says a refusal records (db-watch.ts);
//   - a request that carries the revoked v1 access JWT on a v1 or admin API path is never served.
// Requests go one at a time so that a change in the database belongs to exactly one request.
// After a request that was served, the credentials it may have ended are probed and remade.
import { png } from '../helpers/images.js';
import { DbWatch, type Snapshot, type TableChange } from './db-watch.js';
import { Identities } from './identities.js';
import { type AttackRequest, materialize } from './requests.js';
import { type RouteInfo, liveRoutes } from './routes.js';
import type { Target } from './target.js';
import { Wire, type WireRequest, type WireResponse } from './wire.js';

export type FindingKind = '5xx' | 'db-changed-by-refusal' | 'revoked-token-served' | 'no-answer' | 'process-exit';

export interface Finding {
  kind: FindingKind;
  request: string;
  status: number | null;
  detail: string;
}

export interface Outcome {
  status: number | null;
  finding?: Finding;
}

export interface Summary {
  requests: number;
  /** By status; 0 counts connections the HTTP parser closed (a 400 the client could not read). */
  byStatus: Record<string, number>;
  refused: number;
  /** Refused requests whose effect on the database was checked (all of them). */
  refusedChecked: number;
  served: number;
  errors5xx: number;
  dbChangesByRefusals: number;
  revokedServed: number;
  noAnswer: number;
  reseeded: number;
  findings: Finding[];
}

/** A served request: 2xx, or a 302/303 that ends an admin UI action. Everything else is a refusal. */
export function served(status: number): boolean {
  return (status >= 200 && status < 300) || status === 302 || status === 303;
}

const SETTLE_MS = 5;
const PROBE_EVERY = 20;
const PROBE_AT_LEAST_EVERY = 500;

export class Campaign {
  private baseline!: Snapshot;
  private readonly statuses = new Map<number, number>();
  private readonly found: Finding[] = [];
  private counts = { requests: 0, refused: 0, refusedChecked: 0, served: 0, dbChanges: 0, revokedServed: 0, noAnswer: 0, errors5xx: 0 };
  private sinceProbe = 0;
  private probeDue = false;

  private constructor(
    readonly target: Target,
    readonly wire: Wire,
    readonly routes: RouteInfo[],
    readonly ids: Identities,
    private readonly watch: DbWatch,
    private readonly pngBytes: Buffer,
  ) {}

  static async start(target: Target): Promise<Campaign> {
    const wire = new Wire(target.url);
    const routes = await liveRoutes(wire);
    const ids = new Identities(wire, (e, u, p) => target.createSuperuser(e, u, p));
    await ids.seedAll();
    const watch = await DbWatch.open(target.databaseUrl);
    const c = new Campaign(target, wire, routes, ids, watch, await png(3, 2));
    c.baseline = await c.settle();
    return c;
  }

  /** Sends one request and judges it. */
  async send(req: AttackRequest): Promise<Outcome> {
    // Credentials a served request may have ended are probed now and then, not after each one:
    // meanwhile requests that carry a dead one are refusals, judged like any other.
    if (++this.sinceProbe >= PROBE_EVERY && (this.probeDue || this.sinceProbe >= PROBE_AT_LEAST_EVERY)) await this.probe();
    const m = materialize(req, this.routes, this.ids, { host: this.wire.host, origin: `http://${this.wire.host}` }, this.pngBytes);
    this.counts.requests++;
    let res: WireResponse;
    try {
      res = await this.wire.send(m.wire);
    } catch (err) {
      // Node's HTTP parser answers 400 to what is not HTTP (an unknown method, a bad header) and
      // closes the connection at once, often before the request has been written: a refusal,
      // as long as the process is alive and answering.
      if (isReset(err) && !this.target.exitReport && (await this.alive())) {
        res = { status: 0, headers: {}, body: Buffer.alloc(0), text: '', json: undefined };
      } else {
        this.counts.noAnswer++;
        return this.report({ kind: this.target.exitReport ? 'process-exit' : 'no-answer', request: this.describe(m.wire), status: null, detail: `${(err as Error).message} ${this.target.exitReport ?? ''}` });
      }
    }
    this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) {
      this.counts.errors5xx++;
      const finding = this.report({ kind: '5xx', request: this.describe(m.wire), status: res.status, detail: res.text.slice(0, 300) });
      await this.afterServed();
      return finding;
    }
    if (m.carriesRevoked && m.pathUnderDenylist && res.status >= 200 && res.status < 300) {
      this.counts.revokedServed++;
      const finding = this.report({ kind: 'revoked-token-served', request: this.describe(m.wire), status: res.status, detail: res.text.slice(0, 300) });
      await this.afterServed();
      return finding;
    }
    if (served(res.status)) {
      this.counts.served++;
      this.keepSecrets(res);
      await this.afterServed(mayEndCredentials(m.wire));
      return { status: res.status };
    }
    this.counts.refused++;
    const after = await this.watch.snapshot();
    this.counts.refusedChecked++;
    if (after !== this.baseline) {
      const changes = await this.watch.diff(this.baseline, after);
      this.baseline = after;
      if (changes.length) {
        this.counts.dbChanges++;
        return this.report({ kind: 'db-changed-by-refusal', request: this.describe(m.wire), status: res.status, detail: `${res.text.slice(0, 200)} :: ${describeChanges(changes)}` });
      }
    }
    return { status: res.status };
  }

  private async alive(): Promise<boolean> {
    try {
      return (await this.wire.send({ method: 'GET', path: '/healthz' }, 5000)).status === 200;
    } catch {
      return false;
    }
  }

  /** After a served request: its effects settle and become the new baseline. */
  private async afterServed(mayEnd = true): Promise<void> {
    this.baseline = await this.settle();
    if (mayEnd) this.probeDue = true;
  }

  /** Every credential probed, dead ones made again, and a new baseline. */
  private async probe(): Promise<void> {
    this.sinceProbe = 0;
    this.probeDue = false;
    if ((await this.ids.refresh()).length) this.baseline = await this.settle();
    else this.baseline = await this.watch.snapshot();
  }

  /** Waits until the database stops changing (work a view runs after its answer). */
  private async settle(): Promise<Snapshot> {
    let last = await this.watch.snapshot();
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const now = await this.watch.snapshot();
      if (now === last || sameSnapshot(now, last)) return now;
      last = now;
    }
    return last;
  }

  /** Tokens and cookies handed out by served requests join the secrets the log must not hold. */
  private keepSecrets(res: WireResponse): void {
    for (const c of res.headers['set-cookie'] ?? []) {
      const value = c.split(';')[0].split('=').slice(1).join('=');
      if (value.length >= 16) this.ids.secrets.add(value);
    }
    const walk = (v: unknown, key: string) => {
      if (typeof v === 'string' && /token|access|refresh|key|secret|code/i.test(key) && v.length >= 16) this.ids.secrets.add(v);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(res.json, '');
  }

  private report(f: Finding): Outcome {
    if (this.found.length < 200) this.found.push(f);
    return { status: f.status, finding: f };
  }

  /** The request for a report, with every live secret masked. */
  private describe(w: WireRequest): string {
    const body = w.body === undefined ? '' : Buffer.isBuffer(w.body) ? w.body.subarray(0, 300).toString('utf8') : w.body.slice(0, 300);
    const size = w.body === undefined ? 0 : w.body.length;
    return this.redact(`${w.method} ${w.path.slice(0, 300)} ${JSON.stringify(w.headers)} body(${size}): ${body}`);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.ids.secrets) if (s.length >= 8 && out.includes(s)) out = out.split(s).join('<secret>');
    return out;
  }

  summary(): Summary {
    return {
      requests: this.counts.requests,
      byStatus: Object.fromEntries([...this.statuses.entries()].sort(([a], [b]) => a - b).map(([k, v]) => [String(k), v])),
      refused: this.counts.refused,
      refusedChecked: this.counts.refusedChecked,
      served: this.counts.served,
      errors5xx: this.counts.errors5xx,
      dbChangesByRefusals: this.counts.dbChanges,
      revokedServed: this.counts.revokedServed,
      noAnswer: this.counts.noAnswer,
      reseeded: this.ids.reseeded,
      findings: this.found,
    };
  }

  async close(): Promise<void> {
    this.wire.close();
    await this.watch.close();
  }
}

function isReset(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up';
}

/** A served GET, HEAD or OPTIONS ends no credential, except user-account's GET logout. */
function mayEndCredentials(w: WireRequest): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(w.method) || /logout/i.test(w.path);
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  if (a.size !== b.size) return false;
  for (const [t, s] of a) {
    const o = b.get(t);
    if (!o || o.rows.length !== s.rows.length || o.rows.some((d, i) => d !== s.rows[i])) return false;
  }
  return true;
}

/** Hashes, sealed secrets and digests stay out of the report. */
const HIDDEN_COLUMN = /password|secret|sealed|digest|handle|public_key/;

function describeChanges(changes: TableChange[]): string {
  const shown = (row: unknown) => JSON.stringify(row, (k, v) => (HIDDEN_COLUMN.test(k) && v !== null ? '<hidden>' : v));
  return changes.map((c) => `${c.table}: +${c.added} -${c.removed} [${c.examples.map(shown).join(', ').slice(0, 400)}]`).join('; ');
}

/** The campaign's table, as the script and the test print it. */
export function summaryTable(s: Summary, database: string, seconds: number): string {
  const header = ['database', 'requests', 'served', 'refused', 'refusals checked', '5xx', 'db changed by a refusal', 'revoked token served', 'no answer', 'identities remade', 'seconds'];
  const row = [database, s.requests, s.served, s.refused, s.refusedChecked, s.errors5xx, s.dbChangesByRefusals, s.revokedServed, s.noAnswer, s.reseeded, seconds].map(String);
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), line(row), '', `answers by status: ${JSON.stringify(s.byStatus)}`].join('\n');
}
