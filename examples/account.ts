// The account API (/account/) from a TypeScript client: register (the answer carries the user's
// key), log in (the same key), call an authenticated route, log out (the key is deleted). There
// is no refresh: a key lives until logout. See docs/api/account.md.
//
//   node --import tsx examples/account.ts [http://127.0.0.1:8000]     (or GATEHOUSE_URL=…)
//
// Exits with 1 and says why when the service answers anything unexpected.
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const API = `${base}/account/`;

interface Answer {
  status: number;
  body: any;
}

async function call(method: string, path: string, opts: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(API + path, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  console.log(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 100)}`);
}

async function main(): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const me = { username: `dana-${tag}`, email: `dana.${tag}@example.com`, password: 'lantern-river-9' };

  // Every registration answer is HTTP 200: look at `success`.
  const registered = await call('POST', 'register', { json: me });
  expectStatus('register', registered, 200);
  if (registered.body.success !== true) throw new Error(`register: refused: ${JSON.stringify(registered.body.errors)}`);

  const login = await call('POST', 'login', { json: { username: me.username, password: me.password } });
  expectStatus('login', login, 200);
  if (login.body.token !== registered.body.token) throw new Error('login: expected the key the registration gave');
  const key = { Authorization: `Token ${login.body.token}` };

  expectStatus('profile', await call('GET', 'profile', { headers: key }), 200);
  expectStatus('logout', await call('POST', 'logout', { headers: key }), 200);
  expectStatus('profile after logout', await call('GET', 'profile', { headers: key }), 401);
}

main().catch((err: Error) => {
  console.error(`account example failed: ${err.message}`);
  process.exit(1);
});
