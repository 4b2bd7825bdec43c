// Paths of the admin UI: where the login page sends people back to, and which slash-less
// paths are worth a 301 (admin.md §2.1 "Paths").

const LOGIN = '/admin/login/';
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

/** Every page of the UI; kit.ts refuses to register a page missing here. */
export const UI_PATHS = [
  '/admin/', '/admin/login/', '/admin/logout/', '/admin/users/', '/admin/users/:id/', '/admin/users/:id/password/',
  '/admin/users/:id/unlock/', '/admin/users/:id/revoke-sessions/', '/admin/users/:id/send-reset/', '/admin/users/:id/delete/',
  '/admin/profiles/:kind/', '/admin/profiles/:kind/:id/', '/admin/profiles/:kind/:id/delete/', '/admin/audit/',
] as const;

const UI_PATTERNS: readonly RegExp[] = UI_PATHS.map((p) => new RegExp('^' + p.replace(/:[a-z]+/g, '[^/]+') + '$'));

/** The slashed form of a slash-less path, when a UI page lives there. */
export function slashedTarget(path: string): string | null {
  if (path.endsWith('/')) return null;
  const slashed = path + '/';
  return UI_PATTERNS.some((re) => re.test(slashed)) ? slashed : null;
}
