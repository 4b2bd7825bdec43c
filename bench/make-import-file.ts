// Writes N Django-style users to a file, for measuring `gatehouse import-users`:
//   npx tsx bench/make-import-file.ts N FILE [--format json|jsonl|csv] [--indent]
// json is what `manage.py dumpdata accounts.user` writes (one line; --indent: one field a line).
// Every user has the same precomputed pbkdf2_sha256 hash of "password" (hashing a million times
// would measure the generator, not the import); every 100th has an unusable `!` password.
import fs from 'node:fs';
import { pbkdf2Sync } from 'node:crypto';
import { once } from 'node:events';
import { parseArgs } from 'node:util';

type Format = 'json' | 'jsonl' | 'csv';

// Django 5.1's default PBKDF2 iterations.
const ITERATIONS = 870_000;
const SALT = 'benchsaltbenchsalt1234';
const HASH = `pbkdf2_sha256$${ITERATIONS}$${SALT}$${pbkdf2Sync('password', SALT, ITERATIONS, 32, 'sha256').toString('base64')}`;
const COLUMNS = ['email', 'username', 'password', 'first_name', 'last_name', 'is_active', 'is_staff', 'is_superuser', 'date_joined', 'last_login'];
const ROWS_PER_WRITE = 2000;

interface Fields {
  password: string;
  last_login: string | null;
  is_superuser: boolean;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  is_staff: boolean;
  is_active: boolean;
  date_joined: string;
  groups: number[];
  user_permissions: number[];
}

function user(i: number): Fields {
  const joined = Date.UTC(2015, 0, 1) + i * 60_000;
  return {
    password: i % 100 === 99 ? `!unusable${i.toString(36)}` : HASH,
    last_login: i % 3 === 0 ? null : new Date(joined + 86_400_000).toISOString(),
    is_superuser: i === 0,
    username: `user${i}`,
    first_name: 'Ada',
    last_name: `Lovelace ${i}`,
    email: `user${i}@example.com`,
    is_staff: i % 1000 === 0,
    is_active: i % 50 !== 49,
    date_joined: new Date(joined).toISOString(),
    groups: [],
    user_permissions: [],
  };
}

function csvCell(value: unknown): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function render(i: number, format: Format, indent: boolean): string {
  const fields = user(i);
  if (format === 'csv') return COLUMNS.map((c) => csvCell(fields[c as keyof Fields])).join(',') + '\n';
  if (format === 'jsonl') return JSON.stringify(fields) + '\n';
  const element = { model: 'accounts.user', pk: i + 1, fields };
  return (i === 0 ? '' : indent ? ',\n' : ', ') + (indent ? JSON.stringify(element, null, 2) : JSON.stringify(element));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { format: { type: 'string', default: 'json' }, indent: { type: 'boolean', default: false } },
  });
  const [countText, file] = positionals;
  const format = values.format as Format;
  if (!countText || !/^\d+$/.test(countText) || !file || !['json', 'jsonl', 'csv'].includes(format)) {
    console.error('usage: npx tsx bench/make-import-file.ts N FILE [--format json|jsonl|csv] [--indent]');
    process.exitCode = 1;
    return;
  }
  const n = Number(countText);
  const out = fs.createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  if (format === 'json') await write(values.indent ? '[\n' : '[');
  if (format === 'csv') await write(COLUMNS.join(',') + '\n');
  for (let start = 0; start < n; start += ROWS_PER_WRITE) {
    let text = '';
    for (let i = start; i < Math.min(n, start + ROWS_PER_WRITE); i++) text += render(i, format, values.indent);
    await write(text);
  }
  if (format === 'json') await write(values.indent ? '\n]\n' : ']\n');
  out.end();
  await once(out, 'finish');
  console.log(`wrote ${n} users to ${file} (${format}, ${fs.statSync(file).size} bytes)`);
}

await main();
