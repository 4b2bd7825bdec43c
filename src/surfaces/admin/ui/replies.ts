// The admin UI's answers: pages with the headers of admin.md §2.1, redirects, and the error
// pages (403, 404, 405, 413, 500, CSRF), made once where their text is fixed.
import type { GenericReply } from '../../../http/surface.js';
import { type HtmlValue, html } from './html.js';
import { layout } from './layout.js';
import { MFA_REQUIRED } from '../service/policy.js';

export const UI_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Cache-Control': 'no-store',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
  'Referrer-Policy': 'same-origin',
});

export function htmlReply(status: number, page: HtmlValue, headers: Record<string, string> = {}): GenericReply {
  return { status, html: String(page), headers: { ...UI_HEADERS, ...headers } };
}

function frozen(g: GenericReply): GenericReply {
  Object.freeze(g.headers);
  return Object.freeze(g);
}

export function redirect(location: string, status: 301 | 302 = 302): GenericReply {
  return { status, headers: { ...UI_HEADERS, Location: location } };
}

/** A small page of its own for a failure; `detail` adds a second line (the CSRF reason). */
export function errorPage(status: number, message: string, detail?: string, headers: Record<string, string> = {}): GenericReply {
  const body = html`<section class="panel error-page"><h1>${message}</h1>${detail ? html`<p>${detail}</p>` : ''}
<p><a href="/admin/">Go to the admin dashboard</a></p></section>`;
  return htmlReply(status, layout({ title: message, body }), headers);
}

export const UI_MESSAGES = {
  permissionDenied: 'Permission denied.',
  notFound: 'Not found.',
  methodNotAllowed: 'Method not allowed.',
  tooLarge: 'Request body too large.',
  serverError: 'A server error occurred.',
  badRequest: 'Bad request.',
  unavailable: 'Service temporarily unavailable.',
  csrfFailed: 'CSRF verification failed. Request aborted.',
} as const;

/** The fixed error pages, rendered once. */
export const UI = {
  permissionDenied: frozen(errorPage(403, UI_MESSAGES.permissionDenied)),
  notFound: frozen(errorPage(404, UI_MESSAGES.notFound)),
  tooLarge: frozen(errorPage(413, UI_MESSAGES.tooLarge)),
  serverError: frozen(errorPage(500, UI_MESSAGES.serverError)),
  badRequest: frozen(errorPage(400, UI_MESSAGES.badRequest)),
  unavailable: frozen(errorPage(503, UI_MESSAGES.unavailable, undefined, { 'Retry-After': '5' })),
  /** ADMIN_REQUIRE_MFA (mfa.md §4): staff without a second factor. */
  mfaRequired: frozen(errorPage(403, MFA_REQUIRED)),
} as const;

/** The 403 page of a failed CSRF check, naming the check. */
export function csrfFailurePage(reason: string): GenericReply {
  return errorPage(403, UI_MESSAGES.csrfFailed, reason);
}
