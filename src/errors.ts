// Errors that the layers below core raise and the HTTP layer turns into answers. A dependency
// that does not answer in time, or whose connection broke, is not a bug of the request: it is
// an outage that the client can wait out, so it is told apart from every other failure.

/** The services a request can depend on. */
export type DependentService = 'database' | 'redis';

/**
 * The database or Redis did not answer within its deadline, or the connection to it broke
 * (v1.md §0.13 "Outages"). Raised by the store and kv layers; answered 503 with Retry-After.
 * The message names the service and the kind of failure, never a query or a key.
 */
export class ServiceUnavailable extends Error {
  readonly code = 'GATEHOUSE_SERVICE_UNAVAILABLE';

  constructor(
    readonly service: DependentService,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${service} unavailable: ${reason}`, options);
    this.name = 'ServiceUnavailable';
  }
}

/**
 * The ServiceUnavailable behind `err`, if any: the error itself or one it was caused by (a
 * library may wrap the error it got from below, e.g. a rollback failing after a lost connection).
 */
export function serviceUnavailableIn(err: unknown): ServiceUnavailable | null {
  return errorIn(err, ServiceUnavailable);
}

/** The first error of `kind` in `err`'s chain of causes (a few levels deep), or null. */
function errorIn<T extends Error>(err: unknown, kind: new (...args: any[]) => T): T | null {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== null && typeof e === 'object'; depth++) {
    if (e instanceof kind) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** Seconds a client is asked to wait after an outage answer (Retry-After). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** The text of every outage answer, in each surface's error shape. */
export const OUTAGE_TEXT = 'Service temporarily unavailable.';

/** Whether `err` is (or was caused by) an outage of the database or Redis. */
export function isServiceUnavailable(err: unknown): boolean {
  return serviceUnavailableIn(err) !== null;
}

/**
 * A value the database cannot take: text with a NUL character (PostgreSQL's text cannot hold
 * one, so SQLite is refused it too and both databases answer alike), a number out of a column's
 * range, a value PostgreSQL rejects as data (SQLSTATE class 22). Raised by the store before or
 * instead of the database's own error; it is the client's input, so every surface answers it
 * with its plain 400. The message names the kind of value, never the value (it may be a secret).
 */
export class UnacceptableValue extends Error {
  readonly code = 'GATEHOUSE_UNACCEPTABLE_VALUE';

  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the database cannot take this value: ${reason}`, options);
    this.name = 'UnacceptableValue';
  }
}

/** The UnacceptableValue behind `err`, if any (itself, or the cause of a library's wrapper). */
export function unacceptableValueIn(err: unknown): UnacceptableValue | null {
  return errorIn(err, UnacceptableValue);
}
