// Writes the OpenAPI document the route declarations produce, for `npm run lint:api` and the
// API reference: builds the app with every surface on a throwaway SQLite database.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const out = process.argv[2] ?? 'openapi.json';
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-openapi-'));
try {
  const config = loadConfig({ DATA_DIR: dataDir, SECRET_KEY: 'openapi-'.padEnd(40, 'x'), LOG_LEVEL: 'silent', NODE_ENV: 'development' });
  const { app } = await buildApp(config, { processMetrics: false });
  await app.ready();
  fs.writeFileSync(out, JSON.stringify(app.swagger(), null, 2) + '\n');
  await app.close();
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
