// Mails about an account that more than one surface sends: the v1 password reset (v1 and the
// admin's "send reset mail"), email verification, and the notices after a password or email
// change. Tokens go only into the mail, never into a log or the audit.
import type { Config } from '../config.js';
import type { Kv } from '../kv/kv.js';
import type { User } from './accounts.js';
import type { EmailTokens } from './email-tokens.js';
import type { Mailer } from './mail.js';
import { renderMail } from './mail-templates.js';
import type { Metrics } from './metrics.js';
import { MICROS_PER_SECOND } from './time.js';

export const RESET_TTL_MICROS = 3600 * MICROS_PER_SECOND;
export const VERIFY_TTL_MICROS = 24 * 3600 * MICROS_PER_SECOND;
/** At most one reset (or verification) mail per account per minute (v1.md §5.4, §5.6). */
export const MAIL_INTERVAL_MS = 60_000;

export interface AccountMailDeps {
  config: Pick<Config, 'v1PasswordResetUrl' | 'publicUrl'>;
  kv: Kv;
  emailTokens: EmailTokens;
  mailer: Mailer;
  metrics: Metrics;
}

/** `sent`, or `limited` with the milliseconds until another may go, or `no_email`. */
export type MailOutcome = { status: 'sent' } | { status: 'limited'; retryAfterMs: number } | { status: 'no_email' };

function greeting(user: Pick<User, 'full_name' | 'username'>): string {
  const name = user.full_name || user.username;
  return name ? `Hello ${name},` : 'Hello,';
}

export class AccountMail {
  constructor(private readonly d: AccountMailDeps) {}

  /**
   * The v1 reset mail: a new single-use token (older ones voided), the link of
   * V1_PASSWORD_RESET_URL, at most one per account per minute. `base` is PUBLIC_URL or the
   * request's origin.
   */
  async sendV1Reset(user: User, base: string): Promise<MailOutcome> {
    if (!user.email) return { status: 'no_email' };
    const wait = await this.d.kv.claim(`mail:v1-reset:${user.number}`, MAIL_INTERVAL_MS);
    if (wait > 0) return { status: 'limited', retryAfterMs: wait };
    const token = await this.d.emailTokens.issue(user.number, 'v1-reset', { email: user.email, ttlMicros: RESET_TTL_MICROS, replaceOlder: true });
    const template = this.d.config.v1PasswordResetUrl ?? '{PUBLIC_URL}/v1/user/password/reset/confirm/?token={token}';
    const link = template.replaceAll('{PUBLIC_URL}', base).replaceAll('{token}', encodeURIComponent(token));
    this.send(user.email, 'Reset your password', 'v1-reset', {
      greeting: greeting(user),
      paragraphs: ['Someone asked to reset the password of your account. The link below is valid for one hour and can be used once.'],
      action: { label: 'Choose a new password', url: link },
      footer: 'If you did not ask for this, ignore this mail: your password stays as it is.',
    });
    return { status: 'sent' };
  }

  /** The v1 verification mail (v1.md §5.6): a 24 h token bound to the current address. */
  async sendV1Verification(user: User, base: string): Promise<MailOutcome> {
    if (!user.email) return { status: 'no_email' };
    const wait = await this.d.kv.claim(`mail:v1-verify:${user.number}`, MAIL_INTERVAL_MS);
    if (wait > 0) return { status: 'limited', retryAfterMs: wait };
    const token = await this.d.emailTokens.issue(user.number, 'v1-verify', { email: user.email, ttlMicros: VERIFY_TTL_MICROS });
    this.send(user.email, 'Verify your email address', 'v1-verify', {
      greeting: greeting(user),
      paragraphs: ['Please confirm that this is your email address. The link below is valid for 24 hours.'],
      action: { label: 'Verify my email address', url: `${base}/v1/user/email/verify/${token}/` },
    });
    return { status: 'sent' };
  }

  passwordChanged(user: User): void {
    if (!user.email) return;
    this.send(user.email, 'Your password was changed', 'password-changed', {
      greeting: greeting(user),
      paragraphs: ['The password of your account was just changed. Other sessions have been signed out.'],
      footer: 'If you did not do this, reset your password at once and contact the administrator.',
    });
  }

  /** Goes to the old address, so its owner learns of a change they may not have made. */
  emailChanged(user: User, oldEmail: string): void {
    this.send(oldEmail, 'Your email address was changed', 'email-changed', {
      greeting: greeting(user),
      paragraphs: [`The email address of your account was changed to ${user.email ?? 'none'}.`],
      footer: 'If you did not do this, contact the administrator.',
    });
  }

  private send(to: string, subject: string, purpose: string, content: Parameters<typeof renderMail>[0]): void {
    const { text, html } = renderMail(content);
    this.d.mailer.send({ to, subject, text, html });
    this.d.metrics.mails.inc({ purpose });
  }
}
