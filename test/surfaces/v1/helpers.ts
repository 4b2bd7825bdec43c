// Shared steps of the v1 black-box tests: a v1 app, users, and the three ways to hold a credential.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { Client, type HttpResponse, request } from '../../helpers/http.js';

export const V1 = '/v1/user/';
export const PASSWORD = 'Admin,123';

/** A v1-only app: the other surfaces are tested in their own files. */
export function startV1(env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({ SURFACES: 'v1', ...env });
}

export interface TestUser {
  email: string;
  username: string;
  password: string;
  id: string;
}

/** A fresh unique identity (not yet registered). */
export function identity(prefix = 'user'): { email: string; username: string; password: string } {
  const tag = randomBytes(5).toString('hex');
  return { email: `${prefix}-${tag}@example.com`, username: `${prefix}-${tag}`, password: PASSWORD };
}

export async function registerUser(url: string, prefix = 'user'): Promise<TestUser> {
  const who = identity(prefix);
  const r = await request(url, 'POST', V1 + 'register/', { json: { ...who, confirm_password: who.password } });
  expect(r.status, r.text).toBe(201);
  return { ...who, id: r.json.id };
}

export async function knoxLogin(url: string, user: Pick<TestUser, 'email' | 'password'>): Promise<string> {
  const r = await request(url, 'POST', V1 + 'login-knox/', { json: { email: user.email, password: user.password } });
  expect(r.status, r.text).toBe(200);
  return r.json.token;
}

/** A JWT login through a cookie-keeping client, so its session holds the refresh. */
export async function jwtLogin(client: Client, user: Pick<TestUser, 'email' | 'password'>): Promise<{ access: string; refresh: string }> {
  const r = await client.post(V1 + 'login-jwt/', { json: { email: user.email, password: user.password } });
  expect(r.status, r.text).toBe(200);
  return { access: r.json.access, refresh: r.json.refresh };
}

export const tokenHeader = (token: string) => ({ authorization: `Token ${token}` });
export const bearerHeader = (access: string) => ({ authorization: `Bearer ${access}` });

/** The claims of a JWT, decoded without checking it. */
export function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

export function headerOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8'));
}

/** Asserts a v1 JSON answer: status, exact body, and the JSON content type. */
export function expectJson(r: HttpResponse, status: number, body: unknown): void {
  expect({ status: r.status, body: r.json }, r.text).toEqual({ status, body });
  expect(r.headers.get('content-type')).toMatch(/^application\/json\b/);
}

export { Client, request };
export type { TestApp };
