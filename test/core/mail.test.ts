import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer, redactUrl } from '../../src/core/mail.js';
import type { MailConfig, MailLog, OutgoingMail } from '../../src/core/mail.js';
import { escapeHtml, renderMail } from '../../src/core/mail-templates.js';
import { findLink, readOutbox, startSmtpServer } from '../helpers/smtp.js';
import type { TestSmtpServer } from '../helpers/smtp.js';

interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg?: string;
}

// A MailLog that keeps every call, so a test can prove what was (and was not) logged.
function spyLog(): { log: MailLog; entries: LogEntry[]; dump(): string } {
  const entries: LogEntry[] = [];
  const record = (level: LogEntry['level']) => (obj: object, msg?: string) => entries.push({ level, obj, msg });
  return {
    log: { info: record('info'), warn: record('warn'), error: record('error') },
    entries,
    dump: () => JSON.stringify(entries),
  };
}

// A reset link long enough that quoted-printable must wrap it (lines stop at 76 chars).
const TOKEN = 'rst_' + 'Ab3-_x9Z'.repeat(12);
const LINK = `https://auth.example.test/v1/user/password/reset/confirm/?token=${TOKEN}&next=%2Fhome`;
const SECRET_SENTENCE = 'Someone asked to reset the password of this account.';

function resetMail(to = 'ann@example.test'): OutgoingMail {
  const { text, html } = renderMail({
    greeting: 'Hello Ann,',
    paragraphs: [SECRET_SENTENCE, 'The link is valid for 10 minutes.'],
    action: { label: 'Reset your password', url: LINK },
    footer: 'If you did not ask for this, ignore this mail.',
  });
  return { to, subject: 'Reset Your Password', text, html };
}

// Nothing from a mail's body may reach a log line: it holds the reset secret.
function expectNoBodyInLogs(dump: string): void {
  expect(dump).not.toContain(TOKEN);
  expect(dump).not.toContain('reset/confirm');
  expect(dump).not.toContain(SECRET_SENTENCE);
  expect(dump).not.toContain('<p');
}

const FROM = 'Gatehouse <no-reply@example.test>';

describe('Mailer over SMTP', () => {
  let smtp: TestSmtpServer;
  let mailer: Mailer | undefined;

  beforeEach(async () => {
    smtp = await startSmtpServer();
  });

  afterEach(async () => {
    await mailer?.close();
    mailer = undefined;
    await smtp.close();
  });

  function smtpConfig(url = smtp.url): MailConfig {
    return { smtpUrl: url, from: FROM, outboxDir: '/nonexistent/outbox' };
  }

  it('delivers subject, text and html, and the link survives quoted-printable wrapping', async () => {
    const spy = spyLog();
    mailer = new Mailer(smtpConfig(), spy.log);
    mailer.send(resetMail());
    await mailer.flush();

    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail.from).toBe('no-reply@example.test');
    expect(mail.raw).toMatch(/^From: "?Gatehouse"? <no-reply@example\.test>\r?$/m);
    expect(mail.to).toEqual(['ann@example.test']);
    expect(mail.subject).toBe('Reset Your Password');
    expect(mail.text).toContain(SECRET_SENTENCE);
    expect(mail.html).toContain('<p');
    expect(mail.html).toContain('Reset your password');
    // The raw message really was wrapped: the link is not on one line in transit.
    expect(mail.raw).not.toContain(TOKEN);
    expect(findLink(mail, 'https://auth.example.test/v1/user/password/reset/confirm/')).toBe(LINK);
    expect(mailer.sent).toBe(1);
    expect(mailer.failed).toBe(0);
    expectNoBodyInLogs(spy.dump());
  });

  it('send() returns at once; delivery happens after the current tick', async () => {
    mailer = new Mailer(smtpConfig(), spyLog().log);
    const result = mailer.send(resetMail());
    expect(result).toBeUndefined();
    // Microtasks and nextTick run before setImmediate: nothing may have started yet.
    await new Promise((resolve) => process.nextTick(resolve));
    await Promise.resolve();
    expect(mailer.sent).toBe(0);
    expect(smtp.messages).toHaveLength(0);

    const received = await smtp.waitFor((m) => m.subject === 'Reset Your Password');
    expect(received.to).toEqual(['ann@example.test']);
  });

  it('flush() waits for everything queued, beyond the concurrency limit', async () => {
    mailer = new Mailer(smtpConfig(), spyLog().log, { concurrency: 2 });
    for (let i = 0; i < 9; i++) mailer.send({ ...resetMail(`user${i}@example.test`), subject: `Mail ${i}` });
    await mailer.flush();
    expect(mailer.sent).toBe(9);
    expect(smtp.messages.map((m) => m.subject).sort()).toEqual(
      Array.from({ length: 9 }, (_, i) => `Mail ${i}`).sort(),
    );
    // flush() with nothing pending resolves at once.
    await mailer.flush();
  });

  it('logs in with the credentials of the URL and never logs the password', async () => {
    const spy = spyLog();
    const url = smtp.url.replace('smtp://', 'smtp://mailer:s3cret-Pa55@');
    mailer = new Mailer(smtpConfig(url), spy.log);
    mailer.send(resetMail());
    await mailer.flush();

    expect(smtp.messages).toHaveLength(1);
    expect(smtp.messages[0].authUser).toBe('mailer');
    expect(spy.dump()).not.toContain('s3cret-Pa55');
    expect(spy.dump()).toContain('mailer:***@127.0.0.1');
    expectNoBodyInLogs(spy.dump());
  });

  it('a dead SMTP server: send() does not throw, flush() resolves, the failure is counted and logged without the body', async () => {
    const deadUrl = smtp.url;
    await smtp.close();
    smtp = await startSmtpServer(); // for afterEach; the mailer talks to the dead port

    const spy = spyLog();
    mailer = new Mailer(smtpConfig(deadUrl), spy.log);
    expect(() => mailer?.send(resetMail())).not.toThrow();
    await mailer.flush();

    expect(mailer.sent).toBe(0);
    expect(mailer.failed).toBe(1);
    const errors = spy.entries.filter((e) => e.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toBe('mail send failed');
    expect(errors[0].obj).toMatchObject({ to: 'ann@example.test', subject: 'Reset Your Password' });
    expect(typeof (errors[0].obj as { err: unknown }).err).toBe('string');
    expectNoBodyInLogs(spy.dump());
  });

  it('refuses a recipient that would address two mailboxes', async () => {
    const spy = spyLog();
    mailer = new Mailer(smtpConfig(), spy.log);
    mailer.send(resetMail('ann@example.test, eve@evil.test'));
    await mailer.flush();
    expect(mailer.failed).toBe(1);
    expect(smtp.messages).toHaveLength(0);
    expectNoBodyInLogs(spy.dump());
  });
});

describe('Mailer outbox mode', () => {
  let dir: string;

  beforeEach(async () => {
    dir = path.join(await mkdtemp(path.join(tmpdir(), 'gatehouse-mail-')), 'outbox');
  });

  afterEach(async () => {
    await rm(path.dirname(dir), { recursive: true, force: true });
  });

  function outboxConfig(): MailConfig {
    return { smtpUrl: null, from: FROM, outboxDir: dir };
  }

  it('writes a parsable .eml with both parts, atomically, and logs the file', async () => {
    const spy = spyLog();
    const mailer = new Mailer(outboxConfig(), spy.log);
    mailer.send(resetMail());
    await new Promise((resolve) => process.nextTick(resolve));
    await expect(stat(dir)).rejects.toThrow(); // nothing touched before the next turn
    await mailer.close();

    const names = await readdir(dir);
    expect(names).toHaveLength(1); // no temp file left behind
    expect(names[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z-[0-9a-f]{16}\.eml$/);
    expect((await stat(path.join(dir, names[0]))).mode & 0o777).toBe(0o600);

    const [mail] = await readOutbox(dir);
    expect(mail.from).toBe('no-reply@example.test');
    expect(mail.raw).toMatch(/^From: "?Gatehouse"? <no-reply@example\.test>\r?$/m);
    expect(mail.to).toEqual(['ann@example.test']);
    expect(mail.subject).toBe('Reset Your Password');
    expect(mail.raw).toContain('\r\n');
    expect(mail.html).toContain('Reset your password');
    expect(findLink(mail, 'https://auth.example.test/')).toBe(LINK);

    expect(mailer.sent).toBe(1);
    const info = spy.entries.find((e) => e.msg === 'mail written to outbox');
    expect(info?.obj).toEqual({
      to: 'ann@example.test',
      subject: 'Reset Your Password',
      file: path.join(dir, names[0]),
    });
    expectNoBodyInLogs(spy.dump());
  });

  it('drops mail beyond the queue bound with an error log', async () => {
    const spy = spyLog();
    const mailer = new Mailer(outboxConfig(), spy.log, { maxQueue: 2 });
    for (let i = 0; i < 5; i++) mailer.send(resetMail());
    expect(mailer.failed).toBe(3); // counted at once, before any sending
    await mailer.flush();
    expect(mailer.sent).toBe(2);
    expect(await readOutbox(dir)).toHaveLength(2);
    expect(spy.entries.filter((e) => e.msg === 'mail dropped')).toHaveLength(3);
    expectNoBodyInLogs(spy.dump());
  });

  it('close() sends what is queued; later mail is dropped', async () => {
    const mailer = new Mailer(outboxConfig(), spyLog().log);
    mailer.send(resetMail());
    mailer.send(resetMail());
    await mailer.close();
    mailer.send(resetMail());
    await mailer.flush();
    expect(mailer.sent).toBe(2);
    expect(mailer.failed).toBe(1);
    expect(await readOutbox(dir)).toHaveLength(2);
  });

  it('a failing outbox (a file where the directory should be) is counted, not thrown', async () => {
    const spy = spyLog();
    const blocked = path.join(path.dirname(dir), 'blocked');
    await writeFile(blocked, 'not a directory');
    const mailer = new Mailer({ smtpUrl: null, from: FROM, outboxDir: blocked }, spy.log);
    mailer.send(resetMail());
    await mailer.flush();
    expect(mailer.failed).toBe(1);
    expect(spy.entries.some((e) => e.level === 'error' && e.msg === 'mail send failed')).toBe(true);
    expectNoBodyInLogs(spy.dump());
  });
});

describe('renderMail', () => {
  it('escapes user text in the HTML part and keeps the plain text as written', () => {
    const { text, html } = renderMail({
      greeting: 'Hello <script>alert(1)</script> & "friends",',
      paragraphs: ["It's <b>bold</b>"],
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;,');
    expect(html).toContain('It&#39;s &lt;b&gt;bold&lt;/b&gt;');
    expect(text).toContain('Hello <script>alert(1)</script> & "friends",');
  });

  it('puts the link on its own line in the text part and escapes it in the href', () => {
    const url = 'https://x.test/confirm?a=1&b="2"';
    const { text, html } = renderMail({ paragraphs: ['Confirm it.'], action: { label: 'Confirm', url } });
    expect(text.split('\n')).toContain(url);
    expect(html).toContain('href="https://x.test/confirm?a=1&amp;b=&quot;2&quot;"');
    expect(html).not.toMatch(/<script|<img|<style/i);
  });

  it('refuses an action URL that is not http(s)', () => {
    expect(() => renderMail({ paragraphs: [], action: { label: 'x', url: 'javascript:alert(1)' } })).toThrow(
      TypeError,
    );
    expect(() => renderMail({ paragraphs: [], action: { label: 'x', url: '/relative' } })).toThrow(TypeError);
  });

  it('escapeHtml covers the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('smtps://u:p%40ss@mail.test:465?tls.rejectUnauthorized=false')).toBe(
      'smtps://u:***@mail.test:465?tls.rejectUnauthorized=false',
    );
    expect(redactUrl('not a url')).toBe('<unparsable URL>');
  });
});
