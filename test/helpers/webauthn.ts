// A real WebAuthn client for tests: Chromium with a CDP virtual authenticator, on a small page
// served by a local HTTP server. The page turns the server's options JSON into a ceremony with
// PublicKeyCredential.parse…OptionsFromJSON() and navigator.credentials, and hands back
// credential.toJSON(), exactly as a browser front end would.
//
// Chromium refuses IP addresses as RP IDs ("This is an invalid domain"), so the server listens
// on 127.0.0.1 and the page is opened as http://localhost:<port> (a secure context); a second
// page server gives a second, different origin on the same RP ID.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { type TestBrowser, type VirtualAuthenticator, type VirtualAuthenticatorOptions, addVirtualAuthenticator } from './browser.js';

/** The test page: it runs a ceremony on the options JSON it is given and hands back credential.toJSON(). */
export const PASSKEY_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Passkey test page</title></head>
<body>
<script>
async function ceremony(run) {
  try {
    const credential = await run();
    return { ok: true, credential: credential.toJSON() };
  } catch (e) {
    return { ok: false, error: e.name + ': ' + e.message };
  }
}
window.createPasskey = (json) => ceremony(() =>
  navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) }));
window.getPasskey = (json) => ceremony(() =>
  navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json) }));
</script>
</body></html>
`;

export interface PasskeyPageServer {
  /** `http://localhost:<port>`: the origin the browser sees. */
  origin: string;
  close(): Promise<void>;
}

/** Serves the test page on 127.0.0.1 at a free port. */
export async function startPasskeyPage(): Promise<PasskeyPageServer> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PASSKEY_PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export class CeremonyError extends Error {}

/** One browser tab with its own authenticator. */
export interface PasskeyClient {
  page: Page;
  authenticator: VirtualAuthenticator;
  /** Opens the test page at `origin` (the authenticator and its credentials stay). */
  goto(origin: string): Promise<void>;
  /** navigator.credentials.create() with these options → credential.toJSON(); throws CeremonyError when the browser refuses. */
  create(options: unknown): Promise<any>;
  /** navigator.credentials.get() with these options → credential.toJSON(); throws CeremonyError when the browser refuses. */
  get(options: unknown): Promise<any>;
  /** Swaps in a fresh authenticator (no credentials), e.g. to register another passkey. */
  replaceAuthenticator(options?: VirtualAuthenticatorOptions): Promise<VirtualAuthenticator>;
  close(): Promise<void>;
}

export async function openPasskeyClient(browser: TestBrowser, origin: string, options: VirtualAuthenticatorOptions = {}): Promise<PasskeyClient> {
  const page = await browser.context.newPage();
  let authenticator = await addVirtualAuthenticator(page, options);
  const run = async (fn: 'createPasskey' | 'getPasskey', json: unknown) => {
    const r = await page.evaluate(([name, arg]) => (window as any)[name](arg), [fn, json] as const);
    if (!r.ok) throw new CeremonyError(r.error);
    return r.credential;
  };
  const client: PasskeyClient = {
    page,
    get authenticator() {
      return authenticator;
    },
    async goto(o) {
      await page.goto(`${o}/`);
    },
    create: (json) => run('createPasskey', json),
    get: (json) => run('getPasskey', json),
    async replaceAuthenticator(opts = options) {
      await authenticator.remove();
      authenticator = await addVirtualAuthenticator(page, opts);
      return authenticator;
    },
    async close() {
      await page.close().catch(() => {});
    },
  };
  await client.goto(origin);
  return client;
}
