// A small HTTP client for black-box tests: exact status, headers and body, cookies kept by name.
export interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: any;
  setCookies: string[];
  cookie(name: string): string | undefined;
}

export interface RequestOptions {
  json?: unknown;
  body?: string | Buffer | FormData | URLSearchParams;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
}

export async function request(base: string, method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  let body: any = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  if (opts.cookies && Object.keys(opts.cookies).length) {
    headers.cookie = Object.entries(opts.cookies).map(([k, v]) => `${k}=${v}`).join('; ');
  }
  const res = await fetch(base + path, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const setCookies = res.headers.getSetCookie();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json,
    setCookies,
    cookie(name: string) {
      const c = setCookies.find((s) => s.startsWith(name + '='));
      return c === undefined ? undefined : c.slice(name.length + 1).split(';')[0];
    },
  };
}

/** A client bound to one base URL that keeps cookies across requests, like a browser. */
export class Client {
  readonly jar: Record<string, string> = {};
  constructor(readonly base: string, readonly defaultHeaders: Record<string, string> = {}) {}

  async send(method: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const res = await request(this.base, method, path, {
      ...opts,
      headers: { ...this.defaultHeaders, ...(opts.headers ?? {}) },
      cookies: { ...this.jar, ...(opts.cookies ?? {}) },
    });
    for (const c of res.setCookies) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1);
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') delete this.jar[name];
      else this.jar[name] = value;
    }
    return res;
  }

  get(path: string, opts?: RequestOptions) { return this.send('GET', path, opts); }
  post(path: string, opts?: RequestOptions) { return this.send('POST', path, opts); }
  put(path: string, opts?: RequestOptions) { return this.send('PUT', path, opts); }
  delete(path: string, opts?: RequestOptions) { return this.send('DELETE', path, opts); }
}
