// Issue 12, item 7: a revoked v1 access JWT is refused on any spelling of a v1 or admin API path
// (v1.md §1.6, admin.md §3.1): percent-encoded segments, double slashes, case variants, the
// slash toggled, dot segments, and HEAD, OPTIONS, TRACE and methods no route has.
//
// Each spelling is sent twice with the same user's tokens: once with a live access token, to
// see where the spelling lands (a view, a redirect, an unknown path), and once with the token
// logout-jwt/ revoked. The revoked one is never served; wherever the spelling reaches the v1 or
// admin API surface it gets exactly the denylist answer; elsewhere it gets what the live token
// got (a 404 outside every surface).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { Wire, type WireResponse } from './wire.js';

const PASSWORD = 'Attack,123';
const JSON_TYPE = { 'content-type': 'application/json' };

let t: TestApp;
let wire: Wire;
let live: string;
let revoked: string;
let mediaName: string;
let userId: string;

beforeAll(async () => {
  t = await startApp();
  wire = new Wire(t.url);
  const created = await t.ctx.accounts.create({ email: 'staff@example.com', username: 'staff', password: PASSWORD, isStaff: true, isSuperuser: true, isActive: true, emailVerified: false, fullName: '' });
  if (!created.ok) throw new Error('fixture');
  userId = created.user.id;
  const login = async () => ((await wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: JSON_TYPE, body: JSON.stringify({ email: 'staff@example.com', password: PASSWORD }) })).json as { access: string }).access;
  live = await login();
  revoked = await login();
  const out = await wire.send({ method: 'POST', path: '/v1/user/logout-jwt/', headers: { authorization: `Bearer ${revoked}` } });
  expect(out.json).toBe('User logged out successfully.');
  mediaName = `${userId}.png`;
});

afterAll(async () => {
  wire?.close();
  await t?.close();
});

const V1_PATHS = ['/v1/user/me/', '/v1/user/sessions/', '/v1/user/mock-login/', '/v1/user/profile/artist/', '/v1/user/login-jwt/', '/v1/user/token/refresh/', '/v1/user/nope/'];
const ADMIN_PATHS = ['/admin/api/stats/', '/admin/api/users/', '/admin/api/audit/', '/admin/api/nope/'];

/** The spellings of a path: the path itself, and the ways a router, a proxy or a client may write it. */
function spellings(path: string): string[] {
  const segs = path.split('/');
  const out = new Set<string>([path]);
  out.add(path.endsWith('/') ? path.slice(0, -1) : path + '/');
  for (let i = 1; i < segs.length - 1; i++) {
    const s = segs[i];
    const first = `%${s.charCodeAt(0).toString(16).toUpperCase()}${s.slice(1)}`;
    const lowerHex = `%${s.charCodeAt(0).toString(16)}${s.slice(1)}`;
    const all = [...s].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    for (const v of [first, lowerHex, all, s.toUpperCase(), s[0].toUpperCase() + s.slice(1), `./${s}`, `x/../${s}`]) {
      out.add([...segs.slice(0, i), v, ...segs.slice(i + 1)].join('/'));
    }
    out.add([...segs.slice(0, i), '', ...segs.slice(i)].join('/')); // a double slash before the segment
  }
  out.add('/' + path); // leading double slash
  out.add(path.replace(/\/$/, '%2F'));
  out.add(path.replace('/', '%2F').replace(/^%2F/, '/'));
  out.add(path + '?next=1');
  out.add(path + ';jsessionid=1');
  out.add(path.replace(/\/$/, '/.'));
  return [...out];
}

const METHODS = ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE', 'TRACE', 'PROPFIND', 'SEARCH'];

function send(method: string, path: string, token: string): Promise<WireResponse> {
  return wire.send({ method, path, headers: { authorization: `Bearer ${token}`, ...JSON_TYPE }, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
}

/** Under the prefix as a router reads the path: percent-decoded, without the query. */
function underPrefix(path: string, prefix: string): boolean {
  const raw = path.split('?')[0];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // a malformed escape: as sent
  }
  return raw.startsWith(prefix) || decoded.startsWith(prefix);
}

describe.each([
  ['v1', '/v1/user/', V1_PATHS, '"Invalid token."'],
  ['the admin API', '/admin/api/', ADMIN_PATHS, '{"detail":"Invalid token."}'],
])('%s', (_name, prefix, paths, denied) => {
  it('the revoked token is refused on every spelling and method; the live one reaches the views', async () => {
    let reachedAView = 0;
    for (const base of [...paths, ...(prefix === '/v1/user/' ? [`/v1/user/media/${mediaName}`] : [`/admin/api/users/${userId}/`])]) {
      for (const path of spellings(base)) {
        // Whether the spelling lands in the surface: its prefix as the router reads the path, or
        // a route the live token is served by (HEAD shows no body, so a GET decides).
        const probe = await send('GET', path, live);
        const reached = underPrefix(path, prefix) || (probe.status >= 200 && probe.status < 400);
        for (const method of METHODS) {
          const ok = await send(method, path, live);
          const dead = await send(method, path, revoked);
          const seen = { method, path, live: ok.status, status: dead.status, body: dead.text, challenge: dead.headers['www-authenticate'] };
          expect(dead.status >= 200 && dead.status < 300, JSON.stringify(seen)).toBe(false);
          if (ok.status >= 200 && ok.status < 300) reachedAView++;
          if (reached) {
            expect(seen).toEqual({ ...seen, status: 401, body: method === 'HEAD' ? '' : denied, challenge: undefined });
          } else {
            expect(seen).toEqual({ ...seen, status: ok.status, body: ok.text });
          }
        }
      }
    }
    // The spellings are not all dead ends: many of them reach a view with the live token.
    expect(reachedAView).toBeGreaterThan(20);
  }, 120_000);
});
