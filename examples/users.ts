// The users API (/users/) from a TypeScript client, as a browser would use it: get the CSRF
// cookie, register, log in (a session cookie), upload an avatar, log out. Every POST carries the
// csrftoken cookie and the same value in X-CSRFToken. There is no refresh: the session slides
// for 2 hours with each request. See docs/api/users.md.
//
//   node --import tsx examples/users.ts [http://127.0.0.1:8000]     (or GATEHOUSE_URL=…)
//
// Exits with 1 and says why when the service answers anything unexpected.
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');

/** An 8×8 PNG image. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAEUlEQVQImWPwmvAIK2IYWhIAOU1vAdnoVcoAAAAASUVORK5CYII=', 'base64');

interface Answer {
  status: number;
  body: any;
}

/** The cookies the service set, sent back on every request, as a browser keeps them. */
const jar = new Map<string, string>();

async function call(method: string, path: string, body?: { json: unknown } | { form: FormData }): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (jar.size) headers.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const csrf = jar.get('csrftoken');
  if (csrf && method !== 'GET') headers['X-CSRFToken'] = csrf;
  let payload: string | FormData | undefined;
  if (body && 'json' in body) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body.json);
  } else if (body) {
    payload = body.form;
  }
  const res = await fetch(base + path, { method, headers, body: payload, redirect: 'manual' });
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const name = pair.slice(0, pair.indexOf('='));
    const value = pair.slice(pair.indexOf('=') + 1);
    if (value === '' || /max-age=0\b/i.test(line)) jar.delete(name);
    else jar.set(name, value);
  }
  const text = await res.text();
  const json = res.headers.get('content-type')?.startsWith('application/json') && text ? JSON.parse(text) : null;
  return { status: res.status, body: json };
}

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  console.log(`${what}: ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 100)}`);
}

async function main(): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const me = { username: `erin_${tag}`, password: 'maple-syrup-77' };

  expectStatus('get-csrf-token', await call('GET', '/get-csrf-token/'), 200);
  expectStatus('register', await call('POST', '/users/register/', { json: { username: me.username, password1: me.password, password2: me.password } }), 201);

  // The login sets `sessionid` and a new `csrftoken`; the jar sends both from now on.
  expectStatus('login', await call('POST', '/users/login/', { json: me }), 200);
  if (!jar.has('sessionid')) throw new Error('login: no sessionid cookie');

  const form = new FormData();
  form.append('avatar', new Blob([PNG], { type: 'image/png' }), 'avatar.png');
  const avatar = await call('POST', '/users/avatar/', { form });
  expectStatus('avatar', avatar, 200);
  expectStatus('the avatar URL', await call('GET', avatar.body.avatar_url), 200);

  expectStatus('logout', await call('POST', '/users/logout/'), 200);
  expectStatus('logout again', await call('POST', '/users/logout/'), 401);
}

main().catch((err: Error) => {
  console.error(`users example failed: ${err.message}`);
  process.exit(1);
});
