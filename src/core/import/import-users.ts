// importUsers(): a user export (Django dumpdata JSON, JSON Lines or CSV) streamed into the users
// table in batches, each batch one transaction. Safe to run twice: an account that exists is
// skipped (or, with `update`, overwritten), never duplicated. The command line (cli/import-users.ts)
// and the tests both drive this function.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Dialect } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import { Audit } from '../audit.js';
import type { Outbox } from '../events/outbox.js';
import { DEFAULT_ARGON2, PasswordHasher } from '../passwords.js';
import { nowMicros } from '../time.js';
import { readCsv } from './csv.js';
import { detectFormat } from './detect.js';
import { FileKeys } from './file-keys.js';
import { readJsonArray } from './json-array.js';
import { readJsonLines } from './json-lines.js';
import { openTextSource, type TextSource } from './source.js';
import { GIVEN, ImportError, type ImportFormat, type ImportProgress, type ImportRow, type ImportSummary, type RowIssue, type SourceRecord } from './types.js';
import { RowValidator } from './validate.js';
import { type BatchOutcome, BatchWriter } from './writer.js';

export const DEFAULT_BATCH_SIZE = 1000;
export const MAX_BATCH_SIZE = 100_000;

export interface ImportOptions {
  file: string;
  db: Kysely<Database>;
  dialect: Dialect;
  /** Each batch records user.created / user.updated in its transaction (events.md §1). */
  outbox: Pick<Outbox, 'recordMany'>;
  /** Validate and plan against the database, write nothing. */
  dryRun?: boolean;
  /** Overwrite the fields of an existing account (matched by email, else username). */
  update?: boolean;
  /** Rows per transaction (default 1000). */
  batchSize?: number;
  /** Decides which hashes are kept (isUsable); the service's own hasher by default. */
  passwords?: Pick<PasswordHasher, 'isUsable'>;
  /** Called after every chunk read and every batch written. */
  onProgress?: (progress: ImportProgress) => void;
  /** Every record not imported, in file order within a batch. */
  onIssue?: (issue: RowIssue) => void;
  /** Stops the run after the batch in progress (Ctrl-C): an ImportError saying so is thrown. */
  signal?: AbortSignal;
}

const READERS: Record<ImportFormat, (chunks: AsyncIterable<string>) => AsyncGenerator<SourceRecord[]>> = {
  'django-json': readJsonArray,
  'json-lines': readJsonLines,
  csv: readCsv,
};

/**
 * Imports the file. Throws ImportError for a file that cannot be read as a whole (missing,
 * unknown format, broken JSON array); rows read before such a break are still imported.
 */
export async function importUsers(options: ImportOptions): Promise<ImportSummary> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    throw new ImportError(`batch size must be an integer from 1 to ${MAX_BATCH_SIZE}`);
  }
  const source = await openTextSource(options.file);
  try {
    const format = detectFormat(source.head);
    const run = new ImportRun(options, source, format, batchSize);
    try {
      await run.readAll();
    } catch (err) {
      // The batches written before the failure stay, so they are audited too.
      await audit(options, run.summary(), false).catch(() => {});
      throw err;
    }
    const summary = run.summary();
    await audit(options, summary, true);
    return summary;
  } finally {
    source.close();
  }
}

/** The file's format, or an ImportError (missing, unreadable, unknown): a check before any database work. */
export async function detectFileFormat(file: string): Promise<ImportFormat> {
  const source = await openTextSource(file);
  try {
    return detectFormat(source.head);
  } finally {
    source.close();
  }
}

class ImportRun {
  private readonly startedAt = performance.now();
  private readonly validator: RowValidator;
  private readonly keys: FileKeys;
  private readonly writer: BatchWriter;
  private readonly counts = { records: 0, imported: 0, updated: 0, skipped: 0, rejected: 0, withoutPassword: 0 };
  private batch: ImportRow[] = [];
  /** The batch being written, if any. */
  private writing: Promise<void> = Promise.resolve();
  /** Rejections and in-file repeats met since the last batch, reported with its outcome. */
  private pending: RowIssue[] = [];

  constructor(
    private readonly o: ImportOptions,
    private readonly source: TextSource,
    private readonly format: ImportFormat,
    private readonly batchSize: number,
  ) {
    this.validator = new RowValidator(o.passwords ?? new PasswordHasher(DEFAULT_ARGON2), nowMicros());
    this.keys = new FileKeys(format === 'django-json' ? 'element' : 'line');
    this.writer = new BatchWriter(o.db, o.dialect, o.outbox);
  }

  async readAll(): Promise<void> {
    try {
      for await (const records of READERS[this.format](this.source.chunks)) {
        for (const rec of records) {
          if (this.o.signal?.aborted) throw new ImportError(`interrupted after ${this.counts.records.toLocaleString('en-US')} records`);
          this.take(rec);
          if (this.batch.length + this.pending.length >= this.batchSize) await this.flush();
        }
        this.progress();
      }
      await this.flush();
      await this.writing;
    } catch (err) {
      // A broken file structure ends the run, but what was read before it still counts.
      if (err instanceof ImportError) {
        await this.flush();
        await this.writing;
      } else {
        await this.writing.catch(() => {});
      }
      throw err;
    } finally {
      this.progress();
    }
  }

  private take(rec: SourceRecord): void {
    this.counts.records++;
    const row = this.validator.validate(rec);
    if (typeof row === 'string') {
      this.counts.rejected++;
      this.pending.push({ kind: 'rejected', line: rec.line, record: rec.record, reason: row });
      return;
    }
    const repeat = this.keys.claim(row);
    if (repeat !== null) {
      this.counts.skipped++;
      this.pending.push({ kind: 'skipped', line: row.line, record: row.record, reason: repeat });
      return;
    }
    this.batch.push(row);
  }

  /**
   * Hands the batch to the writer without waiting for it: the next batch is read and validated
   * while the database writes this one (PostgreSQL runs beside us). At most one batch is in
   * flight, so batches still commit one after another, in file order.
   */
  private async flush(): Promise<void> {
    const rows = this.batch;
    const issues = this.pending;
    this.batch = [];
    this.pending = [];
    await this.writing;
    this.writing = this.write(rows, issues);
    // Observed by the next flush or by readAll; until then it must not count as unhandled.
    this.writing.catch(() => {});
  }

  private async write(rows: ImportRow[], issues: RowIssue[]): Promise<void> {
    if (rows.length) {
      const outcome = this.o.dryRun ? await this.writer.dryRun(rows, Boolean(this.o.update)) : await this.writer.write(rows, Boolean(this.o.update));
      this.count(outcome);
      for (const { row, reason } of outcome.skipped) issues.push({ kind: 'skipped', line: row.line, record: row.record, reason });
    }
    if (!this.o.onIssue) return;
    issues.sort((a, b) => a.record - b.record);
    for (const issue of issues) this.o.onIssue(issue);
  }

  private count(outcome: BatchOutcome): void {
    this.counts.imported += outcome.inserted.length;
    this.counts.updated += outcome.updated.length;
    this.counts.skipped += outcome.skipped.length;
    for (const row of outcome.inserted) if (row.password === null) this.counts.withoutPassword++;
    for (const row of outcome.updated) if (row.password === null && row.given & GIVEN.password) this.counts.withoutPassword++;
  }

  private progress(): void {
    this.o.onProgress?.({
      bytesRead: Math.min(this.source.bytesRead(), this.source.totalBytes),
      totalBytes: this.source.totalBytes,
      records: this.counts.records,
      imported: this.counts.imported,
      updated: this.counts.updated,
      skipped: this.counts.skipped,
      rejected: this.counts.rejected,
      elapsedMs: performance.now() - this.startedAt,
    });
  }

  summary(): ImportSummary {
    return { format: this.format, dryRun: Boolean(this.o.dryRun), ...this.counts, durationMs: performance.now() - this.startedAt };
  }
}

// One audit entry per run that changed something (admin.md §4): who imported is the operator.
async function audit(o: ImportOptions, s: ImportSummary, completed: boolean): Promise<void> {
  if (s.dryRun || s.imported + s.updated === 0) return;
  await new Audit(o.db).record({
    event: 'users.import',
    meta: { surface: 'cli', ip: null, userAgent: null },
    details: { file: path.basename(o.file), format: s.format, completed, imported: s.imported, updated: s.updated, skipped: s.skipped, rejected: s.rejected },
  });
}
