// The api-user API (/api/user/) from a TypeScript client: register, log in for a JWT pair, call
// an authenticated route, and refresh (the refresh token is rotated: the old one stops working).
// The API has no logout: a client forgets its tokens. See docs/api/api-user.md.
//
//   node --import tsx examples/api-user.ts [http://127.0.0.1:8000]     (or GATEHOUSE_URL=…)
//
// Exits with 1 and says why when the service answers anything unexpected.
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const API = `${base}/api/user/`;

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
  const me = { email: `bob.${tag}@example.com`, full_name: 'Bob Stone', password: 'correct horse battery' };

  expectStatus('register', await call('POST', 'register', { json: me }), 201);

  const login = await call('POST', 'login', { json: { email: me.email, password: me.password } });
  expectStatus('login', login, 200);
  const tokens = login.body.tokens as { access: string; refresh: string };

  // The access token goes in `Authorization: JWT …` (the word is `JWT`, not `Bearer`).
  expectStatus('me', await call('GET', 'me', { headers: { Authorization: `JWT ${tokens.access}` } }), 200);

  // A refresh returns a new pair and retires the refresh token it was given: keep the new one.
  const refreshed = await call('POST', 'refresh', { json: { refresh: tokens.refresh } });
  expectStatus('refresh', refreshed, 200);
  const renewed = refreshed.body as { access: string; refresh: string };
  expectStatus('me with the new access token', await call('GET', 'me', { headers: { Authorization: `JWT ${renewed.access}` } }), 200);
  expectStatus('the used refresh token again', await call('POST', 'refresh', { json: { refresh: tokens.refresh } }), 401);
}

main().catch((err: Error) => {
  console.error(`api-user example failed: ${err.message}`);
  process.exit(1);
});
