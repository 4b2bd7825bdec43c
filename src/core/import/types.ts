// The shapes shared by the pieces of `import-users`: what a reader yields, what validation
// makes of it, what the importer reports. Kept apart so each piece imports only vocabulary.

export type ImportFormat = 'django-json' | 'json-lines' | 'csv';

/** One record as a reader found it, before any validation. */
export interface SourceRecord {
  /** 1-based line of the file where the record starts. */
  line: number;
  /** 1-based position among the file's records (JSON array: the element's index + 1). */
  record: number;
  /** Field name -> value (JSON values, or strings from CSV); null when `error` says why not. */
  fields: Record<string, unknown> | null;
  /** Why the record could not even be read (invalid JSON, wrong number of CSV fields, ...). */
  error?: string;
}

/** Bits of `ImportRow.given`: which fields the record carried, so `--update` leaves the rest alone. */
export const GIVEN = {
  email: 1,
  username: 2,
  password: 4,
  fullName: 8,
  isActive: 16,
  isStaff: 32,
  isSuperuser: 64,
  emailVerified: 128,
  created: 256,
  lastLogin: 512,
} as const;

/** A record that passed validation, in the users table's terms. */
export interface ImportRow {
  line: number;
  record: number;
  email: string | null;
  emailCi: string | null;
  username: string | null;
  usernameCi: string | null;
  /** A hash PasswordHasher can verify, or null: the account needs a password reset. */
  password: string | null;
  fullName: string;
  isActive: boolean;
  isStaff: boolean;
  isSuperuser: boolean;
  emailVerified: boolean;
  /** Microseconds; the import time when the record had none. */
  created: number;
  lastLogin: number | null;
  /** GIVEN bits of the fields present in the record. */
  given: number;
}

export type IssueKind = 'rejected' | 'skipped';

/** A record that was not imported, and why. Never carries a password or its hash. */
export interface RowIssue {
  kind: IssueKind;
  line: number;
  record: number;
  reason: string;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  /** Records read so far (imported, updated, skipped or rejected, or waiting in the batch). */
  records: number;
  imported: number;
  updated: number;
  skipped: number;
  rejected: number;
  elapsedMs: number;
}

export interface ImportSummary {
  format: ImportFormat;
  dryRun: boolean;
  records: number;
  /** New accounts (with --dry-run: that would be created). */
  imported: number;
  /** Existing accounts overwritten by --update (with --dry-run: that would be). */
  updated: number;
  skipped: number;
  rejected: number;
  /** Imported or updated accounts left without a usable password: they must reset it. */
  withoutPassword: number;
  durationMs: number;
}

/** A failure that stops the whole import: one clear line for the operator. */
export class ImportError extends Error {
  override readonly name = 'ImportError';
}
