// A browser-like client for the `users` surface: it keeps cookies, fetches the CSRF cookie the
// way a page would, and sends it back in X-CSRFToken on unsafe requests.
import { expect } from 'vitest';
import { Client, type HttpResponse, type RequestOptions } from '../../helpers/http.js';

export const PASSWORD = 'Tr0ub4dor&3-horse';

export class UsersClient extends Client {
  /** GET /get-csrf-token/, as a page does before its first POST. */
  async csrf(): Promise<string> {
    const r = await this.get('/get-csrf-token/');
    expect(r.status).toBe(200);
    return this.jar.csrftoken;
  }

  /** An unsafe request carrying the CSRF cookie in X-CSRFToken (fetched first when missing). */
  async unsafe(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    if (!this.jar.csrftoken) await this.csrf();
    return this.send(method, path, { ...opts, headers: { 'x-csrftoken': this.jar.csrftoken, ...(opts.headers ?? {}) } });
  }

  register(username: string, password = PASSWORD): Promise<HttpResponse> {
    return this.unsafe('POST', '/users/register/', { json: { username, password1: password, password2: password } });
  }

  login(username: string, password = PASSWORD): Promise<HttpResponse> {
    return this.unsafe('POST', '/users/login/', { json: { username, password } });
  }

  logout(): Promise<HttpResponse> {
    return this.unsafe('POST', '/users/logout/');
  }

  /** Multipart upload of `data` as the `avatar` file part named `filename`. */
  uploadAvatar(data: Buffer, filename: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const form = new FormData();
    for (const [k, v] of Object.entries(extra)) form.append(k, v);
    form.append('avatar', new Blob([new Uint8Array(data)]), filename);
    return this.unsafe('POST', '/users/avatar/', { body: form, headers });
  }
}

/** A registered and logged-in client. */
export async function loggedIn(base: string, username: string): Promise<UsersClient> {
  const c = new UsersClient(base);
  expect((await c.register(username)).status).toBe(201);
  expect((await c.login(username)).status).toBe(200);
  return c;
}

/** The attributes of the Set-Cookie for `name`, lower-cased keys (`max-age`, `httponly`, ...). */
export function cookieAttrs(r: HttpResponse, name: string): Record<string, string> | undefined {
  const line = r.setCookies.find((c) => c.startsWith(name + '='));
  if (line === undefined) return undefined;
  const [pair, ...attrs] = line.split(';');
  const out: Record<string, string> = { value: pair.slice(name.length + 1) };
  for (const a of attrs) {
    const eq = a.indexOf('=');
    const key = (eq < 0 ? a : a.slice(0, eq)).trim().toLowerCase();
    out[key] = eq < 0 ? '' : a.slice(eq + 1).trim();
  }
  return out;
}

export const CSRF_FAILED = 'CSRF verification failed. Request aborted.';
export const NOT_FOUND = '{"error":"Page not found."}';
