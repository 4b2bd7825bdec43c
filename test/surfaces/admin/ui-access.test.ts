// The admin web UI over plain HTTP (admin.md §2.1–§2.3): headers, access, routing, CSRF, and the
// login's exact messages, lockout, session and logout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import type { TestApp } from '../../helpers/app.js';
import { Client, type HttpResponse, request } from '../../helpers/http.js';
import { PASSWORD, csrfOf, expectPageHeaders, form, makeUser, postForm, startAdminApp, textOf, uiLogin } from './support.js';

let t: TestApp;
let root: User;
let helper: User; // staff, not superuser

const BAD_CREDENTIALS = 'Please enter the correct username or email and password for a staff account.';
const LOCKED = 'Locked out due to too many login failures.';

beforeAll(async () => {
  t = await startAdminApp();
  root = await makeUser(t.ctx, { superuser: true, username: 'root', email: 'root@example.com' });
  helper = await makeUser(t.ctx, { staff: true, username: 'helper' });
});
afterAll(async () => {
  await t?.close();
});

describe('access and routing', () => {
  it('not logged in: every page → 302 to the login page with next', async () => {
    for (const [path, next] of [['/admin/', '/admin/'], ['/admin/users/?q=a b', '/admin/users/%3Fq%3Da%2520b'], [`/admin/users/${root.id}/`, `/admin/users/${root.id}/`], ['/admin/audit/', '/admin/audit/']]) {
      const r = await request(t.url, 'GET', path);
      expect(r.status, path).toBe(302);
      expect(r.headers.get('location')).toBe(`/admin/login/?next=${next}`);
      expectPageHeaders(r);
    }
  });

  it('not logged in: an action is not carried out', async () => {
    const victim = await makeUser(t.ctx);
    const c = new Client(t.url);
    await c.get('/admin/login/');
    const r = await postForm(c, `/admin/users/${victim.id}/delete/`);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe(`/admin/login/?next=/admin/users/${victim.id}/delete/`);
    expect(await t.ctx.accounts.byId(victim.id)).toBeDefined();
  });

  it('slash-less GET → 301 to the slashed path, query kept; unknown paths → 404 page', async () => {
    const c = await uiLogin(t, 'root');
    for (const [from, to] of [['/admin', '/admin/'], ['/admin/users?q=x', '/admin/users/?q=x'], [`/admin/users/${root.id}`, `/admin/users/${root.id}/`], ['/admin/profiles/artist', '/admin/profiles/artist/']]) {
      const r = await c.get(from);
      expect(r.status, from).toBe(301);
      expect(r.headers.get('location')).toBe(to);
      expectPageHeaders(r);
    }
    for (const path of ['/admin/nothing/', '/admin/nothing', `/admin/users/${root.id}x/`, '/admin/users/00000000-0000-0000-0000-000000000000/', '/admin/profiles/painter/']) {
      const r = await c.get(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.text).toContain('<h1>Not found.</h1>');
      expectPageHeaders(r);
    }
  });

  it('HEAD is served where GET is', async () => {
    const r = await request(t.url, 'HEAD', '/admin/login/');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expectPageHeaders(r);
    expect((await request(t.url, 'HEAD', '/admin/users/')).status).toBe(302);
  });

  it('a wrong method → 405 page with Allow; logout is POST only', async () => {
    const c = await uiLogin(t, 'root');
    const r = await c.get('/admin/logout/');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
    expectPageHeaders(r);
    const put = await c.send('PUT', '/admin/users/', { headers: { 'x-csrftoken': c.jar.csrftoken } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
  });

  it('the stylesheet is served as CSS, cacheable with an ETag', async () => {
    const r = await request(t.url, 'GET', '/admin/static/admin.css');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const again = await request(t.url, 'GET', '/admin/static/admin.css', { headers: { 'if-none-match': r.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('too large a form → 413 page; an unexpected failure answers an HTML page', async () => {
    const c = await uiLogin(t, 'root');
    const r = await c.post(`/admin/users/${root.id}/`, form({ csrfmiddlewaretoken: c.jar.csrftoken, full_name: 'x'.repeat(1024 * 1024 + 1) }));
    expect(r.status).toBe(413);
    expect(r.text).toContain('Request body too large.');
    expectPageHeaders(r);
    const byId = t.ctx.accounts.byId;
    t.ctx.accounts.byId = async () => {
      throw new Error('injected failure at /secret/path');
    };
    try {
      const failed = await c.get(`/admin/users/${root.id}/`);
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toContain('text/html');
      expect(failed.text).toContain('<h1>A server error occurred.</h1>');
      expect(failed.text).not.toContain('injected');
      expectPageHeaders(failed);
    } finally {
      t.ctx.accounts.byId = byId;
    }
  });
});

describe('CSRF (users.md §1.3)', () => {
  it('refuses a POST without the cookie, without the token, with a wrong token, or from a foreign Origin', async () => {
    const c = new Client(t.url);
    const page = await c.get('/admin/login/');
    expect(c.jar.csrftoken).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(csrfOf(page.text)).toBe(c.jar.csrftoken);
    const cases: [Promise<HttpResponse>, string][] = [
      [request(t.url, 'POST', '/admin/login/', form({ username: 'root', password: PASSWORD })), 'CSRF cookie not set.'],
      [c.post('/admin/login/', form({ username: 'root', password: PASSWORD })), 'CSRF token missing.'],
      [c.post('/admin/login/', form({ csrfmiddlewaretoken: 'x'.repeat(32), username: 'root', password: PASSWORD })), 'CSRF token incorrect.'],
      [c.post('/admin/login/', { ...form({ csrfmiddlewaretoken: c.jar.csrftoken, username: 'root', password: PASSWORD }), headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } }),
        'Origin checking failed - https://evil.example does not match any trusted origins.'],
    ];
    for (const [pending, reason] of cases) {
      const r = await pending;
      expect(r.status).toBe(403);
      expect(r.text).toContain('CSRF verification failed. Request aborted.');
      expect(r.text).toContain(reason);
      expectPageHeaders(r);
    }
    expect(c.jar.sessionid).toBeUndefined();
  });

  it('runs before the method check', async () => {
    const r = await request(t.url, 'POST', '/admin/users/');
    expect(r.status).toBe(403);
    expect(r.text).toContain('CSRF cookie not set.');
  });
});

describe('login (§2.3)', () => {
  async function attempt(fields: Record<string, string>, client = new Client(t.url)): Promise<HttpResponse> {
    await client.get('/admin/login/');
    return postForm(client, '/admin/login/', fields);
  }

  it('both fields are required', async () => {
    const r = await attempt({ username: '  ', password: '' });
    expect(r.status).toBe(200);
    expect(r.text.match(/This field is required\./g)).toHaveLength(2);
    expect(r.text).toContain('aria-invalid="true"');
  });

  it('unknown, wrong password, inactive and non-staff all get the same message; only the first three are recorded', async () => {
    const plain = await makeUser(t.ctx, { username: 'plain_user' });
    const sleeper = await makeUser(t.ctx, { staff: true, active: false, username: 'sleeping_staff' });
    const countBefore = async () => (await t.ctx.db.selectFrom('audit_log').select('id').execute()).length;
    for (const fields of [{ username: 'nobody', password: PASSWORD }, { username: 'root', password: 'not the password' }, { username: 'sleeping_staff', password: PASSWORD }]) {
      const r = await attempt(fields);
      expect(r.status).toBe(200);
      expect(textOf(r)).toContain(BAD_CREDENTIALS);
      expect(r.cookie('sessionid')).toBeUndefined();
    }
    expect((await t.ctx.accounts.byId(sleeper.id))!.failed_logins).toBe(1);
    const before = await countBefore();
    const r = await attempt({ username: 'plain_user', password: PASSWORD });
    expect(r.status).toBe(200);
    expect(textOf(r)).toContain(BAD_CREDENTIALS);
    expect(r.cookie('sessionid')).toBeUndefined();
    expect(await countBefore()).toBe(before);
    expect((await t.ctx.accounts.byId(plain.id))!.last_login).toBeNull();
    // Too long a password fails the same way, without counting.
    const long = await attempt({ username: 'root', password: 'p'.repeat(129) });
    expect(textOf(long)).toContain(BAD_CREDENTIALS);
    expect((await t.ctx.accounts.byId(root.id))!.failed_logins).toBe(1);
  });

  it('success: new session id and csrftoken, last_login, streak cleared, audited, 302 to a safe next', async () => {
    const c = new Client(t.url);
    await c.get('/admin/login/');
    const oldCsrf = c.jar.csrftoken;
    await t.ctx.sessions.save('pre-login-session-key', { loginUser: null, loginExpires: null, refreshJti: 'j', refreshExpires: Date.now() * 1000 + 60_000_000 });
    c.jar.sessionid = 'pre-login-session-key';
    const r = await postForm(c, '/admin/login/', { username: 'ROOT@example.com', password: PASSWORD, next: '/admin/audit/?event=logout' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/admin/audit/?event=logout');
    expect(c.jar.sessionid).toBeDefined();
    expect(c.jar.sessionid).not.toBe('pre-login-session-key');
    expect(c.jar.csrftoken).not.toBe(oldCsrf);
    const session = await t.ctx.sessions.load(c.jar.sessionid);
    expect(session).toMatchObject({ loginUser: root.number, refreshJti: 'j' });
    expect(await t.ctx.sessions.load('pre-login-session-key')).toBeNull();
    const fresh = (await t.ctx.accounts.byId(root.id))!;
    expect(fresh.failed_logins).toBe(0);
    expect(fresh.last_login).not.toBeNull();
    const entry = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'login.success').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ surface: 'admin', user_id: root.id });
    expect(JSON.parse(entry.details)).toEqual({ method: 'session' });
    for (const next of ['https://evil.example/admin/', '//evil.example/admin/', '/\\evil.example', '/v1/user/me/', '/admin/../v1/', '']) {
      const r2 = await attempt({ username: 'root', password: PASSWORD, next });
      expect(r2.headers.get('location'), next).toBe('/admin/');
    }
  });

  it('the lock: the failure that locks and every later attempt get the 403 page', async () => {
    const victim = await makeUser(t.ctx, { staff: true, username: 'lock_me' });
    for (let i = 1; i <= 4; i++) expect((await attempt({ username: 'lock_me', password: 'wrong password' })).status).toBe(200);
    const fifth = await attempt({ username: 'lock_me', password: 'wrong password' });
    expect(fifth.status).toBe(403);
    expect(textOf(fifth)).toContain(LOCKED);
    const right = await attempt({ username: 'lock_me', password: PASSWORD });
    expect(right.status).toBe(403);
    expect(textOf(right)).toContain(LOCKED);
    expect(right.cookie('sessionid')).toBeUndefined();
    expect((await t.ctx.accounts.byId(victim.id))!.locked_until).not.toBeNull();
  });

  it('logged in as a non-staff user: the login page says so, and pages redirect', async () => {
    const plain = await makeUser(t.ctx, { username: '<i>plainly</i>' });
    const key = t.ctx.sessions.newKey();
    await t.ctx.sessions.save(key, { loginUser: plain.number, loginExpires: Date.now() * 1000 + 3_600_000_000, refreshJti: null, refreshExpires: null });
    const c = new Client(t.url);
    c.jar.sessionid = key;
    expect((await c.get('/admin/')).status).toBe(302);
    const page = await c.get('/admin/login/');
    expect(page.text).toContain('You are logged in as &lt;i&gt;plainly&lt;/i&gt;, who is not staff. Log in with a staff account.');
  });

  it('a logged-in staff user visiting the login page goes on', async () => {
    const c = await uiLogin(t, 'root');
    const r = await c.get('/admin/login/?next=/admin/users/');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/admin/users/');
  });

  it('logout ends the whole session (and the shared users login), audited', async () => {
    const c = await uiLogin(t, 'helper');
    const key = c.jar.sessionid;
    const r = await postForm(c, '/admin/logout/');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/admin/login/');
    expect(r.setCookies.find((s) => s.startsWith('sessionid='))).toMatch(/Max-Age=0/);
    expect(await t.ctx.sessions.load(key)).toBeNull();
    expect((await c.get('/admin/')).status).toBe(302);
    const login = await c.get('/admin/login/');
    expect(login.text).toContain('You are logged out.');
    expect((await c.get('/admin/login/')).text).not.toContain('You are logged out.');
    const entry = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'logout').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ surface: 'admin', user_id: helper.id });
  });
});

