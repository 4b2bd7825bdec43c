// Shared steps for the account tests: an app with only this surface (or with api-user too),
// users registered over HTTP, and the Token header.
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { type TestApp, startApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';

export function startAccount(env: Record<string, string> = {}): Promise<TestApp> {
  return startApp({ SURFACES: 'account', ...env });
}

export const PASSWORD = 'pass word';

export function token(key: string): Record<string, string> {
  return { authorization: `Token ${key}` };
}

let counter = 0;
export function names(): { username: string; email: string } {
  const tag = `${++counter}${randomBytes(3).toString('hex')}`;
  return { username: `user${tag}`, email: `user${tag}@example.com` };
}

/** A fresh user registered over HTTP, with the key registration returned. */
export async function freshUser(t: TestApp, password = PASSWORD): Promise<{ username: string; email: string; key: string; number: number }> {
  const n = names();
  const r = await request(t.url, 'POST', '/account/register', { json: { ...n, password } });
  expect(r.json?.success, r.text).toBe(true);
  const user = (await t.ctx.accounts.byUsername(n.username))!;
  return { ...n, key: r.json.token, number: user.number };
}

export const HEX40 = /^[0-9a-f]{40}$/;
