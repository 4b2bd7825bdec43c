// `gatehouse mail [--last N]`: the newest mails of the outbox (DATA_DIR/outbox/, where mail goes
// while SMTP_URL is unset), decoded for a person at a terminal. The files are quoted-printable
// .eml, where a long link is cut by soft line breaks and `=` is written `=3D`; mailparser decodes
// them, and the text is printed as it is, never wrapped, so a reset link can be copied whole.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import { loadConfig } from '../config.js';
import { parseCommandArgs, UsageError } from './args.js';

const MAX_LAST = 1000;

export const MAIL_USAGE = `usage: gatehouse mail [--last N]

Prints the newest mails of the outbox decoded: From, To, Date, Subject and the plain text, with
links whole. The outbox is DATA_DIR/outbox/ (./data/outbox/ by default), where every mail goes
while SMTP_URL is unset. The oldest of the mails printed comes first, so the newest one ends
next to your prompt.

  --last N   how many of the newest mails to print (default 1, at most ${MAX_LAST})
`;

export interface OutboxMail {
  /** The .eml file's name inside the outbox. */
  file: string;
  date: Date | null;
  from: string;
  to: string;
  subject: string;
  /** The plain-text part; empty when the mail has none. */
  text: string;
  /** The links of the HTML part, for a mail without a plain-text part. */
  htmlLinks: string[];
  attachments: number;
}

export interface OutboxReading {
  dir: string;
  /** How many mails the outbox holds. */
  total: number;
  /** The newest `last` of them, oldest first. */
  mails: OutboxMail[];
}

/**
 * The `last` newest mails of `dir`. Outbox files are named by their writing time (core/mail.ts),
 * so name order is time order; hidden files are mails still being written. A missing directory
 * is an empty outbox.
 */
export async function readOutbox(dir: string, last: number): Promise<OutboxReading> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && e.name.endsWith('.eml') && !e.name.startsWith('.')).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { dir, total: 0, mails: [] };
    throw err;
  }
  names.sort();
  const chosen = names.slice(Math.max(0, names.length - last));
  const mails: OutboxMail[] = [];
  for (const name of chosen) mails.push(await decode(name, await readFile(path.join(dir, name))));
  return { dir, total: names.length, mails };
}

async function decode(file: string, raw: Buffer): Promise<OutboxMail> {
  const m = await simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true });
  return {
    file,
    date: m.date ?? null,
    from: addresses(m.from),
    to: addresses(m.to),
    subject: m.subject ?? '',
    text: m.text ?? '',
    htmlLinks: !m.text && typeof m.html === 'string' ? hrefs(m.html) : [],
    attachments: m.attachments.length,
  };
}

// `Ann Lee <ann@example.com>`, without the quotes mailparser's own text puts around names.
function addresses(a: AddressObject | AddressObject[] | undefined): string {
  if (a === undefined) return '';
  return (Array.isArray(a) ? a : [a]).flatMap((x) => x.value).map(mailbox).join(', ');
}

function mailbox(m: EmailAddress): string {
  if (m.group) return `${m.name}: ${m.group.map(mailbox).join(', ')};`;
  return m.name ? `${m.name} <${m.address ?? ''}>` : (m.address ?? '');
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&quot;': '"', '&#39;': "'", '&lt;': '<', '&gt;': '>' };

function hrefs(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
    out.push((m[1] ?? m[2]).replace(/&(?:amp|quot|#39|lt|gt);/g, (e) => ENTITIES[e]));
  }
  return out;
}

// Mails quote what users typed (names, addresses). Terminal control sequences in them must not
// reach the terminal, nor the bidirectional controls that can make one link read as another.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Multi-line text for the terminal: line ends unified, control characters shown as U+FFFD. */
export function terminalText(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(UNSAFE, '\uFFFD');
}

function terminalLine(s: string): string {
  return terminalText(s).replace(/[\n\t]/g, ' ');
}

/** One mail as printed: a rule with its file name, the headers, a blank line, the text (links whole, as written). */
export function formatMail(m: OutboxMail): string {
  const when = m.date && !Number.isNaN(m.date.getTime()) ? m.date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') : 'unknown date';
  const lines = [
    `── ${terminalLine(m.file)}`,
    `From:    ${terminalLine(m.from)}`,
    `To:      ${terminalLine(m.to)}`,
    `Date:    ${when}`,
    `Subject: ${terminalLine(m.subject)}`,
    '',
  ];
  let body = terminalText(m.text).replace(/\n+$/, '');
  if (body === '' && m.htmlLinks.length > 0) body = ['(no plain-text part; the links of its HTML part:)', ...m.htmlLinks.map(terminalLine)].join('\n');
  else if (body === '') body = '(no plain-text part)';
  lines.push(body);
  if (m.attachments > 0) lines.push('', `(${m.attachments} attachment${m.attachments === 1 ? '' : 's'} not shown)`);
  return lines.join('\n') + '\n';
}

function heading({ dir, total, mails }: OutboxReading): string {
  const shown = mails.length;
  if (total === 1) return `1 mail in ${dir}:`;
  if (shown === 1) return `The newest of ${total} mails in ${dir}:`;
  if (shown === total) return `All ${total} mails in ${dir}, oldest first:`;
  return `The newest ${shown} of ${total} mails in ${dir}, oldest first:`;
}

export async function mailCommand(args: string[]): Promise<number> {
  const parsed = parseCommandArgs({ command: 'mail', options: { last: { type: 'string', placeholder: 'N' } } }, args);
  if (parsed.help) {
    process.stdout.write(MAIL_USAGE);
    return 0;
  }
  const lastRaw = parsed.values.last ?? '1';
  if (!/^\d+$/.test(lastRaw) || Number(lastRaw) < 1 || Number(lastRaw) > MAX_LAST) {
    throw new UsageError(`mail: --last: expected a whole number from 1 to ${MAX_LAST}, got ${JSON.stringify(lastRaw)}`);
  }
  const config = loadConfig();
  const reading = await readOutbox(path.join(config.dataDir, 'outbox'), Number(lastRaw));
  if (reading.mails.length === 0) {
    const why = config.smtpUrl ? ': SMTP_URL is set, so mail goes to the SMTP server instead' : '';
    process.stdout.write(`No mail in ${reading.dir}${why}.\n`);
    return 0;
  }
  process.stdout.write(`${heading(reading)}\n\n${reading.mails.map(formatMail).join('\n')}`);
  return 0;
}
