// Redis failures that are outages (v1.md §0.13): the connection is down or being re-established,
// a command got no answer within the deadline, or the server says it cannot serve right now.
// Everything else (a wrong type, a script error) is a bug and stays what it is.
import { ServiceUnavailable } from '../errors.js';

// Replies with which a running server refuses service for a while (loading its data after a
// restart, a busy script, out of memory, a replica without its master, a failed disk save).
const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|READONLY|OOM|TRYAGAIN|CLUSTERDOWN|MISCONF|NOREPLICAS)\b/;

/** The deadline of one Redis call (v1.md §0.13). */
export const REDIS_DEADLINE_MS = 2000;

/**
 * Runs a Redis command; an outage becomes ServiceUnavailable('redis'). The deadline runs from
 * the call, not from when the client sends the command: with auto-pipelining a command waits
 * while the previous batch is in flight, so against a frozen server ioredis' own timeout would
 * only start once that batch had timed out.
 */
export async function redisCall<T>(command: () => Promise<T>, deadlineMs = REDIS_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailable('redis', 'no answer')), deadlineMs);
  });
  try {
    return await Promise.race([command(), deadline]);
  } catch (err) {
    throw asOutage(err);
  } finally {
    clearTimeout(timer);
  }
}

function asOutage(err: unknown): unknown {
  if (err instanceof ServiceUnavailable) return err;
  const e = err as { name?: unknown; message?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : '';
  if (e?.name === 'ReplyError') {
    return UNAVAILABLE_REPLIES.test(message) ? new ServiceUnavailable('redis', message.split(' ')[0], { cause: err }) : err;
  }
  // Not a reply from the server: the client never got one (closed, not writable while
  // reconnecting, timed out, retries exhausted).
  const reason = /timed out/i.test(message) ? 'no answer' : 'connection lost';
  return new ServiceUnavailable('redis', reason, { cause: err });
}
