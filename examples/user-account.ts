// The user-account API (/user_account/) from a TypeScript client: register, log in (a token in
// the answer, and in cookies for a browser), call an authenticated route with the token in
// `Authorization: Bearer`, log out (the token is revoked). There is no refresh: a token lives 60
// minutes, and a request in its last 30 gets a new one in the cookies. See docs/api/user-account.md.
//
//   node --import tsx examples/user-account.ts [http://127.0.0.1:8000]     (or GATEHOUSE_URL=…)
//
// Exits with 1 and says why when the service answers anything unexpected.
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const API = `${base}/user_account/`;

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
  const me = { username: `frank_${tag}`, full_name: 'Frank Moreau', email: `frank.${tag}@example.com`, pwd: 'blue-heron-5' };

  // A confirmation link is mailed; logging in does not wait for it.
  expectStatus('registration', await call('POST', 'registration', { json: me }), 200);

  const login = await call('POST', 'login', { json: { username: me.username, pwd: me.pwd } });
  expectStatus('login', login, 200);
  const bearer = { Authorization: `Bearer ${login.body.token}` };

  expectStatus('profile_settings', await call('GET', 'profile_settings', { headers: bearer }), 200);
  expectStatus('logout', await call('GET', 'logout', { headers: bearer }), 200);
  expectStatus('profile_settings after logout', await call('GET', 'profile_settings', { headers: bearer }), 401);
}

main().catch((err: Error) => {
  console.error(`user-account example failed: ${err.message}`);
  process.exit(1);
});
