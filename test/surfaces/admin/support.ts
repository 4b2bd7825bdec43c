// Fixtures for the admin tests: an app with the admin surface, users made through the core,
// real v1 credentials (knox tokens, v1 access JWTs recorded like the v1 login records them),
// and a browser-like client logged in through the admin login form.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { TestCore as AppContext } from '../../helpers/app.js';
import type { User } from '../../../src/core/accounts.js';
import { newJti } from '../../../src/core/jwt.js';
import { nowMicros, nowSeconds } from '../../../src/core/time.js';
import { type TestApp, startApp } from '../../helpers/app.js';
import { Client, type HttpResponse, request } from '../../helpers/http.js';

export const PASSWORD = 'correct horse battery';

/** The admin alone by default, so these tests stand on the core and nothing else. */
export function startAdminApp(env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({ SURFACES: 'admin', ...env });
}

export interface UserSpec {
  email?: string | null;
  username?: string | null;
  password?: string;
  staff?: boolean;
  superuser?: boolean;
  active?: boolean;
  verified?: boolean;
  fullName?: string;
}

let counter = 0;

/** A user made through the core; unique email and username unless given. */
export async function makeUser(ctx: AppContext, spec: UserSpec = {}): Promise<User> {
  const n = ++counter;
  const tag = `${n}${randomUUID().slice(0, 6)}`;
  const r = await ctx.accounts.create({
    email: spec.email === undefined ? `user${tag}@example.com` : spec.email,
    username: spec.username === undefined ? `user${tag}` : spec.username,
    password: spec.password ?? PASSWORD,
    isStaff: spec.staff ?? spec.superuser ?? false,
    isSuperuser: spec.superuser ?? false,
    isActive: spec.active ?? true,
    emailVerified: spec.verified ?? false,
    fullName: spec.fullName ?? '',
  });
  if (!r.ok) throw new Error(`fixture user conflict: ${r.conflict}`);
  return r.user;
}

export async function knoxHeader(ctx: AppContext, user: Pick<User, 'number'>): Promise<string> {
  const { token } = await ctx.knox.create(user, '127.0.0.1', 'vitest');
  return `Token ${token}`;
}

export interface V1Login {
  header: string;
  loginId: string;
  jti: string;
  exp: number;
}

/** A v1 JWT login as v1's login-jwt/ records it: the login family, its refresh and an access token. */
export async function bearerLogin(ctx: AppContext, user: Pick<User, 'id'>): Promise<V1Login> {
  const iat = nowSeconds();
  const exp = iat + 3600;
  const loginId = randomUUID();
  const jti = newJti();
  const refreshJti = newJti();
  await ctx.db.insertInto('jwt_logins').values({
    id: loginId, user_id: user.id, created: nowMicros(), last_used: null, ip: '127.0.0.1', user_agent: 'vitest',
    refresh_jti: refreshJti, refresh_exp: iat + 86400, ended_at: null,
  }).execute();
  await ctx.revocation.recordTokens([
    { jti, surface: 'v1', type: 'access', userId: user.id, loginId, iat, exp },
    { jti: refreshJti, surface: 'v1', type: 'refresh', userId: user.id, loginId, iat, exp: iat + 86400 },
  ]);
  const token = await ctx.v1Keys.codec.sign({ token_type: 'access', exp, iat, jti, user_id: user.id });
  return { header: `Bearer ${token}`, loginId, jti, exp };
}

export interface ApiOptions {
  json?: unknown;
  body?: string | Buffer;
  headers?: Record<string, string>;
}

/** One JSON API call with an Authorization header (or none when `auth` is null). */
export function api(t: TestApp, method: string, path: string, auth: string | null, opts: ApiOptions = {}): Promise<HttpResponse> {
  const headers = { ...(auth ? { authorization: auth } : {}), ...(opts.headers ?? {}) };
  return request(t.url, method, path, { json: opts.json, body: opts.body, headers });
}

/** The headers of admin.md §2.1 that every UI answer carries, and v1.md §0.13's nosniff. */
export function expectPageHeaders(r: HttpResponse): void {
  expect(r.headers.get('cache-control')).toBe('no-store');
  expect(r.headers.get('x-frame-options')).toBe('DENY');
  expect(r.headers.get('content-security-policy')).toBe("default-src 'self'; frame-ancestors 'none'; form-action 'self'");
  expect(r.headers.get('referrer-policy')).toBe('same-origin');
  expect(r.headers.get('x-content-type-options')).toBe('nosniff');
}

/** The text of a page with its tags removed, as a person reads it. */
export function textOf(r: HttpResponse): string {
  return r.text.replace(/<wbr>/g, '').replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
}

/** The value of the hidden CSRF field on a page. */
export function csrfOf(page: string): string {
  const m = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1];
}

export function form(fields: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

/** POSTs a form with the client's CSRF cookie as the token, as a browser submitting our page would. */
export function postForm(client: Client, path: string, fields: Record<string, string> = {}): Promise<HttpResponse> {
  const token = client.jar.csrftoken;
  return client.post(path, form({ csrfmiddlewaretoken: token ?? '', ...fields }));
}

/** A client logged in through /admin/login/. */
export async function uiLogin(t: TestApp, identifier: string, password = PASSWORD): Promise<Client> {
  const client = new Client(t.url);
  const page = await client.get('/admin/login/');
  expect(page.status).toBe(200);
  const r = await postForm(client, '/admin/login/', { username: identifier, password, next: '' });
  expect(r.status, r.text).toBe(302);
  return client;
}
