// The app an example file runs against, and what the examples need from it besides HTTP: the
// superusers `createsuperuser` would have made, the links it mailed, and the services and
// clients around it (an OpenID provider, a webhook receiver, an authenticator app, a browser
// with a passkey: clients.ts).
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, type TestApp } from '../../helpers/app.js';
import { providerEnv } from '../../helpers/oidc-idp.js';
import { readOutbox } from '../../helpers/smtp.js';
import { Clients } from './clients.js';
import { SHOWN_BASE, type ExampleFile, type Services } from './exchange.js';

export interface ExampleEnv {
  t: TestApp;
  clients: Clients;
  /** The services of the file with this run's origins (the provider's issuer, the receiver's). */
  services: Services;
  close(): Promise<void>;
}

/**
 * Every example runs with PUBLIC_URL at the shown address, so absolute URLs in bodies are the
 * ones the docs show. A file with a provider gets it configured as an operator would
 * (`OIDC_PROVIDERS`, `OIDC_<ID>_…`; its issuer is http on loopback, so `OIDC_ALLOW_HTTP`).
 */
export async function startExampleEnv(file: Pick<ExampleFile, 'settings' | 'superusers' | 'services'>): Promise<ExampleEnv> {
  const clients = new Clients();
  try {
    const origins = await clients.start(file.services ?? {});
    const services: Services = {};
    const settings: Record<string, string> = { PUBLIC_URL: SHOWN_BASE, ...file.settings };
    const p = file.services?.provider;
    if (p) {
      services.provider = { ...p, issuer: origins.issuer };
      Object.assign(settings, { OIDC_PROVIDERS: p.id, OIDC_ALLOW_HTTP: 'true' }, providerEnv(p.id, { issuer: origins.issuer!, clientId: p.clientId, clientSecret: p.clientSecret, name: p.name }));
    }
    if (file.services?.receiver) services.receiver = { ...file.services.receiver, origin: origins.receiver };
    const t = await startApp(settings);
    for (const s of file.superusers ?? []) {
      const r = await t.ctx.accounts.create({ email: s.email, username: s.username, password: s.password, isStaff: true, isSuperuser: true, isActive: true, emailVerified: false });
      if (!r.ok) {
        await t.close();
        throw new Error(`superuser ${s.email}: ${r.conflict} taken`);
      }
    }
    return {
      t,
      clients,
      services,
      async close() {
        await t.close();
        await clients.close();
      },
    };
  } catch (err) {
    await clients.close();
    throw err;
  }
}

/**
 * Group 1 of `find` in the newest mail to `to` that matches it and was not used before. Mail
 * goes out after the response (some only once the answer was sent), so this waits for it.
 */
export class MailReader {
  readonly #used = new Set<string>();
  constructor(private readonly t: TestApp) {}

  async value(to: string, find: string, timeoutMs = 10_000): Promise<string> {
    const re = new RegExp(find);
    const until = Date.now() + timeoutMs;
    for (;;) {
      await this.t.ctx.mailer.flush();
      const mails = await readOutbox(path.join(this.t.dataDir, 'outbox'));
      for (const m of mails.reverse()) {
        const hit = m.to.includes(to) && !this.#used.has(m.raw) ? re.exec(m.text) : null;
        if (hit) {
          this.#used.add(m.raw);
          return hit[1];
        }
      }
      if (Date.now() > until) throw new Error(`no mail to ${to} matching ${find}`);
      await sleep(50);
    }
  }
}
