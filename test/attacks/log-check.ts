// "No secret reaches a log line", checked on what the process really wrote at trace level:
// every password, token, session key, CSRF token and mailed reset or verification token the
// tests know of, SECRET_KEY and the keys derived from it, and SECRET_MARK (carried by every
// password and made-up secret the attack requests send).
//
// Secrets are compared by their word pieces (runs of letters, digits, `-` and `_` of 16 or
// more), so a token cut into a URL, quoted in JSON or glued to other text is still found, and
// thousands of secrets are checked against a long log in one pass.
import { SECRET_MARK } from './identities.js';
import type { ReceivedMail } from '../helpers/smtp.js';

const PIECE = /[A-Za-z0-9_-]{16,}/g;

function piecesOf(text: string): string[] {
  return text.match(PIECE) ?? [];
}

export interface Leak {
  line: string;
  secret: string;
}

/** Lines of `log` that hold a piece of a secret or the mark; the secrets are masked in the report. */
export function findLeaks(log: string, secrets: Iterable<string>): Leak[] {
  // Every 16-character window of every piece of the log: a secret's piece can only be in the
  // log if its first 16 characters are one of them (glued text and quoting included).
  const windows = new Set<string>();
  for (const p of piecesOf(log)) for (let i = 0; i + 16 <= p.length; i++) windows.add(p.slice(i, i + 16));
  const found = new Map<string, string>();
  for (const s of secrets) for (const p of piecesOf(s)) if (windows.has(p.slice(0, 16)) && log.includes(p)) found.set(p, s);
  const leaks: Leak[] = [];
  for (const line of log.split('\n')) {
    let hit: string | undefined = line.includes(SECRET_MARK) ? SECRET_MARK : undefined;
    for (const [p, s] of found) if (!hit && line.includes(p)) hit = s;
    if (hit) leaks.push({ line: line.split(hit).join('<secret>').slice(0, 500), secret: `${hit.slice(0, 4)}…(${hit.length})` });
  }
  return leaks;
}

/** The tokens of every link in the mails (reset, verification, confirmation), which are secrets. */
export function mailSecrets(mails: ReceivedMail[]): string[] {
  const out: string[] = [];
  for (const m of mails) for (const url of m.text.match(/https?:\/\/\S+/g) ?? []) out.push(...piecesOf(decodeURIComponent(url.replace(/[>)\].,]+$/, ''))).filter((p) => p.length >= 20));
  return out;
}
