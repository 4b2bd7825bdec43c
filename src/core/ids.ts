// The ids a path names. A value that is not one is an unknown object, decided before any query:
// PostgreSQL refuses some text outright (a NUL byte), and a 404 must not depend on the database.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** The stored (lower-case) spelling of a UUID, or null when `text` is not one. */
export function canonicalUuid(text: string): string | null {
  return isUuid(text) ? text.toLowerCase() : null;
}
