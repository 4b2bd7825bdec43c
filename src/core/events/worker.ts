// The delivery worker (events.md §3): in the background, never on a request's path, it claims
// due deliveries, posts them signed, and records the outcome: success, a retry at the next
// step of the schedule, or the end (`failed`). It polls every half second and is woken at once
// when this process records an event or an attempt ends. One delivery per endpoint is in
// flight at a time, every endpoint on its own, so a slow receiver only delays itself.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isServiceUnavailable } from '../../errors.js';
import type { Database } from '../../store/schema.js';
import type { Dialect } from '../../store/db.js';
import type { Audit } from '../audit.js';
import type { SecretKeys } from '../secrets.js';
import type { AddressGuard } from './address-guard.js';
import { anyDue, claimDeliveries } from './claims.js';
import { IDLE_MS, type PostResult, ReceiverConnections, postWebhook } from './http-post.js';
import type { DeliveryResult } from './metrics.js';
import { type Clock, type EventLog, silentLog, systemClock } from './model.js';
import { dueIfSendable } from './rows.js';
import { EndpointHealth } from './endpoint-health.js';
import { RETRY_DELAYS_MS, nextRetryDelay } from './schedule.js';
import { SECRET_SEAL_INFO, signatureHeader } from './signing.js';
import { BackgroundLoop } from './background-loop.js';

export interface WorkerDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  secrets: SecretKeys;
  audit: Audit;
  guard: AddressGuard;
  /** For `user-agent: Gatehouse-Webhooks/<version>`. */
  version: string;
  /** Told each settled attempt's result (the deliveries metric). */
  onResult?: (result: DeliveryResult) => void;
  log?: EventLog;
  clock?: Clock;
}

export interface WorkerOptions {
  /** Longest sleep between looks for due work (ms). */
  pollMs?: number;
  /** How long a claim holds (ms); a dead process's claims are due again after it. */
  leaseMs?: number;
  /** Deadline of one request: connect, status and reading (ms). */
  timeoutMs?: number;
  /** Deliveries in flight at once in this process (each to a different endpoint). */
  maxInFlight?: number;
  /** Waits after the 1st, 2nd, … failed attempt (ms); attempts in all = length + 1. */
  retryDelaysMs?: readonly number[];
  /** On stop, how long in-flight attempts may finish before they are cut and released (ms). */
  stopGraceMs?: number;
  random?: () => number;
}

interface Job {
  id: string;
  endpoint_id: string;
  event_id: string;
  attempts: number;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
}

/** Endpoint secrets kept unsealed at most (each a few dozen bytes). */
const UNSEALED_MAX = 1_000;

type Outcome = { status: 'succeeded' | 'pending' | 'failed'; next: number | null; code: number | null; error: string | null; response: string | null; gone: boolean };

/** An outcome waiting for its settle transaction, and its caller's promise. */
interface Settling {
  job: Job;
  outcome: Outcome;
  at: number;
  done: (settled: boolean) => void;
  fail: (err: unknown) => void;
}

/** What runs the deliveries: this worker in the process, or one in a thread of its own (delivery-thread-host.ts). */
export interface DeliveryRunner {
  start(): void;
  /** Look for due work now (an event was recorded). */
  wake(): void;
  /** Stops claiming; in-flight attempts finish or are handed back. */
  stop(): Promise<void>;
}

export class DeliveryWorker extends BackgroundLoop implements DeliveryRunner {
  /** This worker's name on the claims it holds. */
  readonly owner = randomUUID();
  private readonly o: Required<WorkerOptions>;
  private readonly clock: Clock;
  private readonly log: EventLog;
  private readonly inFlight = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private readonly health: EndpointHealth;
  /** Outcomes waiting for the next settle transaction, and whether one is under way. */
  private readonly settling: Settling[] = [];
  private flushing = false;
  /** Kept-alive connections to the receivers, closed when the worker stops. */
  private readonly connections: ReceiverConnections;
  /**
   * Endpoint secrets as unsealed, by their sealed form: unsealing (AES-GCM) was a few percent of
   * a delivery's CPU, once per delivery of the same endpoint. A rotated secret is another sealed
   * form, so it is never served stale; bounded, emptied when full.
   */
  private readonly unsealed = new Map<string, string | null>();

  constructor(private readonly d: WorkerDeps, options: WorkerOptions = {}) {
    super();
    this.o = {
      pollMs: options.pollMs ?? 500,
      leaseMs: options.leaseMs ?? 20_000,
      timeoutMs: options.timeoutMs ?? 10_000,
      maxInFlight: options.maxInFlight ?? 64,
      retryDelaysMs: options.retryDelaysMs ?? RETRY_DELAYS_MS,
      stopGraceMs: options.stopGraceMs ?? 5_000,
      random: options.random ?? Math.random,
    };
    // An attempt must end well inside its lease, or a second worker could take it over.
    if (this.o.leaseMs < this.o.timeoutMs + 5_000) throw new Error('webhook worker: the lease must outlast the request deadline by 5 s');
    this.clock = d.clock ?? systemClock;
    this.log = d.log ?? silentLog;
    this.health = new EndpointHealth(d.db, d.audit, this.log);
    this.connections = new ReceiverConnections(IDLE_MS, this.o.maxInFlight);
  }

  /**
   * Stops claiming, lets in-flight attempts finish for up to `stopGraceMs`, then cuts the rest
   * and gives their claims back (uncounted), so another worker can take them at once.
   */
  async stop(): Promise<void> {
    if (!(await this.endLoop())) return;
    const pending = [...this.inFlight.values()];
    if (pending.length) {
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.o.stopGraceMs)));
      await Promise.race([Promise.all(pending.map((p) => p.done)), grace]);
      clearTimeout(timer);
      for (const p of this.inFlight.values()) p.abort.abort();
      await Promise.all([...this.inFlight.values()].map((p) => p.done));
    }
    this.connections.close();
  }

  /** Deliveries being attempted by this process right now. */
  get busy(): number {
    return this.inFlight.size;
  }

  protected async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      let claimed: number;
      try {
        claimed = await this.claimAndLaunch();
        if (failures > 0) this.log.info({ after: failures }, 'webhook worker: the database answers again');
        failures = 0;
      } catch (err) {
        // The database is away: say so once, then look again less and less often (up to 5 s).
        if (failures === 0) this.log.error({ err }, 'webhook worker: claiming deliveries failed');
        failures += 1;
        await this.sleeper.sleep(Math.min(this.o.pollMs * 2 ** failures, 5_000), false);
        continue;
      }
      // Something was claimed. On PostgreSQL another instance may have held some endpoints (SKIP
      // LOCKED): look again at once. SQLite's claim took every idle endpoint with due work in one
      // statement, so a second look finds nothing new (an attempt that ends wakes the loop).
      if (claimed > 0 && this.d.dialect === 'postgres' && this.inFlight.size < this.o.maxInFlight) continue;
      await this.sleeper.sleep(this.o.pollMs);
    }
  }

  private async claimAndLaunch(): Promise<number> {
    const free = this.o.maxInFlight - this.inFlight.size;
    if (free <= 0) return 0;
    const now = this.clock.now();
    if (!(await anyDue(this.d.db, now))) return 0;
    const ids = await claimDeliveries(this.d.db, this.d.dialect, { owner: this.owner, now, leaseUntil: now + this.o.leaseMs * 1000, limit: free });
    if (ids.length === 0) return 0;
    const jobs = await this.load(ids);
    for (const job of jobs) this.launch(job);
    return ids.length;
  }

  private load(ids: string[]): Promise<Job[]> {
    return this.d.db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('events as ev', 'ev.id', 'd.event_id')
      .innerJoin('webhook_endpoints as ep', 'ep.id', 'd.endpoint_id')
      .select(['d.id', 'd.endpoint_id', 'd.event_id', 'd.attempts', 'ev.body', 'ep.url', 'ep.secret', 'ep.previous_secret', 'ep.previous_secret_until'])
      .where('d.id', 'in', ids)
      .where('d.lease_owner', '=', this.owner)
      .execute();
  }

  private launch(job: Job): void {
    const abort = new AbortController();
    const done = this.attempt(job, abort.signal)
      .catch((err) => this.log.error({ err, delivery: job.id }, 'webhook worker: attempt failed unexpectedly'))
      .finally(() => {
        this.inFlight.delete(job.id);
        this.wake();
      });
    this.inFlight.set(job.id, { done, abort });
  }

  private async attempt(job: Job, signal: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const secrets = this.liveSecrets(job, now);
    let result: PostResult;
    if (secrets.length === 0) {
      result = { kind: 'error', error: 'The endpoint secret cannot be unsealed (was SECRET_KEY changed?).', forbidden: false };
    } else {
      const timestamp = Math.floor(now / 1_000_000);
      result = await postWebhook(
        {
          url: job.url,
          body: job.body,
          timeoutMs: this.o.timeoutMs,
          signal,
          headers: {
            'content-type': 'application/json',
            'user-agent': `Gatehouse-Webhooks/${this.d.version}`,
            'webhook-id': job.event_id,
            'webhook-timestamp': String(timestamp),
            'webhook-signature': signatureHeader(secrets, job.event_id, timestamp, job.body),
          },
        },
        this.d.guard,
        this.connections,
      );
    }
    if (result.kind === 'aborted') {
      await this.release(job.id);
      return;
    }
    await this.settle(job, result);
  }

  /** The current secret, and the one a rotation replaced while it still signs. */
  private liveSecrets(job: Job, now: number): string[] {
    const out: string[] = [];
    const current = this.unseal(job.secret);
    if (current) out.push(current);
    if (job.previous_secret && job.previous_secret_until !== null && job.previous_secret_until > now) {
      const previous = this.unseal(job.previous_secret);
      if (previous && current) out.push(previous);
    }
    return out;
  }

  private unseal(sealed: string): string | null {
    let secret = this.unsealed.get(sealed);
    if (secret === undefined) {
      secret = this.d.secrets.unseal(SECRET_SEAL_INFO, sealed);
      if (this.unsealed.size >= UNSEALED_MAX) this.unsealed.clear();
      this.unsealed.set(sealed, secret);
    }
    return secret;
  }

  private outcome(job: Job, r: Exclude<PostResult, { kind: 'aborted' }>, at: number): Outcome {
    const attempts = job.attempts + 1;
    if (r.kind === 'response' && r.status >= 200 && r.status < 300) {
      return { status: 'succeeded', next: null, code: r.status, error: null, response: r.head, gone: false };
    }
    const code = r.kind === 'response' ? r.status : null;
    const error = r.kind === 'error' ? r.error : r.status >= 300 && r.status < 400 ? `Redirects are not followed (HTTP ${r.status}).` : `HTTP ${r.status}`;
    const response = r.kind === 'response' ? r.head : null;
    if (code === 410) return { status: 'failed', next: null, code, error, response, gone: true };
    const delay = nextRetryDelay({
      attempts,
      status: code,
      retryAfter: r.kind === 'response' ? r.retryAfter : null,
      nowMs: at / 1000,
      delays: this.o.retryDelaysMs,
      random: this.o.random,
    });
    if (delay === null) return { status: 'failed', next: null, code, error, response, gone: false };
    return { status: 'pending', next: at + delay * 1000, code, error, response, gone: false };
  }

  /**
   * Records an attempt's outcome. The outcomes that arrive while the previous ones are being
   * committed (or in the same event-loop turn) commit together in one transaction: a commit is
   * the largest part of a delivery's database work, and one per delivery capped the rate.
   */
  private async settle(job: Job, r: Exclude<PostResult, { kind: 'aborted' }>): Promise<void> {
    const at = this.clock.now();
    const o = this.outcome(job, r, at);
    const settled = await new Promise<boolean>((done, fail) => {
      this.settling.push({ job, outcome: o, at, done, fail });
      this.flushSoon();
    });
    if (!settled) return;
    const result: DeliveryResult = o.status === 'succeeded' ? 'succeeded' : o.status === 'pending' ? 'retry' : 'failed';
    this.d.onResult?.(result);
  }

  private flushSoon(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => void this.flushSettles());
  }

  private async flushSettles(): Promise<void> {
    try {
      while (this.settling.length) {
        // In endpoint order, so two workers' batches lock endpoint rows in the same order.
        const batch = this.settling.splice(0).sort((a, b) => (a.job.endpoint_id < b.job.endpoint_id ? -1 : a.job.endpoint_id > b.job.endpoint_id ? 1 : 0));
        await this.settleBatch(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async settleBatch(batch: Settling[]): Promise<void> {
    try {
      const settled = await this.d.db.transaction().execute(async (trx) => {
        const out: boolean[] = [];
        for (const s of batch) out.push(await this.settleIn(trx, s.job, s.outcome, s.at));
        return out;
      });
      batch.forEach((s, i) => s.done(settled[i]));
    } catch (err) {
      // A database that does not answer (or went away) would fail each of them again, each after
      // its own deadline: they fail together; their claims lapse and the deliveries are made again.
      if (batch.length === 1 || isServiceUnavailable(err)) {
        for (const s of batch) s.fail(err);
        return;
      }
      // One outcome that cannot be written must not hold back the others: each on its own.
      for (const s of batch) {
        try {
          s.done(await this.d.db.transaction().execute((trx) => this.settleIn(trx, s.job, s.outcome, s.at)));
        } catch (e) {
          s.fail(e);
        }
      }
    }
  }

  /** One outcome inside `trx`; false when the claim was lost (that worker's outcome counts). */
  private async settleIn(trx: Kysely<Database>, job: Job, o: Outcome, at: number): Promise<boolean> {
    // The attempt's outcome and the endpoint's health commit together: a disabled endpoint is
    // never seen without its audit entry, nor a failed attempt without its effect on the streak.
    // PostgreSQL: the endpoint's row, shared, first. An admin disabling the endpoint meanwhile
    // (its UPDATE, then the parking of its waiting deliveries) either commits before this, and
    // the retry below is parked, or waits until this committed, and parks the retry itself.
    // SQLite runs one writer at a time.
    if (this.d.dialect === 'postgres') await trx.selectFrom('webhook_endpoints').select('id').where('id', '=', job.endpoint_id).forShare().execute();
    const updated = await trx
      .updateTable('webhook_deliveries')
      .set({
        status: o.status,
        attempts: job.attempts + 1,
        // An endpoint disabled meanwhile (by the admin) gets its retry parked, not scheduled.
        next_attempt_at: o.next === null ? null : dueIfSendable(o.next),
        last_status_code: o.code,
        last_error: o.error,
        last_response: o.response,
        lease_owner: null,
        lease_until: null,
        updated: at,
      })
      .where('id', '=', job.id)
      .where('lease_owner', '=', this.owner)
      .returning('id')
      .executeTakeFirst();
    // Lost the claim (it ran out and another worker has it) or the endpoint is gone.
    if (!updated) return false;
    if (o.status === 'succeeded') await this.health.succeeded(job.endpoint_id, trx);
    else await this.health.failed(job.endpoint_id, at, o.gone, trx);
    return true;
  }

  private async release(id: string): Promise<void> {
    await this.d.db.updateTable('webhook_deliveries').set({ lease_owner: null, lease_until: null }).where('id', '=', id).where('lease_owner', '=', this.owner).execute();
  }
}
