// A Gatehouse in a process of its own, whose peak memory the image-decoding test reads: the
// test's own process would mix its memory in. Run with tsx by image-decoding.test.ts; not a test.
// Prints `listening <port>`; answers a line `peak` on stdin with `peak <max RSS in KiB>`.
import { randomBytes } from 'node:crypto';
import readline from 'node:readline';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';

const config = { ...loadConfig(process.env), argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 } };
const { app } = await buildApp(config, { kvPrefix: `ghdecode:${randomBytes(6).toString('hex')}:` });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'peak') process.stdout.write(`peak ${process.resourceUsage().maxRSS}\n`);
});
process.once('SIGTERM', () => {
  app.close().then(() => process.exit(0), () => process.exit(1));
});
