// Where a provider sign-in may send the browser back (social.md §1), and how the outcome is
// added to that address (§2.4). An open redirect here would hand login codes to another site,
// so a `next` is judged by the origin of the URL the browser will actually open (after the
// URL parser has had its say on backslashes, tabs and the like), never by its spelling.

/** Longest `next` accepted; a longer one is refused rather than truncated. */
export const NEXT_MAX_LENGTH = 2048;

/** The query parameters a callback adds; a stale one already in `next` is replaced. */
export type ResultParam = 'login_code' | 'linked' | 'login_error';
const RESULT_PARAMS: readonly string[] = ['login_code', 'linked', 'login_error'];

/**
 * The absolute URL to return to, or null when `next` is missing or not allowed.
 * - a path `/…` (not `//…`) is taken relative to `base` (PUBLIC_URL, else the listening
 *   address) and must stay on its origin;
 * - anything else must be an absolute http(s) URL whose origin is in `allowedOrigins`
 *   (OAUTH_REDIRECT_ORIGINS; null means the origin of `base`).
 */
export function resolveNext(next: string | null | undefined, allowedOrigins: readonly string[] | null, base: string): string | null {
  if (typeof next !== 'string' || next === '' || next.length > NEXT_MAX_LENGTH) return null;
  // Control characters and spaces are never part of a real return address; browsers and URL
  // parsers drop or reinterpret some of them, which is exactly what an attacker relies on.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(next)) return null;
  const home = new URL(base);
  let target: URL;
  try {
    if (next.startsWith('/')) {
      if (next.startsWith('//') || next.startsWith('/\\')) return null;
      target = new URL(next, home);
      if (target.origin !== home.origin) return null;
      return target.href;
    }
    target = new URL(next);
  } catch {
    return null;
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return null;
  if (target.username !== '' || target.password !== '') return null;
  const allowed = allowedOrigins ?? [home.origin];
  return allowed.includes(target.origin) ? target.href : null;
}

/**
 * `next` with exactly one result parameter added. Other parameters keep their spelling; a
 * result parameter already there (put there by whoever wrote `next`) is dropped, so the
 * receiving page never sees two answers.
 */
export function withResult(next: string, name: ResultParam, value: string): string {
  const url = new URL(next);
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !RESULT_PARAMS.includes(paramName(pair)));
  kept.push(`${name}=${encodeURIComponent(value)}`);
  url.search = '?' + kept.join('&');
  return url.href;
}

function paramName(pair: string): string {
  const raw = pair.split('=', 1)[0].replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
