// Webhook deliveries in a thread of their own (events.md §3). In the service's process every
// delivery costs its event loop the claim, the connection to the receiver, the signing, the
// answer's parsing and the settle's commit; at a thousand deliveries a second that is most of
// the loop, and requests wait behind it. The thread (delivery-thread.ts) runs the same worker
// on a database connection of its own; the request loop keeps only this host.
//
// The thread starts when there is something to deliver: until then the host looks for due work
// as the worker would (every `pollMs`, and at once when this process records an event), so a
// service with no webhooks never pays for the thread. Once started it runs until stop. A thread
// that dies is started again after a pause that doubles with each death (1 s up to 30 s); its
// claims lapse with their lease and are delivered then.
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { BackgroundLoop } from './background-loop.js';
import { anyDue } from './claims.js';
import type { DeliveryResult } from './metrics.js';
import { type Clock, type EventLog, systemClock } from './model.js';
import type { DeliveryRunner, WorkerOptions } from './worker.js';

/** The worker's options that can cross into the thread (functions cannot). */
export type ThreadOptions = Omit<WorkerOptions, 'random'>;

/** What the thread is started with. */
export interface ThreadData {
  /** The service's database: a SQLite file or a PostgreSQL server (not `:memory:`). */
  databaseUrl: string;
  /** For the endpoint secrets, sealed under a key derived from SECRET_KEY. */
  secretKey: string;
  allowPrivate: boolean;
  version: string;
  /** The statement deadline of the thread's connection, as the request path's (ms). */
  timeoutMs: number | null;
  options: ThreadOptions;
}

export type ToThread = { kind: 'wake' } | { kind: 'stop' };

export type ToHost =
  | { kind: 'result'; result: DeliveryResult }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; fields: Record<string, unknown>; msg: string }
  | { kind: 'stopped' };

interface SentError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
}

/** Log fields as a message can carry them: an `err` keeps its name, message, code and stack. */
export function serializeFields(fields: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...fields };
  const err = out.err;
  if (err !== undefined) {
    const e = err as { name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
    out.err = { name: String(e?.name ?? 'Error'), message: String(e?.message ?? err), stack: typeof e?.stack === 'string' ? e.stack : undefined, code: e?.code } satisfies SentError;
  }
  return out;
}

function reviveFields(fields: Record<string, unknown>): Record<string, unknown> {
  const sent = fields.err as SentError | undefined;
  if (!sent) return fields;
  const err = Object.assign(new Error(sent.message), { name: sent.name }, sent.code === undefined ? {} : { code: sent.code });
  if (sent.stack) err.stack = sent.stack;
  return { ...fields, err };
}

/**
 * The thread's module. Built, it is the .js beside this one; from source (the tests), tsx
 * compiles it in the thread as it does in the test process.
 */
function threadEntry(): { filename: string | URL; eval: boolean } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { filename: new URL('./delivery-thread.js', self), eval: false };
  const source = JSON.stringify(new URL('./delivery-thread.ts', self).href);
  return { filename: `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${source}); });`, eval: true };
}

const RESTART_FIRST_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** Beyond the worker's own grace, how long a stopping thread may take to close its connection. */
const STOP_EXTRA_MS = 5_000;

export interface ThreadHostDeps {
  /** The service's own connection: the look for due work before the thread runs. */
  db: Kysely<Database>;
  data: ThreadData;
  onResult?: (result: DeliveryResult) => void;
  log: EventLog;
  clock?: Clock;
}

export class DeliveryThreadHost extends BackgroundLoop implements DeliveryRunner {
  private thread: Worker | null = null;
  private exited: Promise<void> = Promise.resolve();
  private deaths = 0;
  private notBefore = 0;

  constructor(private readonly d: ThreadHostDeps) {
    super();
  }

  /** True while the delivery thread runs. */
  get threadRunning(): boolean {
    return this.thread !== null;
  }

  override wake(): void {
    if (this.thread) this.thread.postMessage({ kind: 'wake' } satisfies ToThread);
    else super.wake();
  }

  async stop(): Promise<void> {
    await this.endLoop();
    const thread = this.thread;
    if (!thread) return;
    thread.postMessage({ kind: 'stop' } satisfies ToThread);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, (this.d.data.options.stopGraceMs ?? 5_000) + STOP_EXTRA_MS)));
    await Promise.race([this.exited, deadline]);
    clearTimeout(timer);
    // A thread that did not finish in time is cut; its claims lapse with their lease.
    if (this.thread === thread) await thread.terminate();
    await this.exited;
  }

  protected async loop(): Promise<void> {
    const pollMs = this.d.data.options.pollMs ?? 500;
    const clock = this.d.clock ?? systemClock;
    while (!this.stopping) {
      if (!this.thread && Date.now() >= this.notBefore) {
        let due = false;
        try {
          due = await anyDue(this.d.db, clock.now());
        } catch {
          // The database is away: the next round looks again (requests report the outage).
        }
        if (due && !this.stopping) this.spawn();
      }
      // A running thread does its own looking; the host wakes if it dies.
      await this.sleeper.sleep(this.thread ? RESTART_MAX_MS : pollMs);
    }
  }

  private spawn(): void {
    const entry = threadEntry();
    let thread: Worker;
    try {
      thread = new Worker(entry.filename, { eval: entry.eval, workerData: this.d.data, name: 'gatehouse-webhooks' });
    } catch (err) {
      // No thread to be had (out of memory, a resource limit): try again later, as after a death.
      this.died();
      this.d.log.error({ err, restartInMs: this.notBefore - Date.now() }, 'webhook delivery thread could not start');
      return;
    }
    // Never what keeps the process alive: stop() ends it, and so does the process's exit.
    thread.unref();
    this.thread = thread;
    thread.on('message', (m: ToHost) => this.receive(thread, m));
    thread.on('error', (err) => this.d.log.error({ err }, 'webhook delivery thread failed'));
    this.exited = new Promise((resolve) => {
      thread.once('exit', (code) => {
        if (this.thread === thread) this.thread = null;
        if (!this.stopping) {
          this.died();
          this.d.log.error({ code, restartInMs: this.notBefore - Date.now() }, 'webhook delivery thread ended; it is started again');
          this.sleeper.wake();
        }
        resolve();
      });
    });
  }

  /** No thread is started again before a pause: 1 s, doubling with each death in a row, up to 30 s. */
  private died(): void {
    this.deaths += 1;
    this.notBefore = Date.now() + Math.min(RESTART_FIRST_MS * 2 ** (this.deaths - 1), RESTART_MAX_MS);
  }

  private receive(thread: Worker, m: ToHost): void {
    switch (m.kind) {
      case 'result':
        this.deaths = 0;
        this.d.onResult?.(m.result);
        break;
      case 'log':
        this.d.log[m.level](reviveFields(m.fields), m.msg);
        break;
      case 'stopped':
        // Its connection is closed and its claims settled or handed back.
        void thread.terminate();
        break;
    }
  }
}
