// Shared steps for the api-user tests: an app with only this surface, users made over HTTP,
// tokens forged with jose (the right key or a wrong one), and hand-built multipart bodies.
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { expect } from 'vitest';
import { type TestApp, startApp } from '../../helpers/app.js';
import { type HttpResponse, request } from '../../helpers/http.js';

export function startApiUser(env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({ SURFACES: 'api-user', ...env });
}

export const PASSWORD = 'correct horse';

export async function register(t: TestApp, email: string, password = PASSWORD, fullName = 'Test User'): Promise<HttpResponse> {
  const r = await request(t.url, 'POST', '/api/user/register', { json: { email, full_name: fullName, password } });
  expect(r.status, r.text).toBe(201);
  return r;
}

export async function login(t: TestApp, email: string, password = PASSWORD): Promise<{ access: string; refresh: string; user: any }> {
  const r = await request(t.url, 'POST', '/api/user/login', { json: { email, password } });
  expect(r.status, r.text).toBe(200);
  return { access: r.json.tokens.access, refresh: r.json.tokens.refresh, user: r.json.data };
}

let counter = 0;
/** A fresh registered and logged-in user. */
export async function freshUser(t: TestApp): Promise<{ email: string; id: string; access: string; refresh: string; user: any }> {
  const email = `user${++counter}-${randomBytes(3).toString('hex')}@example.com`;
  const r = await register(t, email);
  const tokens = await login(t, email);
  return { email, id: r.json.id, ...tokens };
}

/**
 * Opens `n` kept-alive connections first, so `n` parallel requests that follow arrive at the
 * same moment instead of one connection set-up apart: a race test then really races.
 */
export async function warmSockets(base: string, path: string, n = 20): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => request(base, 'OPTIONS', path)));
}

export function jwt(token: string): Record<string, string> {
  return { authorization: `JWT ${token}` };
}

/** This surface's real signing key, for tokens the server would have signed itself. */
export function surfaceKey(t: TestApp, surface = 'api-user'): Uint8Array {
  return t.ctx.secrets.derive(`gatehouse/${surface}/jwt`);
}

export async function forge(claims: Record<string, unknown>, key: Uint8Array, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

export function decodePart(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index], 'base64url').toString('utf8'));
}

export function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

export function tokenNotValid(message: string) {
  return { detail: 'Given token not valid for any token type', code: 'token_not_valid', messages: [{ token_class: 'AccessToken', token_type: 'access', message }] };
}

// ---- multipart bodies built by hand, so empty filenames and odd parts are exactly as written ----

export type Part = { name: string; value: string } | { name: string; filename: string; data: Buffer; type?: string };

export function multipart(parts: Part[]): { body: Buffer; headers: Record<string, string> } {
  const boundary = `----gatehouse${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const disposition = 'filename' in p ? `form-data; name="${p.name}"; filename="${p.filename}"` : `form-data; name="${p.name}"`;
    const type = 'filename' in p ? `\r\nContent-Type: ${p.type ?? 'application/octet-stream'}` : '';
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}${type}\r\n\r\n`, 'utf8'));
    chunks.push('filename' in p ? p.data : Buffer.from(p.value, 'utf8'));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

export function withHeaders(mp: { body: Buffer; headers: Record<string, string> }, extra: Record<string, string>) {
  return { body: mp.body, headers: { ...mp.headers, ...extra } };
}
