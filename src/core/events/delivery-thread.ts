// The body of the webhook delivery thread (delivery-thread-host.ts starts it): the same delivery
// worker as in-process, on a database connection of its own, so claiming, posting and settling
// never take the request event loop's time. What the service must see of it comes back as
// messages: each settled result (the deliveries metric) and the few log lines it writes.
import fs from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../../store/db.js';
import { Audit } from '../audit.js';
import { SecretKeys } from '../secrets.js';
import { AddressGuard, systemResolver } from './address-guard.js';
import type { EventLog } from './model.js';
import { DeliveryWorker } from './worker.js';
import { type ThreadData, type ToHost, type ToThread, serializeFields } from './delivery-thread-host.js';

const port = parentPort;
if (!port) throw new Error('delivery-thread.ts runs as a worker thread');
const data = workerData as ThreadData;
const send = (m: ToHost) => port.postMessage(m);

const log: EventLog = {
  info: (fields, msg) => send({ kind: 'log', level: 'info', fields: serializeFields(fields), msg }),
  warn: (fields, msg) => send({ kind: 'log', level: 'warn', fields: serializeFields(fields), msg }),
  error: (fields, msg) => send({ kind: 'log', level: 'error', fields: serializeFields(fields), msg }),
};

const THREAD_NICE = 10;

/**
 * Requests come first: on Linux this thread runs at a lower CPU priority (nice 10; a thread is
 * a task with its own id there), so when the CPUs are busy the deliveries wait for the request
 * loop, not the other way round, and they use what the requests leave. Elsewhere, or where it
 * is not allowed, the thread keeps the process's priority.
 */
function yieldToRequests(): void {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) os.setPriority(tid, Math.min(19, os.getPriority(tid) + THREAD_NICE));
  } catch {
    // Not Linux, or not permitted: the same priority as the process.
  }
}
yieldToRequests();

const store = openStore(data.databaseUrl, {
  timeoutMs: data.timeoutMs,
  applicationName: 'gatehouse-webhooks',
  // At most `maxInFlight` settles at once, and one claim: a few connections are plenty.
  poolSize: 4,
  onConnectionError: (err) => log.warn({ service: 'database', reason: err.message }, 'connection failed; reconnecting'),
});

const worker = new DeliveryWorker(
  {
    db: store.db,
    dialect: store.dialect,
    secrets: new SecretKeys(data.secretKey),
    audit: new Audit(store.db),
    guard: new AddressGuard(data.allowPrivate, systemResolver),
    version: data.version,
    onResult: (result) => send({ kind: 'result', result }),
    log,
  },
  data.options,
);

/** The worker hands back or settles what it holds, then the connection closes and the host is told. */
async function closeDown(): Promise<void> {
  try {
    await worker.stop();
  } finally {
    await store.close().catch(() => {});
    send({ kind: 'stopped' });
    port!.close();
  }
}

/** A second stop message waits for the same close-down. */
const stopOnce = (() => {
  let closing: Promise<void> | null = null;
  return () => (closing ??= closeDown());
})();

port.on('message', (m: ToThread) => {
  if (m.kind === 'wake') worker.wake();
  else if (m.kind === 'stop') void stopOnce();
});

worker.start();
