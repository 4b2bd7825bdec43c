// The page frame of the admin UI: head, navigation (with the logout form), the one-time
// notice, and the page's own content. No inline script or style anywhere (CSP).
import type { User } from '../../../core/accounts.js';
import { type HtmlValue, type SafeHtml, html, when } from './html.js';
import type { Notice } from './notices.js';

export interface LayoutOptions {
  title: string;
  body: HtmlValue;
  /** The logged-in staff user; null on the login page and some error pages. */
  staff?: User | null;
  csrf?: string;
  notice?: Notice | null;
  /** Which navigation entry is current. */
  section?: 'dashboard' | 'users' | 'artist' | 'collector' | 'audit' | 'webhooks';
}

const NAV: { section: NonNullable<LayoutOptions['section']>; href: string; label: string; superuser?: boolean }[] = [
  { section: 'dashboard', href: '/admin/', label: 'Dashboard' },
  { section: 'users', href: '/admin/users/', label: 'Users' },
  { section: 'artist', href: '/admin/profiles/artist/', label: 'Artist profiles' },
  { section: 'collector', href: '/admin/profiles/collector/', label: 'Collector profiles' },
  { section: 'audit', href: '/admin/audit/', label: 'Audit log' },
  { section: 'webhooks', href: '/admin/webhooks/', label: 'Webhooks', superuser: true },
];

export function displayName(user: Pick<User, 'username' | 'email' | 'id'>): string {
  return user.username ?? user.email ?? user.id;
}

function nav(o: LayoutOptions): SafeHtml {
  if (!o.staff) return html``;
  const mine = NAV.filter((n) => !n.superuser || o.staff!.is_superuser === 1);
  const links = mine.map((n) => html`<li><a href="${n.href}"${n.section === o.section ? html` aria-current="page"` : ''}>${n.label}</a></li>`);
  return html`<nav aria-label="Main"><ul class="nav">${links}</ul></nav>
<div class="who"><span>Logged in as <strong>${displayName(o.staff)}</strong></span>
<form method="post" action="/admin/logout/" class="inline">${csrfField(o.csrf ?? '')}<button type="submit" class="link">Log out</button></form></div>`;
}

function noticeBox(notice: Notice | null | undefined): HtmlValue {
  return when(notice, () => html`<p class="notice notice-${notice!.level}" role="${notice!.level === 'error' ? 'alert' : 'status'}">${notice!.text}</p>`);
}

export function layout(o: LayoutOptions): SafeHtml {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} | Gatehouse admin</title>
<link rel="stylesheet" href="/admin/static/admin.css">
</head>
<body>
<header class="top"><div class="bar"><a class="brand" href="/admin/">Gatehouse admin</a>${nav(o)}</div></header>
<main>
${noticeBox(o.notice)}
${o.body}
</main>
</body>
</html>
`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="csrfmiddlewaretoken" value="${token}">`;
}

/** A form holding only a button: the POST actions (unlock, revoke, …). */
export function buttonForm(action: string, label: string, csrf: string, style: 'primary' | 'secondary' | 'danger' = 'secondary'): SafeHtml {
  return html`<form method="post" action="${action}" class="inline">${csrfField(csrf)}<button type="submit" class="btn btn-${style}">${label}</button></form>`;
}

export function yesNo(flag: boolean | number): string {
  return flag === true || flag === 1 ? 'Yes' : 'No';
}

/**
 * A time as the API shows it (ISO 8601, UTC, microseconds), or a dash. A narrow column may
 * break it after the date's `T` (<wbr> adds no text), never inside the digits.
 */
export function timeText(iso: string | null): SafeHtml {
  if (iso === null) return html`<span class="muted">\u2014</span>`;
  const t = iso.indexOf('T');
  return html`<time datetime="${iso}">${iso.slice(0, t + 1)}<wbr>${iso.slice(t + 1)}</time>`;
}

/** An address that may break before its `@` in a narrow column (<wbr> adds no text). */
export function breakableEmail(email: string): SafeHtml {
  const at = email.lastIndexOf('@');
  return at <= 0 ? html`${email}` : html`${email.slice(0, at)}<wbr>${email.slice(at)}`;
}

/** Text or a muted dash for absent values. */
export function orDash(value: string | number | null | undefined): HtmlValue {
  return value === null || value === undefined || value === '' ? html`<span class="muted">\u2014</span>` : String(value);
}
