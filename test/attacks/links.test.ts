// Issue 13, item 1: mailed links and the request's Host (v1.md §0.11).
// - Every link in every mail starts with PUBLIC_URL, or with the listening address when it is
//   unset, whatever the request says: a forged Host, X-Forwarded-Host (even from a trusted
//   proxy), X-Forwarded-Proto or Origin. Checked on the v1 reset and verification mails,
//   user-account's confirmation and reset mails, and the admin's send-reset (API and UI).
// - A malformed Host never answers 500 and spends nothing: no token, no mail, no mail slot.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { type ReceivedMail, type TestSmtpServer, startSmtpServer } from '../helpers/smtp.js';
import { Wire, cookieHeader, setCookies } from './wire.js';

const PASSWORD = 'Attack,123';
const FORGED = {
  host: 'evil.example:666',
  'x-forwarded-host': 'evil.example',
  'x-forwarded-proto': 'https',
  'x-forwarded-port': '443',
  forwarded: 'host=evil.example;proto=https',
  origin: 'https://evil.example',
};

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
});

let n = 0;
const tag = () => `${process.pid}x${++n}x${Date.now() % 100000}`;

/** Every URL in a mail, in its text and in its HTML. */
function urlsIn(mail: ReceivedMail): string[] {
  const found = [...(mail.text.match(/https?:\/\/[^\s<>"]+/g) ?? []), ...(mail.html.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
  return found.map((u) => u.replace(/&amp;/g, '&'));
}

interface Setup {
  t: TestApp;
  wire: Wire;
  base: string;
  admin: { id: string; email: string; knox: string };
}

async function setup(env: Record<string, string>): Promise<Setup> {
  // TRUST_PROXY: X-Forwarded-Host from this client is believed by the request (the strongest forgery).
  const t = await startApp({ SMTP_URL: smtp.url, TRUST_PROXY: '127.0.0.1', ...env });
  const wire = new Wire(t.url);
  const email = `root-${tag()}@example.com`;
  const created = await t.ctx.accounts.create({ email, username: `root${tag()}`, password: PASSWORD, isStaff: true, isSuperuser: true, isActive: true, emailVerified: false, fullName: '' });
  if (!created.ok) throw new Error('fixture');
  const knox = await t.ctx.knox.create(created.user, '127.0.0.1', 'vitest');
  return { t, wire, base: env.PUBLIC_URL ?? t.url, admin: { id: created.user.id, email, knox: knox.token } };
}

async function v1User(s: Setup): Promise<{ id: string; email: string; username: string; knox: string }> {
  const who = { email: `v1-${tag()}@example.com`, username: `v1${tag()}`, password: PASSWORD };
  const json = { 'content-type': 'application/json' };
  const reg = await s.wire.send({ method: 'POST', path: '/v1/user/register/', headers: json, body: JSON.stringify({ ...who, confirm_password: PASSWORD }) });
  expect(reg.status, reg.text).toBe(201);
  const login = await s.wire.send({ method: 'POST', path: '/v1/user/login-knox/', headers: json, body: JSON.stringify({ email: who.email, password: PASSWORD }) });
  expect(login.status, login.text).toBe(200);
  return { id: (reg.json as { id: string }).id, email: who.email, username: who.username, knox: (login.json as { token: string }).token };
}

function expectLinksFrom(mail: ReceivedMail, base: string, path: string): void {
  const urls = urlsIn(mail);
  expect(urls.length).toBeGreaterThan(0);
  for (const u of urls) expect(u.startsWith(base + '/'), `${u} does not start with ${base}`).toBe(true);
  expect(urls.some((u) => u.startsWith(base + path))).toBe(true);
}

/** The link's path on this server answers (the link works), and holds no trace of the forgery. */
async function expectWorkingLink(s: Setup, mail: ReceivedMail, path: string): Promise<void> {
  const link = urlsIn(mail).find((u) => u.startsWith(s.base + path))!;
  expect(link).not.toContain('evil');
  const r = await s.wire.send({ method: 'GET', path: link.slice(s.base.length) });
  expect(r.status, r.text).toBe(200);
}

describe.each([
  ['PUBLIC_URL unset: links start with the listening address', {}],
  ['PUBLIC_URL set: links start with it', { PUBLIC_URL: 'http://id.gatehouse.test' }],
])('%s', (_title, env: Record<string, string>) => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup(env);
  });
  afterAll(async () => {
    s?.wire.close();
    await s?.t.close();
  });

  it('the listening address, or PUBLIC_URL, is what the app says its base is', () => {
    expect(s.t.ctx.accountMail.linkBase()).toBe(s.base);
  });

  it('v1 password reset', async () => {
    const u = await v1User(s);
    const r = await s.wire.send({ method: 'POST', path: '/v1/user/password/reset/', headers: { ...FORGED, 'content-type': 'application/json' }, body: JSON.stringify({ email: u.email }) });
    expect(r.status, r.text).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Reset your password');
    expectLinksFrom(mail, s.base, '/v1/user/password/reset/confirm/?token=');
    if (!env.PUBLIC_URL) await expectWorkingLink(s, mail, '/v1/user/password/reset/confirm/');
  });

  it('v1 email verification', async () => {
    const u = await v1User(s);
    const r = await s.wire.send({ method: 'POST', path: '/v1/user/email/verify/', headers: { ...FORGED, authorization: `Token ${u.knox}` } });
    expect(r.json).toBe('Verification email sent.');
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Verify your email address');
    expectLinksFrom(mail, s.base, '/v1/user/email/verify/');
    if (!env.PUBLIC_URL) await expectWorkingLink(s, mail, '/v1/user/email/verify/');
  });

  it('user-account confirmation and reset', async () => {
    const username = `ua${tag()}`;
    const email = `${username}@example.com`;
    const json = { ...FORGED, 'content-type': 'application/json' };
    const reg = await s.wire.send({ method: 'POST', path: '/user_account/registration', headers: json, body: JSON.stringify({ username, full_name: 'U A', email, pwd: PASSWORD, phone: null, contacts: null }) });
    expect(reg.status, reg.text).toBe(200);
    const confirm = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Confirm Your Email');
    expectLinksFrom(confirm, s.base, '/user_account/confirm_email/');
    if (!env.PUBLIC_URL) await expectWorkingLink(s, confirm, '/user_account/confirm_email/');

    const reset = await s.wire.send({ method: 'POST', path: '/user_account/reset_password_request', headers: json, body: JSON.stringify({ username }) });
    expect(reset.status, reset.text).toBe(200);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Reset Your Password');
    expectLinksFrom(mail, s.base, '/user_account/reset_password/');
    if (!env.PUBLIC_URL) await expectWorkingLink(s, mail, '/user_account/reset_password/');
  });

  it('the admin API send-reset', async () => {
    const u = await v1User(s);
    const r = await s.wire.send({ method: 'POST', path: `/admin/api/users/${u.id}/send-reset/`, headers: { ...FORGED, authorization: `Token ${s.admin.knox}` } });
    expect(r.status, r.text).toBe(204);
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Reset your password');
    expectLinksFrom(mail, s.base, '/v1/user/password/reset/confirm/?token=');
  });

  it('the admin UI send-reset', async () => {
    const u = await v1User(s);
    const page = await s.wire.send({ method: 'GET', path: '/admin/login/' });
    let cookies = setCookies(page);
    const form = (fields: Record<string, string>) => new URLSearchParams({ csrfmiddlewaretoken: cookies.csrftoken, ...fields }).toString();
    const formType = { 'content-type': 'application/x-www-form-urlencoded' };
    const login = await s.wire.send({ method: 'POST', path: '/admin/login/', headers: { ...formType, cookie: cookieHeader(cookies) }, body: form({ username: s.admin.email, password: PASSWORD, next: '' }) });
    expect(login.status, login.text).toBe(302);
    cookies = { ...cookies, ...setCookies(login) };
    // The forged Host and X-Forwarded-Host, with an Origin that matches them (as a proxy in the
    // attacker's hands would send it), so the CSRF check passes and only the link is at stake.
    const { origin: _origin, ...forged } = FORGED;
    const r = await s.wire.send({
      method: 'POST', path: `/admin/users/${u.id}/send-reset/`,
      headers: { ...forged, ...formType, origin: 'https://evil.example', cookie: cookieHeader(cookies) }, body: form({}),
    });
    expect(r.status, r.text).toBe(302);
    const mail = await smtp.waitFor((m) => m.to.includes(u.email) && m.subject === 'Reset your password');
    expectLinksFrom(mail, s.base, '/v1/user/password/reset/confirm/?token=');
  });
});

describe('a malformed Host never answers 500 and spends nothing (v1.md §0.11)', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup({});
  });
  afterAll(async () => {
    s?.wire.close();
    await s?.t.close();
  });

  const MALFORMED = ['evil.com:abc', 'evil.com:99999', 'a b', '[::1', '[zz]:80', 'x%zz', 'a@b.example', 'evil.com:80:80', 'evil.com:-1', ':80'];

  async function tokensOf(number: number): Promise<number> {
    return (await s.t.ctx.db.selectFrom('email_tokens').select('digest').where('user_number', '=', number).execute()).length;
  }

  it.each(MALFORMED)('email/verify/ with Host %j: 400, no token, no mail, the mail slot kept', async (host) => {
    const u = await v1User(s);
    const user = (await s.t.ctx.accounts.byId(u.id))!;
    const r = await s.wire.send({ method: 'POST', path: '/v1/user/email/verify/', headers: { host, authorization: `Token ${u.knox}` } });
    expect({ status: r.status, body: r.json }).toEqual({ status: 400, body: 'Bad request.' });
    expect(await tokensOf(user.number)).toBe(0);
    // The slot is still free: the same request with a good Host mails at once.
    const again = await s.wire.send({ method: 'POST', path: '/v1/user/email/verify/', headers: { authorization: `Token ${u.knox}` } });
    expect(again.json).toBe('Verification email sent.');
    const mail = await smtp.waitFor((m) => m.to.includes(u.email));
    expect(smtp.messages.filter((m) => m.to.includes(u.email))).toEqual([mail]);
    expect(await tokensOf(user.number)).toBe(1);
  });

  it('the reset requests of v1 and user-account: 400, no token, no mail', async () => {
    const u = await v1User(s);
    const user = (await s.t.ctx.accounts.byId(u.id))!;
    const json = { host: 'evil.com:abc', 'content-type': 'application/json' };
    const v1 = await s.wire.send({ method: 'POST', path: '/v1/user/password/reset/', headers: json, body: JSON.stringify({ email: u.email }) });
    expect({ status: v1.status, body: v1.json }).toEqual({ status: 400, body: 'Bad request.' });
    const ua = await s.wire.send({ method: 'POST', path: '/user_account/reset_password_request', headers: json, body: JSON.stringify({ username: u.username }) });
    expect({ status: ua.status, body: ua.json }).toEqual({ status: 400, body: { msg: 'Bad request.' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(await tokensOf(user.number)).toBe(0);
    expect(smtp.messages.some((m) => m.to.includes(u.email))).toBe(false);
  });

  it.each([
    ['/v1/user/me/', '"Bad request."'],
    ['/api/user/me', '{"detail":"Bad request."}'],
    ['/account/profile', '{"detail":"Bad request."}'],
    ['/users/login/', '{"error":"Bad request."}'],
    ['/user_account/profile_settings', '{"msg":"Bad request."}'],
    ['/admin/api/users/', '{"detail":"Bad request."}'],
    ['/healthz', '{"detail":"Bad request."}'],
  ])('%s answers its surface’s 400', async (path, body) => {
    for (const host of MALFORMED) {
      const r = await s.wire.send({ method: 'GET', path, headers: { host } });
      expect({ host, status: r.status, body: r.text }).toEqual({ host, status: 400, body });
    }
  });

  it('a malformed X-Forwarded-Host from a trusted proxy is refused the same way', async () => {
    const r = await s.wire.send({ method: 'GET', path: '/v1/user/me/', headers: { 'x-forwarded-host': 'evil.com:abc' } });
    expect({ status: r.status, body: r.json }).toEqual({ status: 400, body: 'Bad request.' });
  });

  it('an HTTP/1.0 request without Host is served; the admin API pages then have no host to name', async () => {
    for (let i = 0; i < 3; i++) await v1User(s);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(s.wire.port, '127.0.0.1');
      let out = '';
      socket.on('data', (d) => (out += d.toString('utf8')));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
      socket.write(`GET /admin/api/users/?page_size=1&page=2 HTTP/1.0\r\nAuthorization: Token ${s.admin.knox}\r\n\r\n`);
    });
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { next: string; previous: string };
    expect(body.next).toBe('http:///admin/api/users/?page_size=1&page=3');
    expect(body.previous).toBe('http:///admin/api/users/?page_size=1');
  });

  it('well-formed hosts are served, and the admin API pages name them (PUBLIC_URL unset)', async () => {
    for (let i = 0; i < 3; i++) await v1User(s);
    for (const host of ['localhost', `127.0.0.1:${s.wire.port}`, `[::1]:${s.wire.port}`, 'Gatehouse.Example.', 'a_b.example:65535']) {
      const r = await s.wire.send({ method: 'GET', path: '/admin/api/users/?page_size=1&page=2', headers: { host, authorization: `Token ${s.admin.knox}` } });
      expect(r.status, `${host}: ${r.text}`).toBe(200);
      const body = r.json as { next: string; previous: string };
      expect(body.next).toBe(`http://${host}/admin/api/users/?page_size=1&page=3`);
      expect(body.previous).toBe(`http://${host}/admin/api/users/?page_size=1`);
    }
  });
});
