// email/verify/ and email/verify/<token>/ (v1.md §5.6, §5.7), following the mailed link.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findLink, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { V1, type TestApp, type TestUser, expectJson, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

const PUBLIC_URL = 'https://accounts.example.org';
let smtp: TestSmtpServer;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await startV1({ SMTP_URL: smtp.url, PUBLIC_URL });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const send = (token: string) => request(t.url, 'POST', V1 + 'email/verify/', { headers: tokenHeader(token) });

/** Follows a mailed link on this server (the link's origin is PUBLIC_URL). */
const follow = (link: string) => request(t.url, 'GET', link.slice(PUBLIC_URL.length));

async function mailedLink(user: TestUser): Promise<string> {
  const mail = await smtp.waitFor((m) => m.to.includes(user.email) && m.subject === 'Verify your email address');
  return findLink(mail, `${PUBLIC_URL}/v1/user/email/verify/`);
}

describe('email verification', () => {
  it('sends a link; following it verifies, idempotently, audited once', async () => {
    const user = await registerUser(t.url, 'verify');
    const token = await knoxLogin(t.url, user);
    expectJson(await send(token), 200, 'Verification email sent.');
    const link = await mailedLink(user);
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/v1/user/email/verify/[A-Za-z0-9_-]{43}/$`));
    expectJson(await follow(link), 200, 'Email verified.');
    expectJson(await follow(link), 200, 'Email verified.');
    expect((await request(t.url, 'GET', V1 + 'me/', { headers: tokenHeader(token) })).json.email_verified).toBe(true);
    expectJson(await send(token), 200, 'Email already verified.');
    const audit = await t.ctx.db.selectFrom('audit_log').select('id').where('user_id', '=', user.id).where('event', '=', 'email.verify').execute();
    expect(audit).toHaveLength(1);
  });

  it('at most one mail per minute: 429 with the throttle text and Retry-After', async () => {
    const user = await registerUser(t.url, 'again');
    const token = await knoxLogin(t.url, user);
    expectJson(await send(token), 200, 'Verification email sent.');
    const r = await send(token);
    const wait = Number(r.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(59);
    expect(wait).toBeLessThanOrEqual(60);
    expectJson(r, 429, `Request was throttled. Expected available in ${wait} seconds.`);
  });

  it('an account without an email cannot ask', async () => {
    const created = await t.ctx.accounts.create({ username: 'mailless', password: 'Admin,123' });
    if (!created.ok) throw new Error('not created');
    const { token } = await t.ctx.knox.create(created.user, null, null);
    expectJson(await send(token), 400, 'Email error. This account has no email address.');
  });

  it('a link stops working once the address changes; unknown or expired tokens are refused', async () => {
    const user = await registerUser(t.url, 'change');
    const token = await knoxLogin(t.url, user);
    await send(token);
    const link = await mailedLink(user);
    await request(t.url, 'PUT', V1 + 'me/', { headers: tokenHeader(token), json: { email: `changed-${user.email}` } });
    expectJson(await follow(link), 400, 'Invalid or expired token.');
    for (const bad of ['x', 'A'.repeat(43), 'A'.repeat(500), '%00']) expectJson(await request(t.url, 'GET', `${V1}email/verify/${bad}/`), 400, 'Invalid or expired token.');
    await t.ctx.db.updateTable('email_tokens').set({ expires: 1 }).where('purpose', '=', 'v1-verify').execute();
    expectJson(await request(t.url, 'GET', `${V1}email/verify/${link.split('/').at(-2)}/`), 400, 'Invalid or expired token.');
  });

  it('needs a credential to ask, none to confirm', async () => {
    expectJson(await request(t.url, 'POST', V1 + 'email/verify/'), 401, 'Authentication credentials were not provided.');
    expectJson(await request(t.url, 'GET', V1 + 'email/verify/abc/', { headers: { authorization: 'Token' } }), 401, 'Invalid token header. No credentials provided.');
  });
});
