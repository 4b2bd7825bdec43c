// Outbound mail (v1.md §0.11): queued, sent after the HTTP response, never able to change
// an answer. With SMTP_URL it goes through one pooled SMTP transport; without it every
// mail becomes an .eml file under DATA_DIR/outbox/ so a developer can read it.
//
// Mail bodies carry reset and confirmation secrets, so nothing here ever logs a body, a
// link or the SMTP password: logs get the recipient, the subject and an error message.

import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Mail, SendMailOptions } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';

export interface MailConfig {
  /** `smtp://user:pass@host:port`, `smtps://…`, with nodemailer query options; null → outbox. */
  smtpUrl: string | null;
  /** The From header, e.g. `Gatehouse <no-reply@example.com>`. */
  from: string;
  /** Where mail goes when there is no SMTP URL (DATA_DIR/outbox). */
  outboxDir: string;
}

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MailLimits {
  /** Mails being sent at once; also the SMTP pool's connection count. */
  concurrency?: number;
  /** Mails waiting beyond those in flight; more are dropped so a flood can't exhaust memory. */
  maxQueue?: number;
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_MAX_QUEUE = 10_000;

// nodemailer's defaults (2 min to connect, 10 min of socket silence) would hold a graceful
// shutdown for minutes on a dead relay; these are still generous for a slow one. A query
// option in SMTP_URL (e.g. `?socketTimeout=120000`) overrides them.
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

/** Where a mail finally goes; each returns what to add to the success log line. */
interface MailSink {
  deliver(message: SendMailOptions): Promise<object>;
  close(): void;
}

interface Job {
  seq: number;
  mail: OutgoingMail;
}

interface FlushWaiter {
  upTo: number;
  resolve: () => void;
}

export class Mailer {
  #config: MailConfig;
  #log: MailLog;
  #concurrency: number;
  #maxQueue: number;
  #sink: MailSink | undefined;
  #queue: Job[] = [];
  #inFlight = new Set<number>();
  #waiters: FlushWaiter[] = [];
  #nextSeq = 1;
  #pumpScheduled = false;
  #closed = false;
  #sent = 0;
  #failed = 0;

  constructor(config: MailConfig, log: MailLog, limits: MailLimits = {}) {
    this.#config = config;
    this.#log = log;
    this.#concurrency = Math.max(1, limits.concurrency ?? DEFAULT_CONCURRENCY);
    this.#maxQueue = Math.max(0, limits.maxQueue ?? DEFAULT_MAX_QUEUE);
  }

  /** Mails delivered (to the SMTP server, or into the outbox). */
  get sent(): number {
    return this.#sent;
  }

  /** Mails that failed or were dropped. */
  get failed(): number {
    return this.#failed;
  }

  /**
   * Queues a mail and returns at once. Sending starts on a later turn of the event loop,
   * so a route that calls this before replying has written its reply first. Never throws.
   */
  send(mail: OutgoingMail): void {
    if (this.#closed) return this.#drop(mail, 'mailer closed');
    if (this.#queue.length >= this.#maxQueue) return this.#drop(mail, 'mail queue full');
    this.#queue.push({ seq: this.#nextSeq++, mail });
    this.#schedulePump();
  }

  /** Resolves once every mail queued before this call has been sent or has failed. */
  flush(): Promise<void> {
    const upTo = this.#nextSeq - 1;
    if (this.#lowestPendingSeq() > upTo) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ upTo, resolve }));
  }

  /** Sends what is queued, then closes the SMTP connections. Later send() calls are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    this.#sink?.close();
    this.#sink = undefined;
  }

  #drop(mail: OutgoingMail, reason: string): void {
    this.#failed++;
    this.#log.error({ err: reason, to: mail.to, subject: mail.subject }, 'mail dropped');
  }

  // setImmediate rather than a microtask: a microtask would run before Fastify writes the
  // reply that queued the mail; an immediate runs after the pending I/O callbacks.
  #schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight.size < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#inFlight.add(job.seq);
      // The catch only guards against a throwing logger: #deliver handles send errors.
      void this.#deliver(job.mail)
        .catch(() => undefined)
        .finally(() => this.#settle(job.seq));
    }
  }

  #settle(seq: number): void {
    this.#inFlight.delete(seq);
    this.#pump();
    const lowest = this.#lowestPendingSeq();
    const ready = this.#waiters.filter((w) => w.upTo < lowest);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.upTo >= lowest);
    for (const w of ready) w.resolve();
  }

  // The queue is FIFO, so its head holds its lowest sequence number.
  #lowestPendingSeq(): number {
    let lowest = this.#queue.length > 0 ? this.#queue[0].seq : Infinity;
    for (const seq of this.#inFlight) lowest = Math.min(lowest, seq);
    return lowest;
  }

  // Every failure ends here, counted and logged by message only: this promise never rejects.
  async #deliver(mail: OutgoingMail): Promise<void> {
    const meta = { to: mail.to, subject: mail.subject };
    try {
      const to = singleRecipient(mail.to);
      this.#sink ??= this.#createSink();
      const extra = await this.#sink.deliver({
        from: this.#config.from,
        to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
      });
      this.#sent++;
      this.#log.info({ ...meta, ...extra }, this.#config.smtpUrl ? 'mail sent' : 'mail written to outbox');
    } catch (err) {
      this.#failed++;
      this.#log.error({ err: this.#errorMessage(err), ...meta }, 'mail send failed');
    }
  }

  #createSink(): MailSink {
    const { smtpUrl } = this.#config;
    // An empty SMTP_URL means unset, as in a blank line in an env file.
    if (!smtpUrl) return outboxSink(this.#config.outboxDir);
    const sink = smtpSink(smtpUrl, this.#concurrency, this.#log, (err) => this.#errorMessage(err));
    this.#log.info({ smtp: redactUrl(smtpUrl) }, 'mail transport created');
    return sink;
  }

  // Error texts come from the SMTP server or from URL parsing; the latter may quote the
  // URL, so the password is blanked out wherever it appears.
  #errorMessage(err: unknown): string {
    let message = err instanceof Error ? err.message : String(err);
    for (const secret of smtpPasswordForms(this.#config.smtpUrl)) message = message.split(secret).join('***');
    return message;
  }
}

// The address comes from a user's account. Handing nodemailer a parsed single mailbox
// (instead of the raw string) keeps a value like `a@x.io, b@y.io` from reaching a second
// recipient, whatever validation the caller did.
function singleRecipient(to: string): { name: string; address: string } {
  const parsed = addressparser(to);
  const [first] = parsed;
  if (parsed.length !== 1 || first.group || !first.address || !first.address.includes('@')) {
    throw new Error('recipient is not a single email address');
  }
  return { name: first.name, address: first.address };
}

function smtpSink(
  url: string,
  maxConnections: number,
  log: MailLog,
  describe: (err: unknown) => string,
): MailSink {
  const transport: Mail = nodemailer.createTransport({ ...SMTP_TIMEOUTS, url, pool: true, maxConnections });
  // Connection errors reach each send's callback; this listener only keeps a stray
  // 'error' event from becoming an uncaught exception.
  transport.on('error', (err: unknown) => log.error({ err: describe(err) }, 'mail transport error'));
  return {
    async deliver(message) {
      await transport.sendMail(message);
      return {};
    },
    close: () => transport.close(),
  };
}

// CRLF line ends, as RFC 5322 wants, so the file is a real .eml any client can open.
function outboxSink(dir: string): MailSink {
  const composer: Mail = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  return {
    async deliver(message) {
      const info = await composer.sendMail(message);
      const file = await writeAtomically(dir, outboxFileName(), info.message as Buffer);
      return { file };
    },
    close: () => composer.close(),
  };
}

// Sortable by time; the random part keeps two mails in one millisecond apart. ':' is
// replaced because Windows file systems refuse it.
function outboxFileName(): string {
  const stamp = new Date().toISOString().replace(/:/g, '-');
  return `${stamp}-${randomBytes(8).toString('hex')}.eml`;
}

// Written to a temp name and renamed, so a reader never sees half a mail. Owner-only
// modes: these files hold live reset links. mkdir runs each time so a deleted outbox heals.
async function writeAtomically(dir: string, name: string, data: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  return file;
}

// The password as written in the URL and decoded: an error may quote either.
function smtpPasswordForms(smtpUrl: string | null): string[] {
  if (!smtpUrl) return [];
  try {
    const raw = new URL(smtpUrl).password;
    return raw ? [...new Set([raw, safeDecode(raw)])] : [];
  } catch {
    return [];
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The URL with its password replaced by `***`, for logs; unparsable input gives a placeholder. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparsable URL>';
  }
}
