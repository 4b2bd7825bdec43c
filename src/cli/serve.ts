// `gatehouse serve`: the HTTP service, with one start line that says where it is and what to do
// next, and a graceful stop on SIGTERM/SIGINT.
import fs from 'node:fs';
import path from 'node:path';
import { isIP, type AddressInfo } from 'node:net';
import { loadConfig, type Config, type SurfaceName } from '../config.js';
import { buildApp, resolveSecretKey } from '../app.js';

export interface ServeOptions {
  /** The .env file bin/gatehouse.js loaded, if any (shown in the start line). */
  envFile?: string | null;
}

/**
 * Everything README's `./data/` section promises right after start: the directory itself (the
 * database file and the secret key are made by the store and resolveSecretKey), `media/`, and
 * `outbox/` when mail is written there. The outbox holds live reset links: owner-only, as
 * core/mail.ts makes it.
 */
export function prepareDataDir(config: Pick<Config, 'dataDir' | 'smtpUrl'>): void {
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.mkdirSync(path.join(config.dataDir, 'media'), { recursive: true });
  if (!config.smtpUrl) fs.mkdirSync(path.join(config.dataDir, 'outbox'), { recursive: true, mode: 0o700 });
}

/** A URL a person on this machine can open: a wildcard address becomes `localhost` (v1.md §0.11). */
export function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://localhost:${port}`;
  return isIP(host) === 6 ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

export interface StartFacts {
  url: string;
  surfaces: readonly SurfaceName[];
  /** null when the admin is not mounted (nobody could use a superuser then). */
  hasSuperuser: boolean | null;
  envFile: string | null;
}

/** The start line: the URL, the docs, the admin, and the next step when there is no superuser yet. */
export function startLine(f: StartFacts): { msg: string; fields: Record<string, unknown> } {
  const docs = `${f.url}/docs`;
  const admin = f.surfaces.includes('admin') ? `${f.url}/admin/` : null;
  let msg = `Gatehouse is ready at ${f.url} (API docs: ${docs}${admin ? `, admin: ${admin}` : ''})`;
  if (f.hasSuperuser === false) msg += '. No superuser yet: run `npx gatehouse createsuperuser` to log in to the admin';
  const fields: Record<string, unknown> = { url: f.url, docs, ...(admin ? { admin, superuser: f.hasSuperuser } : {}) };
  if (f.envFile) fields.envFile = f.envFile;
  return { msg, fields };
}

export async function serve(options: ServeOptions = {}): Promise<void> {
  const config = resolveSecretKey(loadConfig());
  prepareDataDir(config);
  const { app, core: ctx } = await buildApp(config);
  await app.listen({ port: config.port, host: config.host });
  const { port } = app.server.address() as AddressInfo;
  // The stop handlers come before the ready line: a supervisor may signal as soon as it reads it.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    ctx.log.info({ signal }, 'draining in-flight requests');
    // Fastify stops accepting, answers 503 to new requests on kept-alive sockets, waits for the
    // in-flight ones, then runs onClose (mail queue flushed, Redis and database closed).
    const hard = setTimeout(() => {
      ctx.log.error({}, 'shutdown took longer than 25 s; exiting');
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
  const admin = config.surfaces.includes('admin');
  const line = startLine({
    url: localUrl(config.host, port),
    surfaces: config.surfaces,
    // Only a hint: a failed look-up leaves it out rather than stopping a service that runs.
    hasSuperuser: admin ? await ctx.accounts.hasActiveSuperuser().catch(() => null) : null,
    envFile: options.envFile ?? null,
  });
  ctx.log.info({ ...line.fields, surfaces: config.surfaces, database: ctx.dialect, kv: ctx.kv.kind }, line.msg);
}
