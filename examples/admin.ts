// The admin JSON API (/admin/api/) from a TypeScript client: a staff user logs in through v1
// (a knox token), reads the dashboard numbers, finds a user who registered through v1, edits
// them, ends their sessions, deletes them, and logs out. See docs/api/admin.md.
//
//   GATEHOUSE_ADMIN_EMAIL=root@example.com GATEHOUSE_ADMIN_PASSWORD=… \
//     node --import tsx examples/admin.ts [http://127.0.0.1:8000]     (or GATEHOUSE_URL=…)
//
// The staff account is one `npx gatehouse createsuperuser` made. Exits with 1 and says why when
// the service answers anything unexpected.
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const staff = { email: process.env.GATEHOUSE_ADMIN_EMAIL, password: process.env.GATEHOUSE_ADMIN_PASSWORD };

interface Answer {
  status: number;
  body: any;
}

async function call(method: string, path: string, opts: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  console.log(`${what}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 100) ?? ''}`);
}

async function main(): Promise<void> {
  if (!staff.email || !staff.password) throw new Error('set GATEHOUSE_ADMIN_EMAIL and GATEHOUSE_ADMIN_PASSWORD to a staff account');

  // The admin API takes v1 credentials: here a knox token.
  const login = await call('POST', '/v1/user/login-knox/', { json: staff });
  expectStatus('login-knox (staff)', login, 200);
  const token = { Authorization: `Token ${login.body.token}` };
  expectStatus('stats', await call('GET', '/admin/api/stats/', { headers: token }), 200);

  // Someone registers through v1; the staff user finds them.
  const tag = randomBytes(4).toString('hex');
  const grace = { email: `grace.${tag}@example.com`, username: `grace-${tag}`, password: 'Compiler,1952' };
  expectStatus('a user registers (v1)', await call('POST', '/v1/user/register/', { json: { ...grace, confirm_password: grace.password } }), 201);
  const found = await call('GET', `/admin/api/users/?q=${encodeURIComponent(grace.email)}`, { headers: token });
  expectStatus('users?q=', found, 200);
  if (found.body.count !== 1) throw new Error(`users?q=: expected one user, got ${found.body.count}`);
  const user = `/admin/api/users/${found.body.results[0].id}/`;

  expectStatus('edit', await call('PATCH', user, { headers: token, json: { full_name: 'Grace Hopper' } }), 200);
  expectStatus('revoke-sessions', await call('POST', user + 'revoke-sessions/', { headers: token }), 204);
  expectStatus('delete', await call('DELETE', user, { headers: token }), 204);
  expectStatus('the deleted user', await call('GET', user, { headers: token }), 404);

  expectStatus('logout-knox', await call('POST', '/v1/user/logout-knox/', { headers: token }), 200);
  expectStatus('stats after logout', await call('GET', '/admin/api/stats/', { headers: token }), 401);
}

main().catch((err: Error) => {
  console.error(`admin example failed: ${err.message}`);
  process.exit(1);
});
