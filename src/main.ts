// Command line: `gatehouse serve | migrate | createsuperuser [...]`. Every failure ends with one
// clear line on stderr and exit code 1.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { buildApp, resolveSecretKey } from './app.js';
import { openStore } from './store/db.js';
import { migrateToLatest } from './store/migrations.js';
import { createSuperuser } from './cli/createsuperuser.js';
import { importUsersCommand } from './cli/import-users.js';
import { CliError } from './cli/errors.js';
import { rotateV1Key } from './core/v1-keys.js';

const USAGE = `usage: gatehouse <command>

commands:
  serve                      start the HTTP service (applies migrations first)
  migrate                    apply database migrations and exit
  createsuperuser [--email E] [--username U] [--password P]
                             create an active staff superuser (prompts for what is missing)
  import-users FILE [--dry-run] [--update] [--batch-size N]
                             import users from a Django dumpdata JSON, JSON Lines or CSV export
  rotate-jwt-key             a new v1 JWT key pair (EdDSA/RS256) signs from each instance's next
                             start; the old one verifies until its tokens have expired
`;


async function serve(): Promise<void> {
  const config = resolveSecretKey(loadConfig());
  const { app, ctx } = await buildApp(config);
  await app.listen({ port: config.port, host: config.host });
  ctx.log.info({ surfaces: config.surfaces, database: ctx.dialect, kv: ctx.kv.kind }, 'gatehouse ready');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info({ signal }, 'draining in-flight requests');
    // Fastify stops accepting, answers 503 to new requests on kept-alive sockets, waits for the
    // in-flight ones, then runs onClose (mail queue flushed, Redis and database closed).
    const hard = setTimeout(() => {
      ctx.log.error('shutdown took longer than 25 s; exiting');
      process.exit(1);
    }, 25_000);
    hard.unref();
    app.close().then(
      () => process.exit(0),
      (err) => {
        ctx.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** A new signing pair for V1_JWT_ALGORITHM; instances pick it up when they restart. */
async function rotateJwtKey(): Promise<void> {
  const config = loadConfig();
  if (config.v1JwtAlgorithm === 'HS256') {
    throw new CliError('rotate-jwt-key: V1_JWT_ALGORITHM is HS256, whose key comes from SECRET_KEY; rotate to EdDSA or RS256 by setting V1_JWT_ALGORITHM');
  }
  const kid = await rotateV1Key(config.v1JwtAlgorithm, config.dataDir, { maxTokenLifetimeSec: Math.max(config.v1AccessTtlSec, config.v1RefreshTtlSec) });
  console.log(`new ${config.v1JwtAlgorithm} key ${kid}: restart every instance to sign with it`);
}

async function migrate(): Promise<void> {
  const config = loadConfig();
  const store = openStore(config.databaseUrl);
  try {
    const applied = await migrateToLatest(store.db, store.dialect);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'nothing to apply: the database is up to date');
  } finally {
    await store.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        await serve();
        return -1; // keeps running
      case 'migrate':
        await migrate();
        return 0;
      case 'createsuperuser': {
        const { values } = parseArgs({ args: rest, options: { email: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' } }, strict: true });
        await createSuperuser(values);
        return 0;
      }
      case 'import-users':
        return await importUsersCommand(rest);
      case 'rotate-jwt-key':
        await rotateJwtKey();
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 1 : 0;
      default:
        throw new CliError(`unknown command "${command}" (try: serve, migrate, createsuperuser)`);
    }
  } catch (err) {
    console.error(`gatehouse: ${describe(err)}`);
    return 1;
  }
}

function describe(err: unknown): string {
  if (err instanceof ConfigError || err instanceof CliError) return err.message;
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ECONNREFUSED') return `cannot connect: ${e.message}`;
  if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return e.message ?? 'bad option';
  return e?.message?.split('\n')[0] ?? String(err);
}
