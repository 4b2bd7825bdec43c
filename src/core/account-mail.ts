// Every mail about an account: the v1 password reset (v1 and the admin's "send reset mail"), the
// v1 email verification, user-account's confirmation and reset, and the notices after a
// password or email change. Tokens go only into the mail, never into a log or the audit.
//
// Links start with one base (v1.md §0.11): PUBLIC_URL, else the listening address. Nothing the
// request says (Host, X-Forwarded-Host, Origin) can point a reset link at another site.
import type { Config } from '../config.js';
import type { Kv } from '../kv/kv.js';
import type { User } from './accounts.js';
import type { EmailTokenPurpose, EmailTokens } from './email-tokens.js';
import type { Mailer } from './mail.js';
import { type MailContent, renderMail } from './mail-templates.js';
import type { Metrics } from './metrics.js';
import { MICROS_PER_MINUTE, MICROS_PER_SECOND } from './time.js';

export const RESET_TTL_MICROS = 3600 * MICROS_PER_SECOND;
export const VERIFY_TTL_MICROS = 24 * 3600 * MICROS_PER_SECOND;
/** user-account's tokens live 10 minutes (user-account.md §4). */
export const UA_TOKEN_TTL_MICROS = 10 * MICROS_PER_MINUTE;
/** At most one reset (or verification) mail per account per minute (v1.md §5.4, §5.6, user-account.md §4). */
export const MAIL_INTERVAL_MS = 60_000;

/** Where links in mail start (v1.md §0.11), without a trailing slash. */
export interface LinkBase {
  (): string;
}

/**
 * PUBLIC_URL, else `http://<HOST>:<port>` of the listening socket (`localhost` for a wildcard
 * address). `listening` gives the bound address once the server listens.
 */
export function linkBaseOf(publicUrl: string | null, host: string, listening: () => { address: string; port: number } | null, configuredPort: number): LinkBase {
  return () => {
    if (publicUrl) return publicUrl;
    const bound = listening();
    const port = bound?.port ?? configuredPort;
    const name = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    return `http://${name}:${port}`;
  };
}

export interface AccountMailDeps {
  config: Pick<Config, 'v1PasswordResetUrl'>;
  linkBase: LinkBase;
  kv: Kv;
  emailTokens: EmailTokens;
  mailer: Mailer;
  metrics: Metrics;
}

/** `sent`, or `limited` with the milliseconds until another may go, or `no_email`. */
export type MailOutcome = { status: 'sent' } | { status: 'limited'; retryAfterMs: number } | { status: 'no_email' };

const SENT: MailOutcome = { status: 'sent' };
const NO_EMAIL: MailOutcome = { status: 'no_email' };

function greeting(user: Pick<User, 'full_name' | 'username'>): string {
  const name = user.full_name || user.username;
  return name ? `Hello ${name},` : 'Hello,';
}

export class AccountMail {
  constructor(private readonly d: AccountMailDeps) {}

  /** The base every mailed link starts with. */
  linkBase(): string {
    return this.d.linkBase();
  }

  /**
   * The v1 reset mail: a new single-use token (older ones voided), the link of
   * V1_PASSWORD_RESET_URL, at most one per account per minute.
   */
  async sendV1Reset(user: User): Promise<MailOutcome> {
    if (!user.email) return NO_EMAIL;
    const wait = await this.claim('v1-reset', user);
    if (wait > 0) return { status: 'limited', retryAfterMs: wait };
    const token = await this.d.emailTokens.issue(user.number, 'v1-reset', { email: user.email, ttlMicros: RESET_TTL_MICROS, replaceOlder: true });
    const template = this.d.config.v1PasswordResetUrl ?? '{PUBLIC_URL}/v1/user/password/reset/confirm/?token={token}';
    const link = template.replaceAll('{PUBLIC_URL}', this.d.linkBase()).replaceAll('{token}', encodeURIComponent(token));
    this.send(user.email, 'Reset your password', 'v1-reset', {
      greeting: greeting(user),
      paragraphs: ['Someone asked to reset the password of your account. The link below is valid for one hour and can be used once.'],
      action: { label: 'Choose a new password', url: link },
      footer: 'If you did not ask for this, ignore this mail: your password stays as it is.',
    });
    return SENT;
  }

  /** The v1 verification mail (v1.md §5.6): a 24 h token bound to the current address. */
  async sendV1Verification(user: User): Promise<MailOutcome> {
    if (!user.email) return NO_EMAIL;
    const wait = await this.claim('v1-verify', user);
    if (wait > 0) return { status: 'limited', retryAfterMs: wait };
    const token = await this.d.emailTokens.issue(user.number, 'v1-verify', { email: user.email, ttlMicros: VERIFY_TTL_MICROS });
    this.send(user.email, 'Verify your email address', 'v1-verify', {
      greeting: greeting(user),
      paragraphs: ['Please confirm that this is your email address. The link below is valid for 24 hours.'],
      action: { label: 'Verify my email address', url: `${this.d.linkBase()}/v1/user/email/verify/${token}/` },
    });
    return SENT;
  }

  /** user-account's confirmation mail after a registration that gave an email (§4, §5.2). */
  async sendUaConfirmation(user: User): Promise<MailOutcome> {
    if (!user.email) return NO_EMAIL;
    return this.sendUaTokenMail(user, user.email, 'ua-confirm', {
      path: '/user_account/confirm_email/',
      subject: 'Confirm Your Email',
      paragraphs: ['Please confirm the email address of your account by opening the link below.', 'The link is valid for 10 minutes.'],
      label: 'Confirm your email',
      footer: 'If you did not create an account, you can ignore this mail.',
    });
  }

  /** user-account's reset mail, at most one per account per minute (§4 "Limit"). */
  async sendUaReset(user: User): Promise<MailOutcome> {
    if (!user.email) return NO_EMAIL;
    const wait = await this.claim('ua-reset', user);
    if (wait > 0) return { status: 'limited', retryAfterMs: wait };
    return this.sendUaTokenMail(user, user.email, 'ua-reset', {
      path: '/user_account/reset_password/',
      subject: 'Reset Your Password',
      paragraphs: ['We received a request to reset the password of your account. Open the link below to choose a new one.', 'The link is valid for 10 minutes and can be used once.'],
      label: 'Reset your password',
      footer: 'If you did not ask for this, you can ignore this mail: your password stays as it is.',
    });
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

  private async sendUaTokenMail(user: User, email: string, purpose: EmailTokenPurpose, kind: { path: string; subject: string; paragraphs: string[]; label: string; footer: string }): Promise<MailOutcome> {
    const token = await this.d.emailTokens.issue(user.number, purpose, { email, ttlMicros: UA_TOKEN_TTL_MICROS, signed: true });
    this.send(email, kind.subject, purpose, {
      greeting: user.full_name ? `Hello ${user.full_name},` : 'Hello,',
      paragraphs: kind.paragraphs,
      action: { label: kind.label, url: `${this.d.linkBase()}${kind.path}${token}` },
      footer: kind.footer,
    });
    return SENT;
  }

  /** 0 when a mail of this kind may go to the user now, else the milliseconds to wait. */
  private claim(kind: string, user: Pick<User, 'number'>): Promise<number> {
    return this.d.kv.claim(`mail:${kind}:${user.number}`, MAIL_INTERVAL_MS);
  }

  private send(to: string, subject: string, purpose: string, content: MailContent): void {
    const { text, html } = renderMail(content);
    this.d.mailer.send({ to, subject, text, html });
    this.d.metrics.mails.inc({ purpose });
  }
}
