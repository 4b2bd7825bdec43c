// `gatehouse import-users FILE [--dry-run] [--update] [--batch-size N]`: moves users over from
// the backend Gatehouse replaces (core/import/). Records not imported are listed on stdout with
// their line and reason, then a summary; progress goes to stderr. Exit 0 when the run completed
// (even with rejected rows), 1 with one line on stderr when it could not.
import fs from 'node:fs';
import { ConfigError, loadConfig, redactUrl } from '../config.js';
import { commandLineOutbox } from '../core/events/index.js';
import { DEFAULT_BATCH_SIZE, MAX_BATCH_SIZE, detectFileFormat, importUsers } from '../core/import/import-users.js';
import { ImportError, type ImportFormat, type ImportProgress, type ImportSummary, type RowIssue } from '../core/import/types.js';
import { PasswordHasher } from '../core/passwords.js';
import { openStore, type Store, limitOf } from '../store/db.js';
import { migrateToLatest } from '../store/migrations.js';
import { parseCommandArgs } from './args.js';
import { CliError } from './errors.js';

export const IMPORT_USAGE = `usage: gatehouse import-users FILE [--dry-run] [--update] [--batch-size N]

FILE is a Django dumpdata JSON array, JSON Lines, or CSV with a header row (told apart by content).
  --dry-run       validate and compare with the database; write nothing
  --update        overwrite existing accounts (matched by email, else username) instead of skipping them
  --batch-size N  rows per transaction (default ${DEFAULT_BATCH_SIZE}, at most ${MAX_BATCH_SIZE})

Fields (CSV column names, JSON keys; names are matched case-insensitively, others are ignored):
  email, username      at least one of them on every row; each unique, case-insensitively
  password             the stored hash: Django pbkdf2_sha256, pbkdf2_sha1, bcrypt, bcrypt_sha256,
                       argon2 or scrypt; bcrypt $2a$/$2b$/$2y$; argon2 $argon2id$...; Werkzeug
                       pbkdf2:... or scrypt:... Anything else (empty, unknown, a plain password):
                       the account must reset its password before it can log in
  full_name            or first_name and last_name
  is_active            true/false, t/f, 1/0, yes/no, y/n (default true)
  is_staff, is_superuser, email_verified     the same (default false)
  date_joined          or created: ISO 8601, UTC when no zone is given (default: now)
  last_login           ISO 8601
CSV is comma-separated (RFC 4180) and UTF-8, e.g.:
  email,username,password,first_name,last_name,is_active,date_joined
  ann@example.com,ann,pbkdf2_sha256$870000$...,Ann,Lee,true,2024-07-16 20:11:35
`;

/** Skipped rows are listed up to this many (a second run skips every row); rejections always all. */
const LISTED_SKIPS = 100;

interface Flags {
  file: string;
  dryRun: boolean;
  update: boolean;
  batchSize: number;
}

export async function importUsersCommand(args: string[]): Promise<number> {
  const progress = new ProgressView(process.stderr);
  const report = new IssueReport(progress);
  // Ctrl-C lets the batch in flight commit and the summary print; a second one ends at once
  // (`once`), and an unfinished transaction is then rolled back by the database.
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    const flags = parseFlags(args);
    if (flags === null) {
      process.stdout.write(IMPORT_USAGE);
      return 0;
    }
    const format = await detectFileFormat(flags.file);
    const summary = await run(flags, format, progress, report, abort.signal);
    progress.clear();
    process.stdout.write(renderSummary(summary, report));
    return 0;
  } catch (err) {
    progress.clear();
    if (progress.last && progress.last.records > 0) process.stdout.write(renderStopped(progress.last));
    console.error(`gatehouse: ${describe(err)}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** null for --help. */
function parseFlags(args: string[]): Flags | null {
  const { help, values, positionals } = parseCommandArgs(
    {
      command: 'import-users',
      options: { 'dry-run': { type: 'boolean' }, update: { type: 'boolean' }, 'batch-size': { type: 'string', placeholder: 'N' } },
      positionals: ['FILE'],
    },
    args,
  );
  if (help) return null;
  if (positionals.length !== 1) throw new CliError(`import-users needs exactly one FILE (${IMPORT_USAGE.split('\n')[0]})`);
  const size = values['batch-size'] ?? String(DEFAULT_BATCH_SIZE);
  if (!/^\d+$/.test(size) || Number(size) < 1 || Number(size) > MAX_BATCH_SIZE) {
    throw new CliError(`--batch-size: expected an integer from 1 to ${MAX_BATCH_SIZE}, got "${size}"`);
  }
  return { file: positionals[0], dryRun: Boolean(values['dry-run']), update: Boolean(values.update), batchSize: Number(size) };
}

async function run(flags: Flags, format: ImportFormat, progress: ProgressView, report: IssueReport, signal: AbortSignal): Promise<ImportSummary> {
  const config = loadConfig();
  const store = await openTarget(config.databaseUrl, flags.dryRun);
  try {
    progress.start(format, flags.dryRun);
    return await importUsers({
      file: flags.file,
      db: store.db,
      dialect: store.dialect,
      outbox: commandLineOutbox(store.dialect, config),
      dryRun: flags.dryRun,
      update: flags.update,
      batchSize: flags.batchSize,
      passwords: new PasswordHasher(config.argon2),
      onProgress: (p) => progress.update(p),
      onIssue: (issue) => report.add(issue, format),
      signal,
    });
  } finally {
    await store.close();
  }
}

// A real run brings the schema up to date, as `serve` would; a dry run must not write even
// that, so it needs a database that exists and is migrated already.
async function openTarget(databaseUrl: string, dryRun: boolean): Promise<Store> {
  if (dryRun && databaseUrl.startsWith('sqlite:') && !fs.existsSync(databaseUrl.slice('sqlite:'.length))) {
    throw new CliError(`the database ${databaseUrl.slice('sqlite:'.length)} does not exist yet (run gatehouse migrate first; a dry run writes nothing)`);
  }
  const store = openStore(databaseUrl);
  try {
    if (!dryRun) await migrateToLatest(store.db, store.dialect);
    else await store.db.selectFrom('users').select('number').limit(limitOf(1)).execute();
    return store;
  } catch (err) {
    await store.close();
    if (dryRun && isMissingUsersTable(err)) {
      throw new CliError('the database has no users table yet (run gatehouse migrate first; a dry run writes nothing)');
    }
    throw err;
  }
}

function isMissingUsersTable(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '42P01' || /no such table/.test(e?.message ?? '');
}

/** Progress on stderr: a redrawn bar on a terminal (≤ 10 times a second), else a line every 5 s. */
class ProgressView {
  last: ImportProgress | null = null;
  private lastDraw = 0;
  private drawn = false;
  private label = '';

  constructor(private readonly out: NodeJS.WriteStream) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY);
  }

  start(format: ImportFormat, dryRun: boolean): void {
    this.label = `${dryRun ? 'checking' : 'importing'} ${format}`;
  }

  update(p: ImportProgress): void {
    this.last = p;
    const now = performance.now();
    if (now - this.lastDraw < (this.tty ? 100 : 5000)) return;
    this.lastDraw = now;
    if (this.tty) {
      this.out.write(`\r${this.bar(p)}\x1b[K`);
      this.drawn = true;
    } else if (p.elapsedMs >= 5000) {
      this.out.write(`import-users: ${this.label}: ${percent(p)} (${numbers(p)})\n`);
    }
  }

  /** Removes the bar before other output; the next update draws it again. */
  clear(): void {
    if (!this.drawn) return;
    this.out.write('\r\x1b[K');
    this.drawn = false;
    this.lastDraw = 0;
  }

  private bar(p: ImportProgress): string {
    const text = ` ${percent(p).padStart(4)}  ${numbers(p)}`;
    const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - text.length - 3));
    const filled = Math.round(width * fraction(p));
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
  }
}

function fraction(p: ImportProgress): number {
  return p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 1;
}

function percent(p: ImportProgress): string {
  return `${Math.floor(fraction(p) * 100)}%`;
}

// Rate in records per second; time left from the share of the file read so far.
function numbers(p: ImportProgress): string {
  const seconds = p.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(p.records / seconds) : 0;
  const f = fraction(p);
  const left = f > 0 && f < 1 ? duration((seconds * (1 - f)) / f) + ' left' : '';
  return `${count(p.records)} records, ${count(rate)}/s${left ? ', ' + left : ''}`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Lines for records not imported: every rejection, the first LISTED_SKIPS skips. */
class IssueReport {
  unlistedSkips = 0;
  private listedSkips = 0;

  constructor(private readonly progress: ProgressView) {}

  add(issue: RowIssue, format: ImportFormat): void {
    if (issue.kind === 'skipped' && this.listedSkips >= LISTED_SKIPS) {
      this.unlistedSkips++;
      return;
    }
    if (issue.kind === 'skipped') this.listedSkips++;
    const where = format === 'django-json' ? `element ${issue.record} (line ${issue.line})` : `line ${issue.line}`;
    this.progress.clear();
    process.stdout.write(`${where}: ${issue.kind}: ${issue.reason}\n`);
  }
}

function renderSummary(s: ImportSummary, report: IssueReport): string {
  const seconds = s.durationMs / 1000;
  const rate = seconds > 0 ? Math.round(s.records / seconds) : s.records;
  const would = s.dryRun ? ' (dry run: would be)' : '';
  const lines = [
    `${s.dryRun ? 'Dry run, nothing was written. ' : ''}${count(s.records)} records (${s.format}) in ${duration(seconds)}, ${count(rate)} records/s`,
    `  imported: ${count(s.imported)}${would}`,
    ...(s.updated || s.dryRun ? [`  updated:  ${count(s.updated)}${would}`] : []),
    `  skipped:  ${count(s.skipped)}${report.unlistedSkips ? ` (${count(report.unlistedSkips)} not listed above)` : ''}`,
    `  rejected: ${count(s.rejected)}`,
  ];
  if (s.withoutPassword) lines.push(`  ${count(s.withoutPassword)} accounts have no usable password and must reset it before they can log in`);
  return lines.join('\n') + '\n';
}

function renderStopped(p: ImportProgress): string {
  return `Stopped after ${count(p.records)} records: imported ${count(p.imported)}, updated ${count(p.updated)}, skipped ${count(p.skipped)}, rejected ${count(p.rejected)} (every finished batch is kept; running again skips them)\n`;
}

// One line, never a stack; database URLs lose their password.
function describe(err: unknown): string {
  if (err instanceof ImportError || err instanceof CliError || err instanceof ConfigError) return err.message;
  const e = err as { code?: string; message?: string };
  const message = redactUrl(e?.message?.split('\n')[0] ?? String(err));
  // Unreachable, unknown database, refused login (PostgreSQL), file that cannot be opened (SQLite).
  const unreachable = ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '3D000', '28P01', '28000', 'SQLITE_CANTOPEN'];
  if (unreachable.includes(e?.code ?? '')) return `cannot connect to the database: ${message}`;
  return `import-users failed: ${message}`;
}
