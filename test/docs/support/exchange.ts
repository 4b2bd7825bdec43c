// The API reference's examples as data: each is one HTTP exchange (a request as a client sent
// it, the response as the server gave it), kept in docs/api/examples/<surface>.json in the order
// they happened. The same client sends them when they are recorded (record.ts) and when the test
// replays them (api-examples.test.ts), so what the docs show is what went over the wire.
import http from 'node:http';
import { STATUS_CODES } from 'node:http';
import sharp from 'sharp';
import type { IdpAccount, IdpChoice } from '../../helpers/oidc-idp.js';

/** The address the examples are shown at: requests carry it as `Host`, and the app uses it as PUBLIC_URL. */
export const SHOWN_HOST = 'localhost:8000';
export const SHOWN_BASE = `http://${SHOWN_HOST}`;

/** Every request says this; session and audit listings show it. */
export const USER_AGENT = 'ExampleApp/1.0';

/** The boundary of every multipart body, so a recorded body is the same bytes each time. */
export const BOUNDARY = '----ExampleBoundary7MA4YWxkTrZu0gW';

/** A multipart part: a text field, or a file made of a generated PNG image. */
export interface Part {
  name: string;
  value?: string;
  file?: { filename: string; contentType: 'image/png'; width: number; height: number };
}

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** The headers the client chose (Host and User-Agent are always sent too). */
  headers: Record<string, string>;
  json?: unknown;
  multipart?: Part[];
}

/** Response headers worth showing to an integrator (the rest are left out of the docs). */
export const SHOWN_RESPONSE_HEADERS = ['Content-Type', 'Location', 'WWW-Authenticate', 'Retry-After', 'Link', 'Set-Cookie'] as const;

export interface RecordedResponse {
  status: number;
  headers: Record<string, string | string[]>;
  /** A JSON body. */
  json?: unknown;
  /** A body that is not JSON: only its size (images) or kind is kept. */
  binary?: number;
  html?: true;
}

/** A mailed link that the request after it uses: the newest mail to `to` whose text matches `find` (group 1 is the value). */
export interface MailCapture {
  to: string;
  find: string;
  value: string;
}

/**
 * A part of a request that a client makes afresh on every run, so a replay cannot send the
 * recorded one: it makes it again the same way (the recorded value is what the docs show).
 * `field` is a key of the JSON body; the recorded values named here (a secret, an exchange id)
 * are those of the recording, which a replay reads through its bindings.
 */
export type Fresh =
  /** The code an authenticator app holding `totp` (the secret) shows: the earliest time step the server has not taken. */
  | { field: string; totp: string }
  /** Six digits the authenticator app holding `wrongCode` (the secret) does not show near now. */
  | { field: string; wrongCode: string }
  /** credential.toJSON() of a passkey ceremony in the browser, given the options that exchange `options` answered (its key `at`, or the whole body). */
  | { field: string; passkey: 'create' | 'get'; options: string; at?: string }
  /** What exchange `sameAs` sent in this field (a client sending it again). */
  | { field: string; sameAs: string }
  /** The request's path: where the provider sends the browser back once it opened the authorization URL of exchange `from` (its Location, or its body's key `at`) and the person chose `choice`. */
  | { path: 'provider-return'; from: string; at?: string; choice: IdpChoice };

export interface Exchange {
  /** Unique within the surface: `<!-- example <surface>/<id> -->` shows it in the markdown. */
  id: string;
  /** The OpenAPI operation it exercises (null for a path no operation serves). */
  operationId: string | null;
  /** A step the docs do not show (setting the stage for the next ones). */
  hidden?: true;
  mail?: MailCapture;
  /** Made afresh by the client on each run (see Fresh). */
  fresh?: Fresh[];
  /** Sent once the webhook deliveries have settled: none due, none in flight. */
  settle?: true;
  request: RecordedRequest;
  response: RecordedResponse;
}

/** The OpenID provider of an example file: a real one (test/helpers/oidc-idp.ts) on a loopback port. */
export interface ProviderSetup {
  /** Gatehouse's id of the provider (`OIDC_PROVIDERS`). */
  id: string;
  name: string;
  clientId: string;
  clientSecret: string;
  accounts: IdpAccount[];
  /** The issuer of the recording run (an `http://127.0.0.1:<port>` origin); a replay binds it to its own. */
  issuer?: string;
}

/** The webhook receiver of an example file, on a loopback port: it answers 503 to its first `failFirst` requests, then 200. */
export interface ReceiverSetup {
  failFirst: number;
  /** Its origin in the recording run; a replay binds it to its own. */
  origin?: string;
}

/** What the examples talk to besides Gatehouse. */
export interface Services {
  provider?: ProviderSetup;
  receiver?: ReceiverSetup;
}

export interface ExampleFile {
  surface: string;
  /** Settings of the app the exchanges ran against (beyond the test defaults). */
  settings: Record<string, string>;
  /** Staff accounts that exist before the first exchange (the admin's, made by `createsuperuser`). */
  superusers?: Array<{ email: string; username: string; password: string }>;
  services?: Services;
  exchanges: Exchange[];
}

const images = new Map<string, Buffer>();

/** A plain PNG of the given size: the same bytes for the same size. */
async function pngOf(width: number, height: number): Promise<Buffer> {
  const key = `${width}x${height}`;
  let png = images.get(key);
  if (!png) {
    png = await sharp({ create: { width, height, channels: 3, background: { r: 74, g: 144, b: 226 } } }).png().toBuffer();
    images.set(key, png);
  }
  return png;
}

async function multipartBody(parts: Part[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (p.file) {
      chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.file.filename}"\r\nContent-Type: ${p.file.contentType}\r\n\r\n`));
      chunks.push(await pngOf(p.file.width, p.file.height));
      chunks.push(Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value ?? ''}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

/** The JSON text a request carries (indented, as the docs show it). */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** What a client gives: the request without the Content-Type the body implies. */
export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  json?: unknown;
  multipart?: Part[];
}

/** The request as it will be recorded: Content-Type added for a body. */
export function completeRequest(spec: RequestSpec): RecordedRequest {
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  if (spec.json !== undefined && !hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
  if (spec.multipart && !hasHeader(headers, 'content-type')) headers['Content-Type'] = `multipart/form-data; boundary=${BOUNDARY}`;
  const out: RecordedRequest = { method: spec.method, path: spec.path, headers };
  if (spec.json !== undefined) out.json = spec.json;
  if (spec.multipart) out.multipart = spec.multipart;
  return out;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((h) => h.toLowerCase() === name);
}

/** Sends `req` to the app listening at `url` (its Host header says SHOWN_HOST) and records the answer. */
export async function send(url: string, req: RecordedRequest): Promise<{ response: RecordedResponse; text: string }> {
  const body = req.json !== undefined ? Buffer.from(jsonText(req.json)) : req.multipart ? await multipartBody(req.multipart) : undefined;
  const target = new URL(req.path, url);
  const headers: Record<string, string> = { Host: SHOWN_HOST, 'User-Agent': USER_AGENT, ...req.headers };
  if (body) headers['Content-Length'] = String(body.length);
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const r = http.request({ host: target.hostname, port: target.port, path: req.path, method: req.method, headers, agent: false }, resolve);
    r.on('error', reject);
    r.end(body);
  });
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const text = raw.toString('utf8');
  const response: RecordedResponse = { status: res.statusCode ?? 0, headers: shownHeaders(res) };
  const type = String(res.headers['content-type'] ?? '');
  if (raw.length > 0) {
    if (/^application\/json\b/.test(type)) response.json = JSON.parse(text);
    else if (type.startsWith('text/html')) response.html = true;
    else response.binary = raw.length;
  }
  return { response, text };
}

function shownHeaders(res: http.IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of SHOWN_RESPONSE_HEADERS) {
    const v = res.headers[name.toLowerCase()];
    if (v !== undefined) out[name] = v;
  }
  return out;
}

export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}
