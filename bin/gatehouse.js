#!/usr/bin/env node
// Entry point of `npx gatehouse …` and `npm start`; the compiled code lives in dist/.
// `.env` of the working directory is loaded first (settings already in the environment win),
// and only then is the rest of the code imported, so no module can read the environment early.
import { loadEnvFile } from '../dist/cli/env-file.js';

const envFile = loadEnvFile(process.cwd());
if (!envFile.ok) {
  console.error(`gatehouse: ${envFile.message}`);
  process.exitCode = 1;
} else {
  const { main } = await import('../dist/main.js');
  const code = await main(process.argv.slice(2), { envFile: envFile.file });
  if (code >= 0) process.exitCode = code;
}
