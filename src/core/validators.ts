// Format validators shared by surfaces, following Django's EmailValidator (which every seed
// backend used through Django REST framework) so the same addresses pass everywhere.
import { domainToASCII } from 'node:url';

const USER_DOT_ATOM = /^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*$/i;
// eslint-disable-next-line no-control-regex
const USER_QUOTED = /^"([\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*"$/i;
const DOMAIN = /^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63})$/i;
const LITERAL = /^\[([A-F0-9:.]+)\]$/i;

/** Django's EmailValidator: dot-atom or quoted local part, a dotted domain (IDNA), or an IP literal. */
export function isValidEmail(value: string): boolean {
  if (!value || !value.includes('@') || value.length > 320) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!USER_DOT_ATOM.test(user) && !USER_QUOTED.test(user)) return false;
  if (domain === 'localhost') return true;
  if (validDomain(domain)) return true;
  const literal = LITERAL.exec(domain);
  return literal !== null && isIpLiteral(literal[1]);
}

function validDomain(domain: string): boolean {
  if (DOMAIN.test(domain) && !domain.endsWith('-')) return true;
  // Internationalised domains are checked in their ASCII (punycode) form.
  const ascii = domainToASCII(domain);
  return ascii !== '' && ascii !== domain && DOMAIN.test(ascii) && !ascii.endsWith('-');
}

function isIpLiteral(text: string): boolean {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return text.split('.').every((p) => Number(p) <= 255 && !(p.length > 1 && p.startsWith('0')));
  return /^[0-9a-f:.]+$/i.test(text) && text.includes(':');
}

/** Lower-cases the domain part only (Django's normalize_email), as v1 stores addresses. */
export function normalizeEmailDomain(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return email;
  return email.slice(0, at + 1) + email.slice(at + 1).toLowerCase();
}

const URL_SCHEMES = ['http', 'https', 'ftp', 'ftps'];
const HOST_LABEL = /^(?!-)[a-z0-9\u00a1-\uffff-]{1,63}(?<!-)$/i;
const TLD = /^(?:[a-z\u00a1-\uffff-]{2,63}|xn--[a-z0-9]{1,59})$/i;

/**
 * Django's URLValidator, in substance: an allowed scheme, optional user:password, a host that
 * is a dotted name with a real TLD, `localhost`, an IPv4 address or a bracketed IPv6 address,
 * an optional port, and no whitespace anywhere.
 */
export function isValidUrl(value: string, schemes: readonly string[] = URL_SCHEMES): boolean {
  if (value.length > 2048 || /\s/.test(value)) return false;
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^\s:@/]+(?::[^\s@/]*)?@)?(\[[0-9a-f:.]+\]|[^/?#:@]+)(?::(\d{1,5}))?([/?#][^\s]*)?$/i.exec(value);
  if (!m || !schemes.includes(m[1].toLowerCase())) return false;
  const host = m[2];
  if (m[3] !== undefined && Number(m[3]) > 65535) return false;
  if (host.startsWith('[')) return host.slice(1, -1).includes(':');
  if (host.toLowerCase() === 'localhost') return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.split('.').every((p) => Number(p) <= 255);
  const labels = host.replace(/\.$/, '').split('.');
  if (labels.length < 2) return false;
  return labels.slice(0, -1).every((l) => HOST_LABEL.test(l)) && TLD.test(labels[labels.length - 1]);
}

/** A LIKE pattern matching `text` anywhere, with %, _ and \ escaped (use with ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
}
