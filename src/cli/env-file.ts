// `.env` in the working directory, read by bin/gatehouse.js before anything else is loaded, so
// every module sees the settings as if they had been exported in the shell. Node's own loader
// (process.loadEnvFile, Node 20.12+) parses it and never overrides a variable that is already
// set, so the environment wins over the file, even when it sets a variable to an empty value.
// This module imports only Node built-ins: nothing may read the environment before it runs.
import fs from 'node:fs';
import path from 'node:path';

export type EnvFileResult =
  | { ok: true; file: string | null } // null: no .env here, nothing loaded
  | { ok: false; message: string };

export const ENV_FILE_NAME = '.env';

export function loadEnvFile(dir: string): EnvFileResult {
  const file = path.resolve(dir, ENV_FILE_NAME);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file, { throwIfNoEntry: false });
  } catch (err) {
    return { ok: false, message: `cannot read ${file}: ${(err as Error).message}` };
  }
  if (stat === undefined) return { ok: true, file: null };
  if (!stat.isFile()) return { ok: false, message: `${file} is not a file (it should hold NAME=value lines, see .env.example)` };
  if (typeof process.loadEnvFile !== 'function') {
    return { ok: false, message: `${file} needs Node.js 20.12 or later to be read (this is ${process.version})` };
  }
  try {
    process.loadEnvFile(file);
  } catch (err) {
    return { ok: false, message: `cannot read ${file}: ${(err as Error).message}` };
  }
  return { ok: true, file };
}
