// One origin in front of a running Gatehouse, for browser tests that need a page of Gatehouse's
// own origin (passkeys are bound to it) without adding a test route to the product: a tiny HTTP
// proxy on 127.0.0.1 serves the test's pages at their paths and hands every other request, with
// its Host header and body unchanged, to Gatehouse. The browser opens it as
// http://localhost:<port> (Chromium takes `localhost`, not an IP address, as a passkey RP ID), so
// Gatehouse sees `Host: localhost:<port>` and derives its relying party from that.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OneOrigin {
  /** `http://localhost:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** `pages`: path → HTML, answered to GET; everything else goes to `target` (e.g. `http://127.0.0.1:1234`). */
export async function startOneOrigin(target: string, pages: Record<string, string>): Promise<OneOrigin> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const page = pages[path];
    if (page !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
      return;
    }
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
