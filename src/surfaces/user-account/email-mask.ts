// The masked email of profile_settings (user-account.md §5.4): the local part keeps its first
// and last character around six stars, the rest from the first `@` on stays as it is. The
// original ran the middle of the local part as a regular expression over the whole address;
// this works on characters only.
const STARS = '******';

export function maskEmail(email: string | null): string | null {
  if (email === null || email === '') return null;
  const at = email.indexOf('@');
  const local = Array.from(at < 0 ? email : email.slice(0, at));
  const rest = at < 0 ? '' : email.slice(at);
  if (local.length === 0) return STARS + rest;
  if (local.length === 1) return local[0] + STARS + rest;
  return local[0] + STARS + local[local.length - 1] + rest;
}
