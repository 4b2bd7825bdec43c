// When a failed delivery is tried again (events.md §3): after 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h and 10 h, each ±10%, so 8 attempts in all; a 429 or 503 may ask for a longer wait with
// Retry-After (honoured up to 24 h, never to shorten the schedule).

export const RETRY_DELAYS_MS: readonly number[] = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const RETRY_AFTER_CAP_MS = 24 * 3600 * 1000;
const JITTER = 0.1;

/** Seconds (`120`) or an HTTP date; milliseconds from `nowMs`, or null when unusable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export interface RetryDecision {
  /** How many attempts have now been made, this one included. */
  attempts: number;
  status: number | null;
  retryAfter: string | null;
  nowMs: number;
  delays?: readonly number[];
  random?: () => number;
}

/** Milliseconds until the next attempt, or null when this was the last one. */
export function nextRetryDelay(d: RetryDecision): number | null {
  const delays = d.delays ?? RETRY_DELAYS_MS;
  if (d.attempts > delays.length) return null;
  const base = delays[Math.max(0, d.attempts - 1)];
  const delay = Math.round(base * (1 - JITTER + 2 * JITTER * (d.random ?? Math.random)()));
  if (d.status === 429 || d.status === 503) {
    const asked = parseRetryAfter(d.retryAfter, d.nowMs);
    if (asked !== null && asked > delay) return Math.min(asked, RETRY_AFTER_CAP_MS);
  }
  return delay;
}

export function maxAttempts(delays: readonly number[] = RETRY_DELAYS_MS): number {
  return delays.length + 1;
}
