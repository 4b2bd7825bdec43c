// The two mails of this surface (user-account.md §4): email confirmation and password reset.
// Tokens are signed, opaque and live 10 minutes; links start with PUBLIC_URL (or the request's
// origin). Mail is queued; nothing here logs a link or a token.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { EmailTokenPurpose } from '../../core/email-tokens.js';
import { renderMail } from '../../core/mail-templates.js';
import { MICROS_PER_MINUTE } from '../../core/time.js';
import { publicBase } from '../../http/request.js';

export const EMAIL_TOKEN_TTL_MICROS = 10 * MICROS_PER_MINUTE;
const RESET_MAIL_INTERVAL_MS = 60_000;

interface MailKind {
  purpose: EmailTokenPurpose;
  path: string;
  subject: string;
  paragraphs: string[];
  label: string;
  footer: string;
}

const CONFIRM: MailKind = {
  purpose: 'ua-confirm',
  path: '/user_account/confirm_email/',
  subject: 'Confirm Your Email',
  paragraphs: ['Please confirm the email address of your account by opening the link below.', 'The link is valid for 10 minutes.'],
  label: 'Confirm your email',
  footer: 'If you did not create an account, you can ignore this mail.',
};

const RESET: MailKind = {
  purpose: 'ua-reset',
  path: '/user_account/reset_password/',
  subject: 'Reset Your Password',
  paragraphs: ['We received a request to reset the password of your account. Open the link below to choose a new one.', 'The link is valid for 10 minutes and can be used once.'],
  label: 'Reset your password',
  footer: 'If you did not ask for this, you can ignore this mail: your password stays as it is.',
};

/** The confirmation mail after a registration that gave an email. */
export function sendConfirmation(ctx: AppContext, request: FastifyRequest, user: User): Promise<void> {
  return sendTokenMail(ctx, request, user, CONFIRM);
}

/**
 * The reset mail, at most one per account per 60 s (§4 "Limit"); a request inside that window
 * gets the same answer and no mail.
 */
export async function sendReset(ctx: AppContext, request: FastifyRequest, user: User): Promise<void> {
  if (!user.email) return;
  if ((await ctx.kv.claim(`mail:ua-reset:${user.number}`, RESET_MAIL_INTERVAL_MS)) !== 0) return;
  await sendTokenMail(ctx, request, user, RESET);
}

async function sendTokenMail(ctx: AppContext, request: FastifyRequest, user: User, kind: MailKind): Promise<void> {
  if (!user.email) return;
  const base = linkBase(request, ctx);
  if (base === null) {
    // A Host header that makes no URL: no token is issued and no mail goes (logged without it).
    ctx.log.warn({ purpose: kind.purpose }, 'mail link base is not a web URL; mail not sent');
    return;
  }
  const token = await ctx.emailTokens.issue(user.number, kind.purpose, { email: user.email, ttlMicros: EMAIL_TOKEN_TTL_MICROS, signed: true });
  const { text, html } = renderMail({
    greeting: user.full_name ? `Hello ${user.full_name},` : 'Hello,',
    paragraphs: kind.paragraphs,
    action: { label: kind.label, url: `${base}${kind.path}${token}` },
    footer: kind.footer,
  });
  ctx.mailer.send({ to: user.email, subject: kind.subject, text, html });
  ctx.metrics.mails.inc({ purpose: kind.purpose });
}

function linkBase(request: FastifyRequest, ctx: AppContext): string | null {
  const base = publicBase(request, ctx.config);
  try {
    const { protocol } = new URL(base);
    return protocol === 'http:' || protocol === 'https:' ? base : null;
  } catch {
    return null;
  }
}
