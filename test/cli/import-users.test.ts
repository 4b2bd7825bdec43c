// `gatehouse import-users` (issue 9): exports from the replaced backend (Django dumpdata JSON,
// JSON Lines, CSV) become Gatehouse accounts whose users log in with their old passwords.
// Runs in-process against a real app's database (SQLite, or PostgreSQL with TEST_DATABASE_URL),
// plus one end-to-end run of the real command.
import { execFile } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../src/core/import/csv.js';
import { type ImportOptions, importUsers } from '../../src/core/import/import-users.js';
import { readJsonArray } from '../../src/core/import/json-array.js';
import { ImportError, type RowIssue, type SourceRecord } from '../../src/core/import/types.js';
import { request } from '../helpers/http.js';
import { startApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
let dir: string;

beforeAll(async () => {
  t = await startApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-import-'));
});
afterAll(async () => {
  await t?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function run(file: string, options: Partial<ImportOptions> = {}) {
  const issues: RowIssue[] = [];
  const summary = await importUsers({ file, db: t.ctx.db, dialect: t.ctx.dialect, outbox: t.ctx.events.outbox, passwords: t.ctx.passwords, onIssue: (i) => issues.push(i), ...options });
  return { summary, issues };
}

/** What Django's PBKDF2PasswordHasher stores (fewer iterations than Django's default, for speed). */
function djangoPbkdf2(password: string): string {
  const salt = randomBytes(9).toString('base64url');
  return `pbkdf2_sha256$20000$${salt}$${pbkdf2Sync(password, salt, 20000, 32, 'sha256').toString('base64')}`;
}

function dumpdata(fields: Record<string, unknown>[], indent?: number): string {
  return JSON.stringify(fields.map((f, i) => ({ model: 'accounts.user', pk: i + 1, fields: { groups: [], user_permissions: [], ...f } })), null, indent);
}

/** A v1 knox login over HTTP, as a moved-in user would log in: the status it answers. */
async function v1Login(email: string, password: string): Promise<number> {
  const r = await request(t.url, 'POST', '/v1/user/login-knox/', { json: { email, password } });
  if (r.status === 200) expect(r.json.token).toMatch(/^[0-9a-f]{64}$/);
  else expect(r.json).toBe('No active account found with the given credentials.');
  return r.status;
}

async function importAudits() {
  return t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'users.import').orderBy('id').execute();
}

async function usersTable() {
  return t.ctx.db.selectFrom('users').selectAll().orderBy('number').execute();
}

describe('a Django dumpdata export', () => {
  let file: string;

  beforeAll(async () => {
    file = write(
      'django-users.json',
      dumpdata(
        [
          { email: 'Ada@Example.com', username: 'ada', password: djangoPbkdf2('ada-secret'), first_name: 'Ada', last_name: 'Lovelace', is_active: true, is_staff: true, is_superuser: false, date_joined: '2019-03-04T05:06:07.123Z', last_login: '2024-01-02T03:04:05.678901+00:00' },
          { email: 'grace@example.com', username: 'Grace', password: await bcrypt.hash('grace-secret', 4), first_name: 'Grace', last_name: '', is_active: true, is_staff: false, is_superuser: false, date_joined: '2020-05-06 07:08:09', last_login: null },
          { email: 'alan@example.com', username: 'alan', password: '!kX9v2unusableXyz', first_name: '', last_name: 'Turing', is_active: false, is_staff: false, is_superuser: false, date_joined: '2021-01-01T00:00:00+02:00', last_login: null },
        ],
        2,
      ),
    );
  });

  it('imports every user, keeping usable hashes and dropping unusable ones', async () => {
    const { summary, issues } = await run(file);
    expect(issues).toEqual([]);
    expect(summary).toMatchObject({ format: 'django-json', dryRun: false, records: 3, imported: 3, updated: 0, skipped: 0, rejected: 0, withoutPassword: 1 });

    const [ada, grace, alan] = await Promise.all(['ada@example.com', 'grace@example.com', 'alan@example.com'].map((e) => t.ctx.accounts.byEmail(e)));
    expect(ada).toMatchObject({ email: 'Ada@Example.com', email_ci: 'ada@example.com', username: 'ada', username_ci: 'ada', full_name: 'Ada Lovelace' });
    expect(ada).toMatchObject({ is_active: 1, is_staff: 1, is_superuser: 0, email_verified: 0, failed_logins: 0 });
    expect(ada!.created).toBe(Date.UTC(2019, 2, 4, 5, 6, 7) * 1000 + 123_000);
    expect(ada!.last_login).toBe(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 678_901);
    expect(ada!.password).toMatch(/^pbkdf2_sha256\$/);
    expect(ada!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(grace).toMatchObject({ username: 'Grace', username_ci: 'grace', full_name: 'Grace', last_login: null });
    expect(grace!.created).toBe(Date.UTC(2020, 4, 6, 7, 8, 9) * 1000); // naive = UTC
    expect(alan).toMatchObject({ full_name: 'Turing', is_active: 0, password: null });
    expect(alan!.created).toBe(Date.UTC(2020, 11, 31, 22) * 1000);
    // Numbers follow the file's order.
    expect(ada!.number).toBeLessThan(grace!.number);
    expect(grace!.number).toBeLessThan(alan!.number);
    const audit = await importAudits();
    expect(audit[audit.length - 1]).toMatchObject({ surface: 'cli', user_id: null });
    expect(JSON.parse(audit[audit.length - 1].details)).toEqual({ file: 'django-users.json', format: 'django-json', completed: true, imported: 3, updated: 0, skipped: 0, rejected: 0 });
  });

  it('lets each user with a usable hash log in with the original password, then stores argon2id', async () => {
    for (const [email, password, format] of [
      ['ada@example.com', 'ada-secret', /^pbkdf2_sha256\$/],
      ['grace@example.com', 'grace-secret', /^\$2[ab]\$/],
    ] as const) {
      expect((await t.ctx.accounts.byEmail(email))!.password).toMatch(format);
      expect(await v1Login(email, `${password}x`)).toBe(401);
      expect(await v1Login(email, password)).toBe(200);
      expect((await t.ctx.accounts.byEmail(email))!.password).toMatch(/^\$argon2id\$/);
      expect(await v1Login(email, password)).toBe(200);
    }
  });

  it('gives the account with an unusable hash no password login at all', async () => {
    const alan = await t.ctx.accounts.byEmail('alan@example.com');
    expect(alan!.password).toBeNull();
    expect(await v1Login('alan@example.com', '!kX9v2unusableXyz')).toBe(401);
    expect(await v1Login('alan@example.com', 'anything at all')).toBe(401);
  });

  it('changes nothing when run a second time and reports every row skipped', async () => {
    const before = await usersTable();
    const audits = (await importAudits()).length;
    const { summary, issues } = await run(file);
    expect(summary).toMatchObject({ records: 3, imported: 0, skipped: 3, rejected: 0 });
    expect(await importAudits()).toHaveLength(audits);
    expect(issues).toEqual([
      { kind: 'skipped', line: 2, record: 1, reason: 'email already exists' },
      { kind: 'skipped', line: 20, record: 2, reason: 'email already exists' },
      { kind: 'skipped', line: 38, record: 3, reason: 'email already exists' },
    ]);
    expect(await usersTable()).toEqual(before);
  });
});

describe('--dry-run', () => {
  it('validates and plans against the database but writes nothing', async () => {
    await run(write('dry-existing.jsonl', JSON.stringify({ email: 'dry-old@example.com', password: '' }) + '\n'));
    const before = await usersTable();
    const file = write(
      'dry.jsonl',
      [
        { email: 'dry-new1@example.com', username: 'drynew1', password: djangoPbkdf2('x') },
        { email: 'DRY-OLD@example.com' },
        { email: 'not-an-email' },
        { email: 'dry-new2@example.com' },
      ].map((r) => JSON.stringify(r)).join('\n'),
    );
    const { summary, issues } = await run(file, { dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, records: 4, imported: 2, skipped: 1, rejected: 1, withoutPassword: 1 });
    expect(issues.map((i) => [i.kind, i.line])).toEqual([['skipped', 2], ['rejected', 3]]);
    expect(await usersTable()).toEqual(before);
    expect(await t.ctx.accounts.byEmail('dry-new1@example.com')).toBeUndefined();
  });
});

describe('--update', () => {
  it('overwrites the fields a row gives, matched by email, else username; leaves the rest alone', async () => {
    await run(write('upd-base.jsonl', [
      JSON.stringify({ email: 'upd1@example.com', username: 'upd1', full_name: 'Old Name', is_staff: true, password: djangoPbkdf2('old-pass') }),
      JSON.stringify({ email: 'upd2@example.com', username: 'upd2', full_name: 'Second', last_login: '2023-01-01T00:00:00Z' }),
    ].join('\n')));
    const before1 = (await t.ctx.accounts.byEmail('upd1@example.com'))!;
    const before2 = (await t.ctx.accounts.byEmail('upd2@example.com'))!;
    const csv = write('upd.csv', [
      'email,username,full_name,password,is_active',
      `UPD1@example.com,upd1,"New, Name",${djangoPbkdf2('new-pass')},false`,
      ',UPD2,Renamed,,',
      'upd3@example.com,upd3,Brand New,,',
    ].join('\r\n'));

    const { summary, issues } = await run(csv, { update: true });
    expect(issues).toEqual([]);
    expect(summary).toMatchObject({ imported: 1, updated: 2, skipped: 0, rejected: 0, withoutPassword: 2 });
    const after1 = (await t.ctx.accounts.byEmail('upd1@example.com'))!;
    expect(after1).toMatchObject({ id: before1.id, number: before1.number, full_name: 'New, Name', is_active: 0, is_staff: 1 });
    expect(after1.password).not.toBe(before1.password);
    const after2 = (await t.ctx.accounts.byNumber(before2.number))!;
    // Matched by username; the empty email cell is an explicit "no email"; absent flags keep their value.
    expect(after2).toMatchObject({ id: before2.id, email: null, email_ci: null, username: 'UPD2', full_name: 'Renamed', password: null, is_active: 1, last_login: before2.last_login });
    expect(await t.ctx.accounts.byEmail('upd3@example.com')).toMatchObject({ full_name: 'Brand New' });
  });

  it('hands an email from one account to another within one batch', async () => {
    await run(write('upd-hand.jsonl', [JSON.stringify({ email: 'hand-a@example.com', username: 'hand-x' }), JSON.stringify({ email: 'hand-c@example.com', username: 'hand-y' })].join('\n')));
    const x = (await t.ctx.accounts.byUsername('hand-x'))!;
    const y = (await t.ctx.accounts.byUsername('hand-y'))!;
    // Each time the first row frees an address that the second row takes; whichever order the
    // database applies a multi-row UPDATE in, the result is the file's order.
    for (const [name, lines] of [
      ['upd-hand-1.jsonl', [{ username: 'hand-x', email: 'hand-b@example.com' }, { username: 'hand-y', email: 'hand-a@example.com' }]],
      ['upd-hand-2.jsonl', [{ username: 'hand-y', email: 'hand-c@example.com' }, { username: 'hand-x', email: 'hand-a@example.com' }]],
    ] as const) {
      const { summary } = await run(write(name, lines.map((l) => JSON.stringify(l)).join('\n')), { update: true });
      expect(summary).toMatchObject({ updated: 2, skipped: 0 });
    }
    expect(await t.ctx.accounts.byNumber(x.number)).toMatchObject({ email: 'hand-a@example.com' });
    expect(await t.ctx.accounts.byNumber(y.number)).toMatchObject({ email: 'hand-c@example.com' });
  });

  it('skips a row whose email and username belong to two different accounts', async () => {
    await run(write('upd-two.jsonl', [JSON.stringify({ email: 'two-a@example.com', username: 'two-a' }), JSON.stringify({ email: 'two-b@example.com', username: 'two-b' })].join('\n')));
    const before = await usersTable();
    const { summary, issues } = await run(write('upd-clash.jsonl', JSON.stringify({ email: 'two-a@example.com', username: 'two-b', full_name: 'Clash' })), { update: true });
    expect(summary).toMatchObject({ updated: 0, skipped: 1 });
    expect(issues[0].reason).toMatch(/email matches one account and the username another/);
    expect(await usersTable()).toEqual(before);
  });
});

describe('rejected and skipped rows', () => {
  it('are reported with their line numbers and reasons while the other rows are imported (JSON Lines)', async () => {
    const lines = [
      JSON.stringify({ email: 'rej-ok1@example.com', username: 'rej-ok1' }),
      JSON.stringify({ email: 'bad@', username: 'rej-bad-email' }),
      JSON.stringify({ email: '', username: '' }),
      '',
      JSON.stringify({ email: 'rej-date@example.com', date_joined: '2024-02-30T00:00:00Z' }),
      JSON.stringify({ email: 'rej-flag@example.com', is_staff: 'maybe' }),
      JSON.stringify({ email: `${'a'.repeat(250)}@example.com` }),
      JSON.stringify({ username: 'u'.repeat(151) }),
      '{"email": "rej-broken@example.com", "password": "pbkdf2_sha256$1$s$c2VjcmV0"',
      JSON.stringify({ email: 'REJ-OK1@example.com', username: 'other' }),
      JSON.stringify({ email: 'rej-ok2@example.com', username: 'REJ-OK1' }),
      JSON.stringify({ email: 'rej-ok3@example.com', last_login: 'yesterday', password: 'pbkdf2_sha256$1$s$c2VjcmV0' }),
      JSON.stringify({ email: 'rej-ok4@example.com', username: 'rej-ok4', is_active: 0, email_verified: 'true' }),
    ];
    const { summary, issues } = await run(write('rejects.jsonl', lines.join('\n') + '\n'));
    expect(summary).toMatchObject({ records: 12, imported: 2, skipped: 2, rejected: 8 });
    expect(issues).toEqual([
      { kind: 'rejected', line: 2, record: 2, reason: 'email: not a valid email address: "bad@"' },
      { kind: 'rejected', line: 3, record: 3, reason: 'neither email nor username' },
      { kind: 'rejected', line: 5, record: 4, reason: 'date_joined: not a valid date and time: "2024-02-30T00:00:00Z"' },
      { kind: 'rejected', line: 6, record: 5, reason: 'is_staff: expected true or false, got "maybe"' },
      { kind: 'rejected', line: 7, record: 6, reason: 'email: longer than 254 characters' },
      { kind: 'rejected', line: 8, record: 7, reason: 'username: longer than 150 characters' },
      { kind: 'rejected', line: 9, record: 8, reason: 'invalid JSON' },
      { kind: 'skipped', line: 10, record: 9, reason: 'email repeats line 1 of this file' },
      { kind: 'skipped', line: 11, record: 10, reason: 'username repeats line 1 of this file' },
      { kind: 'rejected', line: 12, record: 11, reason: 'last_login: expected an ISO 8601 date and time, got "yesterday"' },
    ]);
    // No reason ever quotes a password hash.
    expect(JSON.stringify(issues)).not.toContain('pbkdf2');
    expect(await t.ctx.accounts.byEmail('rej-ok4@example.com')).toMatchObject({ is_active: 0, email_verified: 1 });
  });

  it('in a JSON array carry the element number and the line where it starts', async () => {
    const oneLine = dumpdata([{ email: 'arr1@example.com' }, { email: 'arr-bad' }, { username: 'arr3' }]);
    const { issues } = await run(write('one-line.json', oneLine));
    expect(issues).toEqual([{ kind: 'rejected', line: 1, record: 2, reason: 'email: not a valid email address: "arr-bad"' }]);
    const pretty = '[\n' + [JSON.stringify({ model: 'auth.group', pk: 1, fields: { name: 'editors', permissions: [] } }, null, 2), '"not an object"', '{"model": "accounts.user", "fields": {"email": "arr4@example.com", "is_active": null}}'].join(',\n') + '\n]\n';
    const { summary, issues: prettyIssues } = await run(write('pretty.json', pretty));
    expect(prettyIssues).toEqual([
      { kind: 'rejected', line: 2, record: 1, reason: 'neither email nor username (model "auth.group")' },
      { kind: 'rejected', line: 10, record: 2, reason: 'expected a JSON object' },
    ]);
    expect(summary.imported).toBe(1);
    expect(await t.ctx.accounts.byEmail('arr4@example.com')).toMatchObject({ is_active: 1 });
  });

  it('stop the run at a broken JSON array, after importing the elements before the break', async () => {
    const file = write('truncated.json', '[{"model":"accounts.user","fields":{"email":"trunc1@example.com"}},\n{"model":"accounts.user","fields":{"email":"trunc2@ex');
    await expect(run(file)).rejects.toThrow(/line 2: the JSON array is not closed/);
    expect(await t.ctx.accounts.byEmail('trunc1@example.com')).toBeDefined();
    const garbage = write('garbage.json', '[{"email":"garb1@example.com"} {"email":"garb2@example.com"}]');
    await expect(run(garbage)).rejects.toThrow(ImportError);
  });
});

describe('CSV', () => {
  it('reads RFC 4180 quoting: commas, doubled quotes and line breaks inside fields', async () => {
    const csv = [
      'Email,Username,Full_Name,Password,Is_Staff,Date_Joined',
      'csv1@example.com,csv1,"Doe, Jane",,t,2022-02-02T02:02:02Z',
      'csv2@example.com,csv2,"Line one',
      'line two ""quoted""",,0,',
      'csv3@example.com,,Plain,,FALSE,2022-02-02',
      'csv-bad,csv4,,,,',
      'csv5@example.com,"csv5",x',
      '',
    ].join('\r\n');
    const { summary, issues } = await run(write('users.csv', csv));
    expect(issues).toEqual([
      { kind: 'rejected', line: 6, record: 4, reason: 'email: not a valid email address: "csv-bad"' },
      { kind: 'rejected', line: 7, record: 5, reason: 'expected 6 fields as in the header row, found 3' },
    ]);
    expect(summary).toMatchObject({ format: 'csv', records: 5, imported: 3, rejected: 2 });
    expect(await t.ctx.accounts.byEmail('csv1@example.com')).toMatchObject({ full_name: 'Doe, Jane', is_staff: 1, created: Date.UTC(2022, 1, 2, 2, 2, 2) * 1000 });
    expect(await t.ctx.accounts.byEmail('csv2@example.com')).toMatchObject({ full_name: 'Line one\r\nline two "quoted"', is_staff: 0 });
    expect(await t.ctx.accounts.byEmail('csv3@example.com')).toMatchObject({ username: null, username_ci: null, is_staff: 0 });
  });

  it('round-trips any cells through the streaming parser, however the text is cut into chunks', async () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\n', '\r', ' ', '€') });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), async (rows, cuts) => {
        const text = ['a,b', ...rows.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(','))].join('\r\n');
        const records = await collect(readCsv(chunked(text, cuts)));
        expect(records.map((r) => [r.fields!.a, r.fields!.b])).toEqual(rows);
      }),
      { numRuns: 200 },
    );
  });
});

describe('format detection and encoding', () => {
  it('tells the format by content, not by the file name', async () => {
    const jsonl = await run(write('users-jsonl.csv', JSON.stringify({ email: 'det1@example.com' }) + '\n'));
    expect(jsonl.summary).toMatchObject({ format: 'json-lines', imported: 1 });
    const csv = await run(write('users-csv.json', 'username,email\ndet2,det2@example.com\n'));
    expect(csv.summary).toMatchObject({ format: 'csv', imported: 1 });
    const django = await run(write('users-django.txt', '\n  ' + dumpdata([{ email: 'det3@example.com' }])));
    expect(django.summary).toMatchObject({ format: 'django-json', imported: 1 });
  });

  it('refuses a file it cannot read as users, with one clear line', async () => {
    await expect(run(write('notes.txt', 'hello world\nthis is not an export\n'))).rejects.toThrow(/^unknown format: expected a Django dumpdata JSON array/);
    await expect(run(write('semicolons.csv', 'email;username\na@example.com;a\n'))).rejects.toThrow(/separated by semicolons/);
    await expect(run(write('empty.json', ''))).rejects.toThrow('unknown format: the file is empty');
    await expect(run(write('object.json', JSON.stringify({ users: [{ email: 'x@example.com' }] }, null, 2)))).rejects.toThrow(/one JSON object spread over many lines/);
    await expect(run(path.join(dir, 'missing.json'))).rejects.toThrow(/cannot read .*missing\.json: no such file/);
  });

  it('tolerates a UTF-8 byte order mark', async () => {
    const csv = await run(write('bom.csv', '\uFEFFemail,full_name\nbom1@example.com,Zoë\n'));
    expect(csv.summary).toMatchObject({ format: 'csv', imported: 1, rejected: 0 });
    expect(await t.ctx.accounts.byEmail('bom1@example.com')).toMatchObject({ full_name: 'Zoë' });
    const json = await run(write('bom.json', '\uFEFF' + dumpdata([{ email: 'bom2@example.com' }])));
    expect(json.summary).toMatchObject({ format: 'django-json', imported: 1 });
  });

  it('rejects a record that is not valid UTF-8 instead of storing a garbled name', async () => {
    const latin1 = Buffer.concat([Buffer.from('email,full_name\nenc1@example.com,Zo'), Buffer.from([0xeb]), Buffer.from('\nenc2@example.com,Zoe\n')]);
    const file = path.join(dir, 'latin1.csv');
    fs.writeFileSync(file, latin1);
    const { summary, issues } = await run(file);
    expect(summary).toMatchObject({ imported: 1, rejected: 1 });
    expect(issues).toEqual([{ kind: 'rejected', line: 2, record: 1, reason: 'full_name: not valid UTF-8 (convert the file to UTF-8 first)' }]);
  });

  it('rejects a record with a NUL in a name (no database takes it) and imports the rest', async () => {
    const lines = [
      JSON.stringify({ email: 'nul1@example.com', full_name: 'Zo\u0000e' }),
      JSON.stringify({ email: 'nul2@example.com', first_name: 'A', last_name: 'B\u0000' }),
      JSON.stringify({ email: 'nul3@example.com', full_name: 'Fine' }),
    ];
    const { summary, issues } = await run(write('nul.jsonl', lines.join('\n')));
    expect(summary).toMatchObject({ imported: 1, rejected: 2 });
    expect(issues.map((i) => i.reason)).toEqual(['full_name: contains a NUL character', 'last_name: contains a NUL character']);
    expect(await t.ctx.accounts.byEmail('nul3@example.com')).toMatchObject({ full_name: 'Fine' });
  });
});

describe('batches and progress', () => {
  it('imports across batch boundaries in file order and reports progress to the end of the file', async () => {
    const hash = djangoPbkdf2('same');
    const lines = Array.from({ length: 2500 }, (_, i) => JSON.stringify({ email: `batch${i}@example.com`, username: `batch${i}`, password: hash }));
    const progress: { records: number; bytesRead: number; totalBytes: number }[] = [];
    const { summary } = await run(write('batches.jsonl', lines.join('\n')), { batchSize: 1000, onProgress: (p) => progress.push(p) });
    expect(summary).toMatchObject({ records: 2500, imported: 2500 });
    const numbers = await t.ctx.db.selectFrom('users').select(['number', 'username']).where('username', 'like', 'batch%').orderBy('number').execute();
    expect(numbers.map((n) => n.username)).toEqual(lines.map((_, i) => `batch${i}`));
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ records: 2500, bytesRead: last.totalBytes });
  });

  it('splits a JSON array correctly however the text is cut into chunks', async () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.dictionary(fc.string({ unit: fc.constantFrom('a', 'b', '"', '\\', ',', '{', ']', ' '), maxLength: 5 }), value, { maxKeys: 4 }), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), async (objects, cuts, pretty) => {
        const text = JSON.stringify(objects, null, pretty ? 2 : undefined);
        const records = await collect(readJsonArray(chunked(text, cuts)));
        expect(records.map((r) => r.fields)).toEqual(objects);
      }),
      { numRuns: 200 },
    );
  });
});

describe('the gatehouse import-users command', () => {
  const bin = path.resolve('bin/gatehouse.js');
  const exec = promisify(execFile);

  async function command(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    if (!fs.existsSync(path.resolve('dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` before the tests');
    const env = { ...process.env, NODE_ENV: 'test', DATA_DIR: t.dataDir, DATABASE_URL: t.env.DATABASE_URL ?? '', SECRET_KEY: t.env.SECRET_KEY };
    try {
      const { stdout, stderr } = await exec(process.execPath, [bin, 'import-users', ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('imports a file, lists what it did not import, and prints a summary', async () => {
    const file = write('cli.jsonl', [JSON.stringify({ email: 'cli1@example.com', password: djangoPbkdf2('cli-secret') }), JSON.stringify({ email: 'oops' })].join('\n'));
    const first = await command([file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('line 2: rejected: email: not a valid email address: "oops"');
    expect(first.stdout).toMatch(/2 records \(json-lines\) in .*\n {2}imported: 1\n {2}skipped: {2}0\n {2}rejected: 1\n/);
    expect(first.stdout).not.toContain('pbkdf2');
    expect(await v1Login('cli1@example.com', 'cli-secret')).toBe(200);

    const again = await command([file, '--batch-size', '10']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('line 1: skipped: email already exists');
  });

  it('exits 1 with one line on stderr when it cannot run', async () => {
    for (const args of [[path.join(dir, 'nope.csv')], [write('cli-unknown.txt', 'just text\n')], ['--batch-size', '0', write('cli-ok.jsonl', '{}')], []]) {
      const r = await command(args);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^gatehouse: /);
    }
  });
});

async function* chunked(text: string, cuts: number[]): AsyncGenerator<string> {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const p of points) {
    yield text.slice(from, p);
    from = p;
  }
  yield text.slice(from);
}

async function collect(batches: AsyncGenerator<SourceRecord[]>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const batch of batches) out.push(...batch);
  return out;
}
