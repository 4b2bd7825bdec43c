// Command line: `gatehouse <command> [options]`. Conventions: `--help` (on its own or after a
// command) prints usage to stdout and exits 0; no command at all prints usage to stderr and exits
// 2; every failure, a wrong command or option included, is one line on stderr and exit code 1.
// Commands load their modules only when run, so `--help` and `--version` answer at once.
import fs from 'node:fs';
import { ConfigError } from './config.js';
import { CliError } from './cli/errors.js';
import { parseCommandArgs, UsageError, type OptionSpec, type ParsedValues } from './cli/args.js';

export interface MainOptions {
  /** The .env file that bin/gatehouse.js loaded, if any. */
  envFile?: string | null;
}

interface Command {
  name: string;
  /** The line under `commands:` in the usage: synopsis, then what it does. */
  synopsis: string;
  summary: string;
  /** The text of `gatehouse <command> --help`. */
  help: () => Promise<string>;
  run: (args: string[], options: MainOptions) => Promise<number>;
}

/**
 * The options of a command that takes no positional argument; null when `--help` was asked for,
 * whose text is then printed.
 */
async function optionsOf<O extends Record<string, OptionSpec>>(command: Command, options: O, args: string[]): Promise<ParsedValues<O> | null> {
  const parsed = parseCommandArgs({ command: command.name, options }, args);
  if (!parsed.help) return parsed.values;
  process.stdout.write(await command.help());
  return null;
}

const SERVE_HELP = `usage: gatehouse serve

Applies pending migrations, then serves HTTP on HOST:PORT (127.0.0.1:8000 by default). One log
line tells the URL, the API docs and the admin. SIGTERM or SIGINT (Ctrl-C) stops it gracefully:
in-flight requests finish, queued mail is sent, the database is closed.
Settings come from the environment and from .env in the working directory (see .env.example).
`;

const MIGRATE_HELP = `usage: gatehouse migrate

Applies pending database migrations to DATABASE_URL and exits (serve does it too).
`;

const CREATESUPERUSER_HELP = `usage: gatehouse createsuperuser [--email E] [--username U] [--password P]

Creates an active staff superuser, not yet verified, who can log in to the admin.
On a terminal, what is not given is asked for (the password hidden, and twice); without a
terminal every value must be given. Rules: a valid, unused email; a non-empty, unused username of
at most 150 characters; a password of 8 to 128 characters. A password given as an option can be
seen by other users of this machine and stays in the shell history: prefer the prompt.
`;

const ROTATE_HELP = `usage: gatehouse rotate-jwt-key

Makes a new key pair of V1_JWT_ALGORITHM (EdDSA or RS256) the signing one; each instance signs
with it from its next start. The old key keeps verifying, and stays in the JWKS, until the
longest-lived token it could have signed has expired (docs/operations.md).
`;

const COMMANDS: Command[] = [
  {
    name: 'serve',
    synopsis: 'serve',
    summary: 'start the HTTP service (applies migrations first)',
    help: async () => SERVE_HELP,
    async run(args, options) {
      if ((await optionsOf(this, {}, args)) === null) return 0;
      const { serve } = await import('./cli/serve.js');
      await serve({ envFile: options.envFile ?? null });
      return -1; // keeps running
    },
  },
  {
    name: 'migrate',
    synopsis: 'migrate',
    summary: 'apply database migrations and exit',
    help: async () => MIGRATE_HELP,
    async run(args) {
      if ((await optionsOf(this, {}, args)) === null) return 0;
      await migrate();
      return 0;
    },
  },
  {
    name: 'createsuperuser',
    synopsis: 'createsuperuser [--email E] [--username U] [--password P]',
    summary: 'create an active staff superuser (prompts for what is missing)',
    help: async () => CREATESUPERUSER_HELP,
    async run(args) {
      const string = (placeholder: string) => ({ type: 'string', placeholder }) as const;
      const values = await optionsOf(this, { email: string('E'), username: string('U'), password: string('P') }, args);
      if (values === null) return 0;
      const { createSuperuser } = await import('./cli/createsuperuser.js');
      await createSuperuser(values);
      return 0;
    },
  },
  {
    name: 'import-users',
    synopsis: 'import-users FILE [--dry-run] [--update] [--batch-size N]',
    summary: 'import users from a Django dumpdata JSON, JSON Lines or CSV export',
    help: async () => (await import('./cli/import-users.js')).IMPORT_USAGE,
    run: async (args) => (await import('./cli/import-users.js')).importUsersCommand(args),
  },
  {
    name: 'mail',
    synopsis: 'mail [--last N]',
    summary: 'print the newest mails of the outbox (DATA_DIR/outbox/), decoded',
    help: async () => (await import('./cli/mail.js')).MAIL_USAGE,
    run: async (args) => (await import('./cli/mail.js')).mailCommand(args),
  },
  {
    name: 'rotate-jwt-key',
    synopsis: 'rotate-jwt-key',
    summary: 'a new v1 JWT key pair (EdDSA/RS256) signs from each instance\'s next start',
    help: async () => ROTATE_HELP,
    async run(args) {
      if ((await optionsOf(this, {}, args)) === null) return 0;
      await rotateJwtKey();
      return 0;
    },
  },
  {
    name: 'events',
    synopsis: 'events replay --since TS [--endpoint ID]',
    summary: 'send the kept events since TS again (webhooks, and the broker)',
    help: async () => (await import('./cli/events.js')).EVENTS_USAGE,
    run: async (args) => (await import('./cli/events.js')).eventsCommand(args),
  },
];

const COMMAND_NAMES = COMMANDS.map((c) => c.name).join(', ');

export function usage(): string {
  const rows = COMMANDS.map((c) => (c.synopsis.length <= 25 ? `  ${c.synopsis.padEnd(27)}${c.summary}` : `  ${c.synopsis}\n${' '.repeat(29)}${c.summary}`));
  return `usage: gatehouse <command> [options]

commands:
${rows.join('\n')}

options:
  -h, --help                 show this help; gatehouse <command> --help shows a command's own
  -v, --version              print the version

Settings are read from the environment, and from .env in the working directory when there is
one (the environment wins); README.md lists them all.
`;
}

function version(): string {
  // dist/main.js and src/main.ts both sit one level below package.json.
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A new signing pair for V1_JWT_ALGORITHM; instances pick it up when they restart. */
async function rotateJwtKey(): Promise<void> {
  const { loadConfig } = await import('./config.js');
  const { rotateV1Key } = await import('./core/v1-keys.js');
  const config = loadConfig();
  if (config.v1JwtAlgorithm === 'HS256') {
    throw new CliError('rotate-jwt-key: V1_JWT_ALGORITHM is HS256, whose key comes from SECRET_KEY; rotate to EdDSA or RS256 by setting V1_JWT_ALGORITHM');
  }
  const kid = await rotateV1Key(config.v1JwtAlgorithm, config.dataDir, { maxTokenLifetimeSec: Math.max(config.v1AccessTtlSec, config.v1RefreshTtlSec) });
  console.log(`new ${config.v1JwtAlgorithm} key ${kid}: restart every instance to sign with it`);
}

async function migrate(): Promise<void> {
  const { loadConfig } = await import('./config.js');
  const { openStore } = await import('./store/db.js');
  const { migrateToLatest } = await import('./store/migrations.js');
  const store = openStore(loadConfig().databaseUrl);
  try {
    const applied = await migrateToLatest(store.db, store.dialect);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the database is up to date');
  } finally {
    await store.close();
  }
}

export async function main(argv: string[], options: MainOptions = {}): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined) {
      process.stderr.write(usage());
      return 2;
    }
    if (first === '--help' || first === '-h') {
      process.stdout.write(usage());
      return 0;
    }
    if (first === '--version' || first === '-v') {
      process.stdout.write(`gatehouse ${version()}\n`);
      return 0;
    }
    if (first === 'help') {
      // `gatehouse help` and `gatehouse help <command>`, as git and npm have it.
      if (rest.length === 0) {
        process.stdout.write(usage());
        return 0;
      }
      process.stdout.write(await find(rest[0]).help());
      return 0;
    }
    if (first.startsWith('-')) {
      throw new UsageError(`unknown option ${JSON.stringify(first)} (gatehouse takes a command, --help or --version; commands: ${COMMAND_NAMES})`);
    }
    return await find(first).run(rest, options);
  } catch (err) {
    console.error(`gatehouse: ${describe(err)}`);
    return 1;
  }
}

function find(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${COMMAND_NAMES}; gatehouse --help explains them)`);
  return command;
}

function describe(err: unknown): string {
  if (err instanceof ConfigError || err instanceof CliError) return err.message;
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ECONNREFUSED') return `cannot connect: ${e.message}`;
  return e?.message?.split('\n')[0] ?? String(err);
}
