// The v1 API (/v1/user/) from a TypeScript client: register, log in with a knox token, call an
// authenticated route, log in with a JWT pair, refresh it through the session cookie, and log
// both out. See docs/api/v1.md.
//
//   node --import tsx examples/v1.ts [http://127.0.0.1:8000]     (or GATEHOUSE_URL=…)
//
// Exits with 1 and says why when the service answers anything unexpected.
import { randomBytes } from 'node:crypto';

const base = (process.argv[2] ?? process.env.GATEHOUSE_URL ?? 'http://127.0.0.1:8000').replace(/\/$/, '');
const V1 = `${base}/v1/user/`;

interface Answer {
  status: number;
  body: any;
  cookies: string[];
}

/** One request; a JSON body in, the parsed JSON answer out. */
async function call(method: string, path: string, opts: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(V1 + path, { method, headers, body: opts.json === undefined ? undefined : JSON.stringify(opts.json) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, cookies: res.headers.getSetCookie() };
}

function expectStatus(what: string, answer: Answer, status: number): void {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  console.log(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 100)}`);
}

/** The value of `name` among the Set-Cookie headers of an answer. */
function cookie(answer: Answer, name: string): string {
  const line = answer.cookies.find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie in the answer`);
  return line.slice(name.length + 1).split(';')[0];
}

async function main(): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const me = { email: `ann.${tag}@example.com`, username: `ann-${tag}`, password: 'Sunflower,42' };

  expectStatus('register', await call('POST', 'register/', { json: { ...me, confirm_password: me.password } }), 201);

  // A knox token: opaque, one per device, sent as `Authorization: Token …`.
  const knox = await call('POST', 'login-knox/', { json: { email: me.email, password: me.password } });
  expectStatus('login-knox', knox, 200);
  const token = { Authorization: `Token ${knox.body.token}` };
  expectStatus('me (knox)', await call('GET', 'me/', { headers: token }), 200);

  // A JWT pair: the access token goes in `Authorization: Bearer …`; the refresh token stays in
  // the session behind the `sessionid` cookie, which token/refresh/ reads.
  const jwt = await call('POST', 'login-jwt/', { json: { email: me.email, password: me.password } });
  expectStatus('login-jwt', jwt, 200);
  const session = { Cookie: `sessionid=${cookie(jwt, 'sessionid')}` };
  expectStatus('mock-login (Bearer)', await call('GET', 'mock-login/', { headers: { Authorization: `Bearer ${jwt.body.access}` } }), 200);

  const refreshed = await call('POST', 'token/refresh/', { headers: session });
  expectStatus('token/refresh', refreshed, 200);
  if (refreshed.body.access === jwt.body.access) throw new Error('token/refresh: the access token was not renewed');
  const bearer = { Authorization: `Bearer ${refreshed.body.access}` };

  expectStatus('logout-jwt', await call('POST', 'logout-jwt/', { headers: { ...bearer, ...session } }), 200);
  expectStatus('me after logout-jwt', await call('GET', 'me/', { headers: bearer }), 401);

  expectStatus('logout-knox', await call('POST', 'logout-knox/', { headers: token }), 200);
  expectStatus('me after logout-knox', await call('GET', 'me/', { headers: token }), 401);
}

main().catch((err: Error) => {
  console.error(`v1 example failed: ${err.message}`);
  process.exit(1);
});
