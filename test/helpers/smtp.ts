// A real SMTP peer for tests (DESIGN.md: no mocks of SMTP). It listens on loopback, takes
// any mail and any login, and parses what it gets with mailparser, so a test sees exactly
// what a mail client would: decoded subject, text and HTML.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import type { AddressObject, ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The address of the From header, without its display name. */
  from: string;
  /** The envelope recipients (SMTP) or the To header's addresses (outbox files). */
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
  /** The user name given with AUTH, when the client logged in. */
  authUser?: string;
}

export interface TestSmtpServer {
  url: string;
  messages: ReceivedMail[];
  waitFor(pred: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

interface Waiter {
  pred: (m: ReceivedMail) => boolean;
  resolve: (m: ReceivedMail) => void;
}

/** Starts an SMTP server on 127.0.0.1 on a free port. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  let waiters: Waiter[] = [];

  const receive = (mail: ReceivedMail): void => {
    messages.push(mail);
    const matched = waiters.filter((w) => w.pred(mail));
    waiters = waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(mail);
  };

  const server = new SMTPServer({
    authOptional: true,
    // Plain loopback: no certificate to make, and AUTH allowed without TLS so a URL
    // with credentials can be tested.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    // Don't hold a test's teardown for 30 s when a client keeps a pooled connection open.
    closeTimeout: 500,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? '' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (err) => callback(err));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks);
        const rcptTo = session.envelope.rcptTo.map((a) => a.address);
        const authUser = typeof session.user === 'string' ? session.user : undefined;
        parseMail(raw, rcptTo)
          .then((mail) => {
            receive(authUser === undefined ? mail : { ...mail, authUser });
            callback();
          })
          .catch((err: Error) => callback(err));
      });
    },
  });

  const port = await listen(server);

  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    waitFor(pred, timeoutMs = 5_000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<ReceivedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`));
        }, timeoutMs);
        const waiter: Waiter = {
          pred,
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
        };
        waiters.push(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function listen(server: SMTPServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.server.address() as AddressInfo).port);
    });
  });
}

/**
 * The first URL in the text part that starts with `startsWith`. The text part is already
 * decoded, so quoted-printable soft line breaks are gone; a URL ends at whitespace or at
 * the angle bracket some clients wrap it in.
 */
export function findLink(mail: ReceivedMail, startsWith: string): string {
  for (const token of mail.text.split(/\s+/)) {
    const candidate = token.replace(/^</, '').replace(/>$/, '');
    if (candidate.startsWith(startsWith)) return candidate;
  }
  throw new Error(`no link starting with ${startsWith} in mail "${mail.subject}"`);
}

/** Parses every .eml file in an outbox directory, oldest first (names start with the time). */
export async function readOutbox(dir: string): Promise<ReceivedMail[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files = names.filter((n) => n.endsWith('.eml')).sort();
  return Promise.all(files.map(async (n) => parseMail(await readFile(path.join(dir, n)), null)));
}

// `envelopeTo` is what the SMTP client asked for; an .eml file has no envelope, so its
// recipients are read from the To header.
async function parseMail(raw: Buffer, envelopeTo: string[] | null): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw);
  return {
    from: parsed.from?.value[0]?.address ?? '',
    to: envelopeTo ?? headerAddresses(parsed),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html === false ? '' : parsed.html,
    raw: raw.toString('utf8'),
  };
}

function headerAddresses(parsed: ParsedMail): string[] {
  const to: AddressObject[] = parsed.to === undefined ? [] : [parsed.to].flat();
  return to.flatMap((group) => group.value.map((a) => a.address ?? '')).filter(Boolean);
}
