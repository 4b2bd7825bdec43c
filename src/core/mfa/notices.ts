// The mail notices of two-factor changes (mfa.md §1 "Mail notices"), sent only when the account
// has an email. They tell the owner that something changed; they never hold a secret or a code.
import type { User } from '../accounts.js';
import type { Mailer } from '../mail.js';
import { renderMail } from '../mail-templates.js';
import type { Metrics } from '../metrics.js';

export const MFA_SUBJECTS = {
  enabled: 'Two-factor authentication was turned on',
  disabled: 'Two-factor authentication was turned off',
  recoveryCodes: 'New recovery codes were made',
  recoveryCodeUsed: 'A recovery code was used to sign in',
} as const;

type Recipient = Pick<User, 'email' | 'full_name' | 'username'>;

const UNKNOWN_ACTOR = 'If you did not do this, reset your password at once and contact the administrator.';

function greeting(user: Recipient): string {
  const name = user.full_name || user.username;
  return name ? `Hello ${name},` : 'Hello,';
}

function codesLeft(n: number): string {
  return n === 1 ? 'You have 1 recovery code left.' : `You have ${n} recovery codes left.`;
}

export class MfaNotices {
  constructor(private readonly mailer: Mailer, private readonly metrics: Metrics) {}

  enabled(user: Recipient): void {
    this.send(user, MFA_SUBJECTS.enabled, 'mfa-enabled', [
      'Two-factor authentication was turned on for your account. Signing in now asks for a code from your authenticator app after your password.',
      'Keep your recovery codes somewhere safe: each one lets you sign in once without the app. Other sessions have been signed out.',
    ]);
  }

  /** `byAdmin`: an administrator turned it off (admin reset), not the user. */
  disabled(user: Recipient, byAdmin = false): void {
    this.send(user, MFA_SUBJECTS.disabled, 'mfa-disabled', [
      byAdmin
        ? 'An administrator turned off two-factor authentication for your account. Signing in now asks for your password only.'
        : 'Two-factor authentication was turned off for your account. Signing in now asks for your password only.',
    ]);
  }

  recoveryCodesMade(user: Recipient): void {
    this.send(user, MFA_SUBJECTS.recoveryCodes, 'mfa-recovery-codes', [
      'A new set of recovery codes was made for your account. The codes you had before no longer work.',
    ]);
  }

  recoveryCodeUsed(user: Recipient, left: number): void {
    this.send(user, MFA_SUBJECTS.recoveryCodeUsed, 'mfa-recovery-code-used', [
      `A recovery code was just used to sign in to your account. It cannot be used again. ${codesLeft(left)}`,
      left <= 3 ? 'Make a new set of recovery codes soon, so that you are never left without a way in.' : 'You can make a new set of recovery codes at any time.',
    ]);
  }

  private send(user: Recipient, subject: string, purpose: string, paragraphs: string[]): void {
    if (!user.email) return;
    const { text, html } = renderMail({ greeting: greeting(user), paragraphs, footer: UNKNOWN_ACTOR });
    this.mailer.send({ to: user.email, subject, text, html });
    this.metrics.mails.inc({ purpose });
  }
}
