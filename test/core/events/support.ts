// Shared pieces of the events tests: a fresh database (SQLite file, or a new PostgreSQL
// database when TEST_DATABASE_URL is set), a real HTTP receiver, an Events instance with its
// seams, a clock that can be moved forward, and polling for a condition.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import amqp from 'amqplib';
import pg from 'pg';
import { afterEach } from 'vitest';
import { Registry } from 'prom-client';
import type { Kysely } from 'kysely';
import { type Dialect, openStore } from '../../../src/store/db.js';
import { migrateToLatest } from '../../../src/store/migrations.js';
import type { Database } from '../../../src/store/schema.js';
import { Audit } from '../../../src/core/audit.js';
import { SecretKeys } from '../../../src/core/secrets.js';
import { nowMicros } from '../../../src/core/time.js';
import { Events, type EventsConfig, type EventsDeps } from '../../../src/core/events/index.js';
import type { SnapshotSource } from '../../../src/core/events/model.js';

export const usingPostgres = Boolean(process.env.TEST_DATABASE_URL);

export interface TestStore {
  url: string;
  db: Kysely<Database>;
  dialect: Dialect;
  dir: string;
  /** Another connection (pool) to the same database, as a second instance would have. */
  openAnother(): { db: Kysely<Database>; dialect: Dialect; close(): Promise<void> };
  close(): Promise<void>;
}

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

export async function freshStore(): Promise<TestStore> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-events-'));
  let url = `sqlite:${path.join(dir, 'db.sqlite3')}`;
  let drop = async () => {};
  if (usingPostgres) {
    const name = `gh_events_${randomBytes(6).toString('hex')}`;
    await admin(`create database ${name}`);
    const u = new URL(process.env.TEST_DATABASE_URL!);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = () => admin(`drop database if exists ${name} with (force)`);
  }
  const store = openStore(url);
  await migrateToLatest(store.db, store.dialect);
  const others: Array<{ close(): Promise<void> }> = [];
  return {
    url,
    db: store.db,
    dialect: store.dialect,
    dir,
    openAnother() {
      const s = openStore(url);
      others.push(s);
      return s;
    },
    async close() {
      for (const o of others) await o.close().catch(() => {});
      await store.close();
      await drop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Things to undo after each test (stop an Events, close a receiver), newest first; `then`
 * runs after them (e.g. emptying tables).
 */
export function cleanupAfterEach(then?: () => Promise<unknown>): Array<() => Promise<unknown>> {
  const list: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    while (list.length) await list.pop()!();
    await then?.();
  });
  return list;
}

/** Real time plus an offset that tests move forward (never back). */
export class OffsetClock {
  offsetMicros = 0;
  now = (): number => nowMicros() + this.offsetMicros;
  advance(ms: number): void {
    this.offsetMicros += ms * 1000;
  }
  /** Moves time so that `micros` (an instant on this clock) is now or past. */
  advanceTo(micros: number): void {
    const gap = micros - this.now();
    if (gap > 0) this.offsetMicros += gap + 1000;
  }
}

export const BASE_CONFIG: EventsConfig = {
  webhookAllowHttp: true,
  webhookAllowPrivate: true,
  eventRetentionDays: 7,
  amqpUrl: null,
  amqpExchange: 'gatehouse.events',
  amqpLegacyQueue: null,
};

export const TEST_SECRET_KEY = 'events-test-secret-key-0123456789abcdef';

export type EventsOverrides = Omit<Partial<EventsDeps>, 'config'> & { config?: Partial<EventsConfig> };

export function makeEvents(db: Kysely<Database>, dialect: Dialect, over: EventsOverrides = {}) {
  const secrets = new SecretKeys(TEST_SECRET_KEY);
  const audit = new Audit(db);
  const registry = new Registry();
  const events = new Events({
    db,
    dialect,
    secrets,
    audit,
    registry,
    ...over,
    config: { ...BASE_CONFIG, ...(over.config ?? {}) },
    worker: { pollMs: 100, ...(over.worker ?? {}) },
  });
  return { events, secrets, audit, registry };
}

export const BY = { meta: { surface: 'admin-api' as const, ip: '127.0.0.1', userAgent: 'vitest' }, actor: { id: '00000000-0000-4000-8000-000000000001', email: 'root@example.com', username: 'root' } };

let userCounter = 0;
export function someUser(over: Partial<SnapshotSource> = {}): SnapshotSource {
  userCounter += 1;
  return {
    id: `00000000-0000-4000-8000-${String(100000000000 + userCounter)}`,
    number: userCounter,
    email: `user${userCounter}@example.com`,
    username: `user${userCounter}`,
    full_name: `User ${userCounter}`,
    email_verified: 0,
    is_active: 1,
    is_staff: 0,
    ...over,
  };
}

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

/** A real webhook receiver on 127.0.0.1; `reply` decides each answer. */
export class Receiver {
  readonly requests: Received[] = [];
  reply: (r: Received) => Reply = () => ({ status: 204 });
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      this.requests.push(r);
      const answer = this.reply(r);
      if (answer === 'hang') {
        this.hanging.push(res);
        return;
      }
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  readonly hanging: http.ServerResponse[] = [];
  /** TCP connections accepted so far. */
  connections = 0;

  async start(): Promise<this> {
    this.server.on('connection', () => (this.connections += 1));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(p = '/hook'): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  /** Distinct webhook-ids received with a 2xx reply recorded by the caller, or all requests. */
  ids(filter: (r: Received) => boolean = () => true): string[] {
    return this.requests.filter(filter).map((r) => String(r.headers['webhook-id']));
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A TCP hop of our own between the publisher and the broker: `cut()` drops every connection
 * and refuses new ones, `restore()` lets them through again. The shared broker never notices.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  private readonly server = net.createServer((client) => {
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface Consumed {
  routingKey: string;
  properties: amqp.MessageProperties;
  body: string;
}

/**
 * A consumer with names of its own on the shared broker: the exchange (declared as the
 * publisher declares it), a queue bound to every key, and optionally the legacy queue.
 */
export async function amqpConsumer(legacy = false) {
  const tag = randomBytes(6).toString('hex');
  const exchange = `gh.test.${tag}`;
  const legacyQueue = legacy ? `gh.test.legacy.${tag}` : null;
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  await ch.assertExchange(exchange, 'topic', { durable: true });
  const q = await ch.assertQueue('', { exclusive: true, autoDelete: true });
  await ch.bindQueue(q.queue, exchange, '#');
  const events: Consumed[] = [];
  const legacyMessages: Consumed[] = [];
  const take = (into: Consumed[]) => (m: amqp.ConsumeMessage | null) => {
    if (!m) return;
    into.push({ routingKey: m.fields.routingKey, properties: m.properties, body: m.content.toString('utf8') });
    ch.ack(m);
  };
  await ch.consume(q.queue, take(events));
  if (legacyQueue) {
    await ch.assertQueue(legacyQueue, { durable: true });
    await ch.consume(legacyQueue, take(legacyMessages));
  }
  return {
    exchange,
    legacyQueue,
    events,
    legacyMessages,
    ids: () => events.map((m) => String(m.properties.messageId)),
    async close() {
      await ch.deleteExchange(exchange).catch(() => {});
      if (legacyQueue) await ch.deleteQueue(legacyQueue).catch(() => {});
      await conn.close().catch(() => {});
    },
  };
}
