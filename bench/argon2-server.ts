// Raw argon2id verification at Gatehouse's parameters behind the same HTTP plumbing as the
// baseline: the ceiling a login can reach, since a login must do exactly one verification.
import http from 'node:http';
import { hash, verify } from '@node-rs/argon2';

const params = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 as const };
const stored = await hash('Bench,Pass1', params);
const body = JSON.stringify('ok');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', async () => {
    const ok = await verify(stored, 'Bench,Pass1');
    res.writeHead(ok ? 200 : 500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
