// The app an example file runs against, and what the examples need from it besides HTTP: the
// superusers `createsuperuser` would have made, and the links it mailed.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApp, type TestApp } from '../../helpers/app.js';
import { readOutbox } from '../../helpers/smtp.js';
import { SHOWN_BASE, type ExampleFile } from './exchange.js';

/** Every example runs with PUBLIC_URL at the shown address, so absolute URLs in bodies are the ones the docs show. */
export async function startExampleApp(file: Pick<ExampleFile, 'settings' | 'superusers'>): Promise<TestApp> {
  const t = await startApp({ PUBLIC_URL: SHOWN_BASE, ...file.settings });
  for (const s of file.superusers ?? []) {
    const r = await t.ctx.accounts.create({ email: s.email, username: s.username, password: s.password, isStaff: true, isSuperuser: true, isActive: true, emailVerified: false });
    if (!r.ok) throw new Error(`superuser ${s.email}: ${r.conflict} taken`);
  }
  return t;
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
