// Errors the core raises for the HTTP layer to answer in each surface's words.

/**
 * The database or Redis did not answer in time, or its connection broke (v1.md §0.13): the
 * request answers 503 with Retry-After, never 500, and the process carries on.
 */
export class ServiceUnavailable extends Error {
  constructor(readonly service: 'database' | 'redis', cause?: unknown) {
    super(`${service} is unavailable`, { cause });
    this.name = 'ServiceUnavailable';
  }
}

export function isServiceUnavailable(err: unknown): err is ServiceUnavailable {
  return err instanceof ServiceUnavailable;
}
