// Shared steps of the outage tests: answers that must come at all (a hang fails the test, with
// a bound far above the 2 s the spec gives, so it is no timing assertion), the outage answer's
// shape, and waiting for recovery.
import { expect } from 'vitest';
import type { HttpResponse } from '../helpers/http.js';

/** The answer, or a failure when none came within `ms` (a hang). */
export async function answered<T>(pending: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([pending, hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** 503, Retry-After: 5, and `body` (the surface's shape with "Service temporarily unavailable."). */
export function expectOutage(r: HttpResponse, body: unknown): void {
  expect(r.status, r.text).toBe(503);
  expect(r.headers.get('retry-after')).toBe('5');
  if (typeof body === 'string' && body.startsWith('<')) {
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(r.text).toContain('Service temporarily unavailable.');
    expect(r.text).not.toMatch(/at \S+ \(|Error:/); // never a stack trace
  } else {
    expect(r.json).toEqual(body);
  }
}

export const V1_OUTAGE = 'Service temporarily unavailable.';
export const DETAIL_OUTAGE = { detail: 'Service temporarily unavailable.' };

/** Retries `probe` until it holds (recovery without intervention), failing after `ms`. */
export async function eventually(probe: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`did not recover within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
