// What an integrating app and its users hold besides Gatehouse, for the examples that need it:
// an authenticator app (TOTP codes computed with otplib from the secret, as a phone computes
// them), a browser with a passkey (Chromium with a CDP virtual authenticator on a page at the
// shown address), the browser's trip through a real OpenID provider (test/helpers/oidc-idp.ts),
// and a webhook receiver. Recording and replay use the same clients the same way, so a value
// that cannot be the same twice (a TOTP code, a WebAuthn signature, a provider's authorization
// code) is made afresh by the replay exactly as the scenario made it (exchange.ts: Fresh).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { generate } from 'otplib';
import { nowMicros } from '../../../src/core/time.js';
import type { TestApp } from '../../helpers/app.js';
import { openBrowser, type TestBrowser } from '../../helpers/browser.js';
import { startIdp, type TestIdp } from '../../helpers/oidc-idp.js';
import { PASSKEY_PAGE, type PasskeyClient, openPasskeyClient } from '../../helpers/webauthn.js';
import { type Fresh, type ProviderSetup, type ReceiverSetup, type RecordedRequest, type RecordedResponse, SHOWN_BASE } from './exchange.js';

const TOTP_PERIOD = 30;

function nowStep(): number {
  return Math.floor(Date.now() / 1000 / TOTP_PERIOD);
}

/** A webhook receiver on a loopback port: 503 to its first `failFirst` requests, then 200. */
class WebhookReceiver {
  received = 0;
  readonly #server: http.Server;

  constructor(failFirst: number) {
    this.#server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.received += 1;
        if (this.received <= failFirst) res.writeHead(503, { 'content-type': 'text/plain' }).end('busy, try again later');
        else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** Where earlier exchanges of the same run are looked up, and how a recorded value reads in this run. */
export interface RunSoFar {
  /** The request exchange `id` sent in this run. */
  sent(id: string): RecordedRequest;
  /** The answer exchange `id` got in this run. */
  answer(id: string): RecordedResponse;
  /** A recorded value as this run has it (the replay's bindings; the recording's own values). */
  actual(recorded: string): string;
}

export class Clients {
  idp?: TestIdp;
  /** The provider's callback, where the provider sends the browser back. */
  #returnTo?: string;
  #receiver?: WebhookReceiver;
  #browser?: TestBrowser;
  #passkeys?: PasskeyClient;
  /** Per TOTP secret, the highest time step the server has taken. */
  readonly #floors = new Map<string, number>();

  /** Starts the provider and the receiver an example file needs; their origins in this run. */
  async start(setup: { provider?: ProviderSetup; receiver?: ReceiverSetup }): Promise<{ issuer?: string; receiver?: string }> {
    const out: { issuer?: string; receiver?: string } = {};
    if (setup.provider) {
      const p = setup.provider;
      this.idp = await startIdp();
      this.#returnTo = `${SHOWN_BASE}/v1/user/oauth/${p.id}/callback/`;
      this.idp.addClient({ client_id: p.clientId, client_secret: p.clientSecret, redirect_uris: [this.#returnTo] });
      for (const a of p.accounts) this.idp.addAccount(a);
      out.issuer = this.idp.issuer;
    }
    if (setup.receiver) {
      this.#receiver = new WebhookReceiver(setup.receiver.failFirst);
      out.receiver = await this.#receiver.start();
    }
    return out;
  }

  /** The code an authenticator app shows for `secret`: this step, or the next one once this one was taken. */
  async totp(secret: string): Promise<string> {
    const now = nowStep();
    const floor = this.#floors.get(secret) ?? -1;
    const step = floor < now ? now : now + 1;
    if (step <= floor) throw new Error('no TOTP step left: the scenario needs a recovery code here');
    this.#floors.set(secret, step);
    return generate({ secret, epoch: step * TOTP_PERIOD });
  }

  /** Six digits that no step near now has for `secret`. */
  async wrongCode(secret: string): Promise<string> {
    const now = nowStep();
    const near = new Set(await Promise.all([-2, -1, 0, 1, 2].map((d) => generate({ secret, epoch: (now + d) * TOTP_PERIOD }))));
    for (let i = 0; ; i++) {
      const candidate = String(123456 + i * 7919).slice(-6);
      if (!near.has(candidate)) return candidate;
    }
  }

  /** A passkey ceremony in the browser, on a page at the shown address (the relying party's origin). */
  async passkey(ceremony: 'create' | 'get', options: unknown): Promise<unknown> {
    if (!this.#passkeys) {
      this.#browser = await openBrowser();
      await this.#browser.context.route(`${SHOWN_BASE}/`, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: PASSKEY_PAGE }));
      this.#passkeys = await openPasskeyClient(this.#browser, SHOWN_BASE);
    }
    return ceremony === 'create' ? this.#passkeys.create(options) : this.#passkeys.get(options);
  }

  /** The browser opens the authorization URL, the person signs in (or cancels) at the provider, and is sent back: that path and query. */
  async providerReturn(authorizationUrl: string, choice: Parameters<TestIdp['authorize']>[1]): Promise<string> {
    if (!this.idp || !this.#returnTo) throw new Error('no provider in this example file');
    const back = await this.idp.authorize(authorizationUrl, choice, this.#returnTo);
    return back.pathname + back.search;
  }

  /** Waits until no webhook delivery is due or in flight (each due one was attempted and its outcome saved). */
  async settle(t: TestApp, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      // The service's own clock (monotonic, from the process start), which can run a little ahead
      // of Date.now(): a delivery due "now" by it looked not yet due by the wall clock.
      const now = nowMicros();
      const busy = await t.ctx.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where((eb) => eb.or([eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]), eb('lease_until', '>', now)]))
        .executeTakeFirst();
      if (!busy) return;
      if (Date.now() > until) throw new Error('webhook deliveries did not settle');
      await sleep(50);
    }
  }

  /** The request with its fresh parts made for this run. */
  async refresh(request: RecordedRequest, fresh: readonly Fresh[], run: RunSoFar): Promise<RecordedRequest> {
    const out: RecordedRequest = { ...request };
    const body = request.json !== undefined ? { ...(request.json as Record<string, unknown>) } : undefined;
    for (const f of fresh) {
      if ('path' in f) {
        const from = run.answer(f.from);
        const url = f.at ? String((from.json as Record<string, unknown>)[f.at]) : String(from.headers.Location);
        out.path = await this.providerReturn(url, f.choice);
        continue;
      }
      if (!body) throw new Error(`a fresh ${f.field} for a request without a JSON body`);
      if ('totp' in f) body[f.field] = await this.totp(run.actual(f.totp));
      else if ('wrongCode' in f) body[f.field] = await this.wrongCode(run.actual(f.wrongCode));
      else if ('passkey' in f) {
        const answered = run.answer(f.options).json as Record<string, unknown>;
        body[f.field] = await this.passkey(f.passkey, f.at ? answered[f.at] : answered);
      } else body[f.field] = (run.sent(f.sameAs).json as Record<string, unknown>)[f.field];
    }
    if (body) out.json = body;
    return out;
  }

  async close(): Promise<void> {
    await this.#passkeys?.close();
    await this.#browser?.close();
    await this.idp?.close();
    await this.#receiver?.close();
  }
}
