// The notices a user gets when the set of passkeys on their account changes (passkeys.md §2.2,
// §2.3), so that a passkey added or removed by someone else does not go unnoticed.
import type { User } from '../accounts.js';
import type { Mailer } from '../mail.js';
import { renderMail } from '../mail-templates.js';
import type { Metrics } from '../metrics.js';

function greeting(user: Pick<User, 'full_name' | 'username'>): string {
  const name = user.full_name || user.username;
  return name ? `Hello ${name},` : 'Hello,';
}

export class PasskeyMail {
  constructor(private readonly mailer: Mailer, private readonly metrics: Pick<Metrics, 'mails'>) {}

  added(user: User, passkeyName: string): void {
    this.send(user, 'A passkey was added to your account', 'passkey-added', `A passkey named "${passkeyName}" was added to your account. It can now be used to sign in.`);
  }

  removed(user: User, passkeyName: string): void {
    this.send(user, 'A passkey was removed from your account', 'passkey-removed', `The passkey named "${passkeyName}" was removed from your account. It can no longer be used to sign in.`);
  }

  private send(user: User, subject: string, purpose: string, paragraph: string): void {
    if (!user.email) return;
    const { text, html } = renderMail({
      greeting: greeting(user),
      paragraphs: [paragraph],
      footer: 'If you did not do this, change your password at once and contact the administrator.',
    });
    this.mailer.send({ to: user.email, subject, text, html });
    this.metrics.mails.inc({ purpose });
  }
}
