// Shared pieces of the user-account black-box tests: an app with only this surface mounted,
// registration and login over HTTP, mail from the outbox, and tokens minted with the surface's
// own key (derived exactly as the server derives it) for the expiry and forgery cases.
import path from 'node:path';
import { SignJWT } from 'jose';
import { startApp, type TestApp } from '../../helpers/app.js';
import { request, type HttpResponse } from '../../helpers/http.js';
import { readOutbox, type ReceivedMail } from '../../helpers/smtp.js';

export const P = '/user_account';

export function startUa(env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({ SURFACES: 'user-account', ...env });
}

export function post(t: TestApp, route: string, json: unknown, headers: Record<string, string> = {}, cookies?: Record<string, string>): Promise<HttpResponse> {
  return request(t.url, 'POST', P + route, { json, headers, cookies });
}

export function get(t: TestApp, route: string, headers: Record<string, string> = {}, cookies?: Record<string, string>): Promise<HttpResponse> {
  return request(t.url, 'GET', P + route, { headers, cookies });
}

export interface Registered {
  username: string;
  pwd: string;
  email: string;
}

let seq = 0;
/** A unique name per call, so tests in one file never collide. */
export function uniqueName(prefix = 'user'): string {
  seq += 1;
  return `${prefix}${process.pid}x${seq}`;
}

export async function register(t: TestApp, over: Partial<Record<string, unknown>> = {}): Promise<Registered> {
  const username = (over.username as string) ?? uniqueName();
  const body = { username, full_name: 'Test User', email: `${username}@example.test`, pwd: 'pw-' + username, phone: null, contacts: null, ...over };
  const r = await post(t, '/registration', body);
  if (r.status !== 200) throw new Error(`registration failed: ${r.status} ${r.text}`);
  return { username, pwd: body.pwd as string, email: body.email as string };
}

export interface LoggedIn {
  token: string;
  csrf: string;
  res: HttpResponse;
}

export async function login(t: TestApp, username: string, pwd: string): Promise<LoggedIn> {
  const res = await post(t, '/login', { username, pwd });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  return { token: res.json.token, csrf: res.cookie('csrf_access_token') ?? '', res };
}

export async function registerAndLogin(t: TestApp, over: Partial<Record<string, unknown>> = {}): Promise<Registered & LoggedIn> {
  const u = await register(t, over);
  return { ...u, ...(await login(t, u.username, u.pwd)) };
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function surfaceKey(t: TestApp): Buffer {
  return t.ctx.secrets.derive('gatehouse/user-account/jwt');
}

/** A token shaped like the server's, with any claim overridden (undefined removes it). */
export async function mint(t: TestApp, over: Record<string, unknown>, key: Uint8Array = surfaceKey(t), header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { fresh: false, iat: now, jti: crypto.randomUUID(), type: 'access', sub: 1, nbf: now, csrf: crypto.randomUUID(), exp: now + 3600, ...over };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key);
}

export async function userNumber(t: TestApp, username: string): Promise<number> {
  const u = await t.ctx.accounts.byUsername(username);
  if (!u) throw new Error('no such user ' + username);
  return u.number;
}

/** Every mail the app has written to its outbox so far (no SMTP_URL), after the queue drains. */
export async function outbox(t: TestApp): Promise<ReceivedMail[]> {
  await t.ctx.mailer.flush();
  return readOutbox(path.join(t.dataDir, 'outbox'));
}

export function mailsTo(mails: ReceivedMail[], address: string, subject: string): ReceivedMail[] {
  return mails.filter((m) => m.to.some((to) => to.toLowerCase() === address.toLowerCase()) && m.subject === subject);
}

/** The token at the end of a mailed link. */
export function tokenOf(link: string): string {
  return link.slice(link.lastIndexOf('/') + 1);
}

/** Splits a Set-Cookie line into its name=value and attributes. */
export function cookieLine(res: HttpResponse, name: string): string | undefined {
  return res.setCookies.find((c) => c.startsWith(name + '='));
}
