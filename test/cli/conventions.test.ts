// The command line follows the usual conventions: help on stdout with exit 0 when asked for,
// usage on stderr with exit 2 when no command is given, one clear line with exit 1 for a wrong
// command or option (listing what exists), and --version.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommandArgs, UsageError } from '../../src/cli/args.js';
import { cleanEnv, requireBuild, runCli } from '../helpers/cli.js';

const COMMANDS = ['serve', 'migrate', 'createsuperuser', 'import-users', 'mail'];
let dataDir: string;
let env: Record<string, string>;

beforeAll(() => {
  requireBuild();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-conventions-'));
  // A database that nothing here may create: every run below must stop before touching it.
  env = cleanEnv({ DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'info' });
});

afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const run = (args: string[]) => runCli(args, { env, cwd: dataDir });

function oneLine(text: string): string {
  expect(text.endsWith('\n')).toBe(true);
  expect(text.trimEnd().split('\n')).toHaveLength(1);
  return text.trimEnd();
}

describe('help and usage', () => {
  it.each([['--help'], ['-h'], ['help']])('gatehouse %s prints the usage, listing every command, to stdout and exits 0', (flag) => {
    const r = run([flag]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^usage: gatehouse <command>/);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(r.stdout).toContain('--version');
  });

  it('gatehouse without a command prints the same usage to stderr and exits 2', () => {
    const r = run([]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(run(['--help']).stdout);
  });

  it.each(COMMANDS)('gatehouse %s --help prints its own usage to stdout and exits 0, doing nothing else', (command) => {
    for (const args of [[command, '--help'], [command, '-h'], ['help', command]]) {
      const r = run(args);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^usage: gatehouse ${command}\\b`));
    }
    // Neither serve nor migrate nor createsuperuser ran: no database, no key.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('--help wins over other mistakes on the line', () => {
    const r = run(['createsuperuser', '--frobnicate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: gatehouse createsuperuser/);
  });

  it('import-users --help lists the CSV columns it reads', () => {
    const r = run(['import-users', '--help']);
    for (const column of ['email', 'username', 'password', 'full_name', 'first_name', 'last_name', 'is_active', 'is_staff', 'is_superuser', 'email_verified', 'date_joined', 'created', 'last_login']) {
      expect(r.stdout).toMatch(new RegExp(`\\b${column}\\b`));
    }
  });
});

describe('--version', () => {
  it.each([['--version'], ['-v']])('gatehouse %s prints the package version and exits 0', (flag) => {
    const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8')) as { version: string };
    const r = run([flag]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`gatehouse ${version}\n`);
  });
});

describe('wrong commands and options: one line naming what exists, exit 1', () => {
  it('an unknown command lists every command, import-users and mail included', () => {
    const r = run(['frobnicate']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^gatehouse: unknown command "frobnicate" \(/);
    for (const c of COMMANDS) expect(line).toContain(c);
    expect(run(['help', 'frobnicate']).stderr).toBe(r.stderr);
  });

  it('an unknown option before the command', () => {
    const r = run(['--frobnicate']);
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^gatehouse: unknown option "--frobnicate"/);
    expect(line).toContain('--help');
    expect(line).toContain('--version');
    for (const c of COMMANDS) expect(line).toContain(c);
  });

  it.each([
    ['serve', ['--port', '1'], 'gatehouse: serve: unknown option "--port" (serve takes --help)'],
    ['migrate', ['-x'], 'gatehouse: migrate: unknown option "-x" (migrate takes --help)'],
    ['createsuperuser', ['--frobnicate'], 'gatehouse: createsuperuser: unknown option "--frobnicate" (createsuperuser takes --email E, --username U, --password P, --help)'],
    ['import-users', ['--frobnicate', 'users.csv'], 'gatehouse: import-users: unknown option "--frobnicate" (import-users takes FILE, --dry-run, --update, --batch-size N, --help)'],
    ['mail', ['--frobnicate'], 'gatehouse: mail: unknown option "--frobnicate" (mail takes --last N, --help)'],
  ])('%s with an unknown option', (command, args, message) => {
    const r = run([command, ...args]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message + '\n');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it.each([
    [['createsuperuser', '--email'], 'gatehouse: createsuperuser: --email needs a value (createsuperuser takes --email E, --username U, --password P, --help)'],
    [['createsuperuser', '--email', '--username', 'u'], 'gatehouse: createsuperuser: --email needs a value; for a value that starts with "-", write --email=VALUE'],
    [['createsuperuser', 'root'], 'gatehouse: createsuperuser: unexpected argument "root" (createsuperuser takes --email E, --username U, --password P, --help)'],
    [['import-users', '--dry-run=yes', 'users.csv'], 'gatehouse: import-users: --dry-run takes no value (import-users takes FILE, --dry-run, --update, --batch-size N, --help)'],
    [['import-users', 'a.csv', 'b.csv'], 'gatehouse: import-users: unexpected argument "b.csv" (import-users takes FILE, --dry-run, --update, --batch-size N, --help)'],
    [['mail', '--last'], 'gatehouse: mail: --last needs a value (mail takes --last N, --help)'],
    [['mail', '--last', '0'], 'gatehouse: mail: --last: expected a whole number from 1 to 1000, got "0"'],
    [['mail', '--last', '1e3'], 'gatehouse: mail: --last: expected a whole number from 1 to 1000, got "1e3"'],
  ])('%j', (args, message) => {
    const r = run(args);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(message + '\n');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('a terminal escape in a wrong argument is quoted, never sent to the terminal raw', () => {
    const r = run(['mail', '--\x1b[2Jx']);
    expect(r.status).toBe(1);
    expect(r.stderr).not.toContain('\x1b');
    expect(oneLine(r.stderr)).toContain('unknown option "--\\u001b[2Jx"');
  });
});

describe('parseCommandArgs', () => {
  const spec = { command: 'demo', options: { name: { type: 'string', placeholder: 'N' }, force: { type: 'boolean', short: 'f' } }, positionals: ['FILE'] } as const;

  it('reads long, short and inline forms, and takes everything after -- as arguments', () => {
    expect(parseCommandArgs(spec, ['--name', 'x', '-f', 'file'])).toEqual({ help: false, values: { name: 'x', force: true }, positionals: ['file'] });
    expect(parseCommandArgs(spec, ['--name=-dash', '--', '--force'])).toEqual({ help: false, values: { name: '-dash' }, positionals: ['--force'] });
    expect(parseCommandArgs(spec, ['-h']).help).toBe(true);
  });

  it('refuses with a UsageError naming the option', () => {
    expect(() => parseCommandArgs(spec, ['-x'])).toThrow(new UsageError('demo: unknown option "-x" (demo takes FILE, --name N, --force, --help)'));
    expect(() => parseCommandArgs(spec, ['--force=1'])).toThrow(UsageError);
    expect(() => parseCommandArgs(spec, ['a', 'b'])).toThrow(/unexpected argument "b"/);
  });
});
