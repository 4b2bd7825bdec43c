// Paths of the admin UI: where the login page sends people back to (admin.md §2.1, §2.3).

const LOGIN = '/admin/login/';
export const SECOND_PAGE = '/admin/login/mfa/';
const ORIGIN = 'http://admin.invalid';

/**
 * `/admin/login/?next=<path>`, the path (and query) encoded as Django's redirect_to_login does
 * it: percent-encoded, slashes kept.
 */
export function loginRedirect(fullPath: string): string {
  return `${LOGIN}?next=${encodeURIComponent(fullPath).replaceAll('%2F', '/')}`;
}

/**
 * Where a successful login goes: `next` when it is a path under /admin/ on this site, else the
 * dashboard. Anything that could leave the site (`//host`, `/\host`, a scheme) is refused.
 */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/admin/') || /[\\\s]/.test(next) || next.includes('//')) return '/admin/';
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return '/admin/';
  }
  if (url.origin !== ORIGIN || !url.pathname.startsWith('/admin/')) return '/admin/';
  return url.pathname + url.search;
}

/** The second page of the login (mfa.md §4), carrying `next` on. */
export function secondPagePath(next: string): string {
  return next ? `${SECOND_PAGE}?next=${encodeURIComponent(next).replaceAll('%2F', '/')}` : SECOND_PAGE;
}
