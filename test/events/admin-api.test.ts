// The webhook endpoints API (events.md §2, admin.md §3.1 conventions) and the read-only admin
// page (/admin/webhooks/), over HTTP: superusers only, the endpoint object, validation with its
// messages, the address guard at creation, the secret (shown twice only, sealed at rest, both
// secrets signing after a rotation), deliveries with their filter, retry and test, and the audit.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { startApp } from '../helpers/app.js';
import { request } from '../helpers/http.js';
import { PASSWORD, knoxHeader, makeUser, textOf, uiLogin } from '../surfaces/admin/support.js';
import { ISO_MICROS, SignedReceiver, type TestApp, addEndpoint, api, startEventsApp, superuser, waitFor } from './support.js';

let t: TestApp;
let strict: TestApp;
let rx: SignedReceiver;
let root: string;

beforeAll(async () => {
  [t, strict, rx] = await Promise.all([startEventsApp(), startApp({ SURFACES: 'admin' }), new SignedReceiver().start()]);
  root = await superuser(t);
});
afterAll(async () => {
  await rx?.close();
  await Promise.all([t?.close(), strict?.close()]);
});

const ENDPOINT_KEYS = ['id', 'url', 'events', 'description', 'enabled', 'created', 'updated', 'failing_since'];
const DELIVERY_KEYS = ['id', 'event_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'last_status_code', 'last_error', 'last_response', 'created', 'updated'];
const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

async function registerV1(app: TestApp): Promise<string> {
  const tag = Math.random().toString(36).slice(2, 10);
  const r = await request(app.url, 'POST', '/v1/user/register/', { json: { email: `u-${tag}@example.com`, username: `u-${tag}`, password: 'Admin,123', confirm_password: 'Admin,123' } });
  expect(r.status, r.text).toBe(201);
  return r.json.id;
}

describe('who may use it', () => {
  it('superusers only: 401 without a credential, 403 for staff and for other users, on every route', async () => {
    const staff = await knoxHeader(t.ctx, await makeUser(t.ctx, { staff: true }));
    const plain = await knoxHeader(t.ctx, await makeUser(t.ctx));
    const ep = await addEndpoint(t, root, { url: rx.url('/who'), events: ['*'] });
    const routes: Array<[string, string]> = [
      ['GET', '/admin/api/webhooks/'],
      ['POST', '/admin/api/webhooks/'],
      ['GET', `/admin/api/webhooks/${ep.id}/`],
      ['PATCH', `/admin/api/webhooks/${ep.id}/`],
      ['DELETE', `/admin/api/webhooks/${ep.id}/`],
      ['POST', `/admin/api/webhooks/${ep.id}/rotate-secret/`],
      ['GET', `/admin/api/webhooks/${ep.id}/deliveries/`],
      ['POST', `/admin/api/webhooks/${ep.id}/deliveries/00000000-0000-4000-8000-000000000000/retry/`],
      ['POST', `/admin/api/webhooks/${ep.id}/test/`],
    ];
    for (const [method, path] of routes) {
      const none = await api(t, method, path, null, method === 'GET' || method === 'DELETE' ? undefined : {});
      expect({ path, status: none.status, body: none.json }).toEqual({ path, status: 401, body: { detail: 'Authentication credentials were not provided.' } });
      expect(none.headers.get('www-authenticate')).toBe('Token');
      for (const who of [staff, plain]) {
        const r = await api(t, method, path, who, method === 'GET' || method === 'DELETE' ? undefined : { url: 'https://example.com/' });
        expect({ path, status: r.status, body: r.json }).toEqual({ path, status: 403, body: { detail: 'You do not have permission to perform this action.' } });
      }
    }
    // Nothing was changed by the refused calls.
    expect((await api(t, 'GET', `/admin/api/webhooks/${ep.id}/`, root)).json.url).toBe(rx.url('/who'));
  });
});

describe('endpoints', () => {
  it('create answers 201 with the endpoint and its secret, shown only there; the secret is sealed at rest', async () => {
    const r = await api(t, 'POST', '/admin/api/webhooks/', root, { url: rx.url('/create'), events: ['user.created', 'user.deleted'], description: '  CRM sync  ' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json)).toEqual([...ENDPOINT_KEYS, 'secret']);
    expect(r.json).toMatchObject({ url: rx.url('/create'), events: ['user.created', 'user.deleted'], description: 'CRM sync', enabled: true, failing_since: null });
    expect(r.json.created).toMatch(ISO_MICROS);
    expect(r.json.secret).toMatch(SECRET);
    expect(Buffer.from(r.json.secret.slice(6), 'base64')).toHaveLength(32);
    expect(r.headers.get('cache-control')).toBe('no-store');

    const got = await api(t, 'GET', `/admin/api/webhooks/${r.json.id}/`, root);
    expect(got.status).toBe(200);
    expect(Object.keys(got.json)).toEqual(ENDPOINT_KEYS);
    const { secret, ...rest } = r.json;
    expect(got.json).toEqual(rest);
    const stored = await t.ctx.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', r.json.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(secret.slice(6));
    const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', 'like', 'admin.webhook.%').execute();
    expect(JSON.stringify(audit)).not.toContain(secret.slice(6));
  });

  it('lists newest first in DRF pages; a page past the end is 404 "Invalid page."', async () => {
    const app = await startEventsApp({ SURFACES: 'admin' });
    try {
      const auth = await superuser(app);
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await addEndpoint(app, auth, { url: `https://hooks${i}.example.com/in`, events: ['*'] }));
      const first = await api(app, 'GET', '/admin/api/webhooks/?page_size=2', auth);
      expect(first.status).toBe(200);
      expect(first.json.count).toBe(3);
      expect(first.json.results.map((e: { id: string }) => e.id)).toEqual([made[2].id, made[1].id]);
      expect(first.json.next).toBe(`${app.url}/admin/api/webhooks/?page_size=2&page=2`);
      expect(first.json.previous).toBeNull();
      expect(first.json.results[0]).not.toHaveProperty('secret');
      const second = await api(app, 'GET', '/admin/api/webhooks?page_size=2&page=2', auth);
      expect(second.json.results.map((e: { id: string }) => e.id)).toEqual([made[0].id]);
      expect((await api(app, 'GET', '/admin/api/webhooks/?page_size=2&page=3', auth)).json).toEqual({ detail: 'Invalid page.' });
    } finally {
      await app.close();
    }
  });

  it('PATCH changes the keys sent, DELETE removes; unknown or malformed ids are 404', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/patch'), events: ['*'] });
    const r = await api(t, 'PATCH', `/admin/api/webhooks/${ep.id}`, root, { description: 'new', events: ['user.updated'] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: ep.id, url: rx.url('/patch'), description: 'new', events: ['user.updated'], enabled: true });
    expect(r.json).not.toHaveProperty('secret');
    expect((await api(t, 'DELETE', `/admin/api/webhooks/${ep.id}/`, root)).status).toBe(204);
    for (const id of [ep.id, 'not-a-uuid', '00000000-0000-4000-8000-000000000000']) {
      for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', 'rotate-secret/'], ['GET', 'deliveries/'], ['POST', 'test/']]) {
        const res = await api(t, method, `/admin/api/webhooks/${id}/${path}`, root, method === 'PATCH' ? { description: 'x' } : undefined);
        expect({ method, path, status: res.status, body: res.json }).toEqual({ method, path, status: 404, body: { detail: 'Not found.' } });
      }
    }
  });

  it('answers a wrong method with 405 and Allow in DRF order', async () => {
    const r = await api(t, 'PUT', '/admin/api/webhooks/', root, {});
    expect(r.status).toBe(405);
    expect(r.json).toEqual({ detail: 'Method "PUT" not allowed.' });
    expect(r.headers.get('allow')).toBe('GET, POST, HEAD');
  });

  it('the changes are audited with surface admin-api', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/audited'), events: ['*'] });
    await api(t, 'PATCH', `/admin/api/webhooks/${ep.id}/`, root, { enabled: false });
    await api(t, 'POST', `/admin/api/webhooks/${ep.id}/rotate-secret/`, root);
    await api(t, 'DELETE', `/admin/api/webhooks/${ep.id}/`, root);
    const rows = await t.ctx.db.selectFrom('audit_log').select(['event', 'surface', 'details']).where('details', 'like', `%${ep.id}%`).orderBy('id').execute();
    expect(rows.map((r) => [r.event, r.surface])).toEqual([
      ['admin.webhook.create', 'admin-api'],
      ['admin.webhook.update', 'admin-api'],
      ['admin.webhook.rotate', 'admin-api'],
      ['admin.webhook.delete', 'admin-api'],
    ]);
    expect(JSON.parse(rows[1].details)).toMatchObject({ changed: ['enabled'] });
  });
});

describe('validation (400 {"<field>": [...]})', () => {
  const cases: Array<[string, unknown, Record<string, string[]>]> = [
    ['nothing', {}, { url: ['This field is required.'], events: ['This field is required.'] }],
    ['not a URL', { url: 'hooks.example.com/in', events: ['*'] }, { url: ['Enter a valid URL.'] }],
    ['another scheme', { url: 'ftp://hooks.example.com/in', events: ['*'] }, { url: ['Enter a valid URL.'] }],
    ['an unknown type', { url: 'https://hooks.example.com/', events: ['user.created', 'user.exploded'] }, { events: ['"user.exploded" is not a valid choice.'] }],
    ['no types', { url: 'https://hooks.example.com/', events: [] }, { events: ['This list may not be empty.'] }],
    ['a star among types', { url: 'https://hooks.example.com/', events: ['*', 'user.created'] }, { events: ['"*" cannot be combined with other event types.'] }],
    ['events not a list', { url: 'https://hooks.example.com/', events: 'user.created' }, { events: ['Expected a list of items but got type "str".'] }],
    ['enabled not a boolean', { url: 'https://hooks.example.com/', events: ['*'], enabled: 'maybe' }, { enabled: ['Must be a valid boolean.'] }],
    ['test events are not subscribable', { url: 'https://hooks.example.com/', events: ['webhook.test'] }, { events: ['"webhook.test" is not a valid choice.'] }],
  ];
  for (const [what, body, errors] of cases) {
    it(what, async () => {
      const r = await api(strict, 'POST', '/admin/api/webhooks/', await superuser(strict), body);
      expect({ status: r.status, body: r.json }).toEqual({ status: 400, body: errors });
    });
  }

  it('http:// only with WEBHOOK_ALLOW_HTTP=true', async () => {
    const auth = await superuser(strict);
    const r = await api(strict, 'POST', '/admin/api/webhooks/', auth, { url: 'http://hooks.example.com/in', events: ['*'] });
    expect({ status: r.status, body: r.json }).toEqual({ status: 400, body: { url: ['Only https:// URLs are allowed.'] } });
    expect((await api(t, 'POST', '/admin/api/webhooks/', root, { url: 'http://hooks.example.com/in', events: ['*'], enabled: false })).status).toBe(201);
  });

  it('loopback, private, link-local and multicast hosts: "This address is not allowed." (a name is resolved)', async () => {
    const auth = await superuser(strict);
    for (const host of ['127.0.0.1', '127.9.9.9', '[::1]', '10.1.2.3', '172.16.5.4', '192.168.1.1', '[fd00::1]', '169.254.169.254', '[fe80::1]', '224.0.0.251', '[ff02::1]', '0.0.0.0', '[::ffff:127.0.0.1]', 'localhost']) {
      const r = await api(strict, 'POST', '/admin/api/webhooks/', auth, { url: `https://${host}/hook`, events: ['*'] });
      expect({ host, status: r.status, body: r.json }).toEqual({ host, status: 400, body: { url: ['This address is not allowed.'] } });
      const patch = await api(t, 'POST', '/admin/api/webhooks/', root, { url: `https://${host}/hook`, events: ['*'], enabled: false });
      expect({ host, allowedWhenPrivateIsAllowed: patch.status }).toEqual({ host, allowedWhenPrivateIsAllowed: 201 });
    }
    const ok = await api(strict, 'POST', '/admin/api/webhooks/', auth, { url: 'https://93.184.216.34/hook', events: ['*'] });
    expect(ok.status).toBe(201);
    const moved = await api(strict, 'PATCH', `/admin/api/webhooks/${ok.json.id}/`, auth, { url: 'https://192.168.0.10/hook' });
    expect({ status: moved.status, body: moved.json }).toEqual({ status: 400, body: { url: ['This address is not allowed.'] } });
    expect(await strict.ctx.db.selectFrom('webhook_endpoints').select('id').where('url', 'like', '%192.168%').execute()).toEqual([]);
  });
});

describe('deliveries, retry, test and the secret', () => {
  it('lists deliveries newest first with a status filter; retry schedules one again (202)', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/list'), events: ['user.created'] });
    rx.trust('/list', ep.secret);
    const ids = [await registerV1(t), await registerV1(t)];
    await waitFor(() => rx.acceptedIds('/list').size === 2, 10_000, 'both deliveries');
    const all = (await waitFor(async () => {
      const r = await api(t, 'GET', `/admin/api/webhooks/${ep.id}/deliveries/?status=succeeded`, root);
      return r.json.count === 2 ? r : null;
    }))!;
    expect(all.json.results.map((d: { event_type: string }) => d.event_type)).toEqual(['user.created', 'user.created']);
    expect(Object.keys(all.json.results[0])).toEqual(DELIVERY_KEYS);
    const [newest, oldest] = all.json.results;
    expect(newest.event_id > oldest.event_id).toBe(true);
    expect(rx.of('user.created', { path: '/list' }).map((d) => d.data.user.id)).toEqual(ids);
    expect(newest).toMatchObject({ status: 'succeeded', attempts: 1, next_attempt_at: null, last_status_code: 204, last_error: null, last_response: '' });
    expect((await api(t, 'GET', `/admin/api/webhooks/${ep.id}/deliveries/?status=pending`, root)).json.count).toBe(0);
    const bad = await api(t, 'GET', `/admin/api/webhooks/${ep.id}/deliveries/?status=lost`, root);
    expect({ status: bad.status, body: bad.json }).toEqual({ status: 400, body: { status: ['Select a valid choice. lost is not one of the available choices.'] } });

    const retried = await api(t, 'POST', `/admin/api/webhooks/${ep.id}/deliveries/${oldest.id}/retry/`, root);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ id: oldest.id, status: 'pending' });
    await waitFor(() => rx.delivered.filter((d) => d.id === oldest.event_id).length === 2, 10_000, 'the retried delivery');
    const again = rx.delivered.filter((d) => d.id === oldest.event_id);
    expect(again[1].body).toBe(again[0].body);
    expect((await api(t, 'POST', `/admin/api/webhooks/${ep.id}/deliveries/${randomUUID()}/retry/`, root)).status).toBe(404);
  });

  it('a malformed endpoint or delivery id is 404 on every route, decided before any query (a NUL byte too)', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/malformed'), events: ['*'] });
    const notFound = { status: 404, body: { detail: 'Not found.' } };
    for (const id of ['%00', 'a%00b', 'nope', `${randomUUID()}x`]) {
      for (const [method, path] of [
        ['GET', `${id}/`], ['PATCH', `${id}/`], ['DELETE', `${id}/`], ['POST', `${id}/rotate-secret/`],
        ['GET', `${id}/deliveries/`], ['POST', `${id}/test/`], ['POST', `${id}/deliveries/${randomUUID()}/retry/`],
        ['POST', `${ep.id}/deliveries/${id}/retry/`],
      ] as const) {
        const r = await api(t, method, `/admin/api/webhooks/${path}`, root, method === 'PATCH' ? { description: 'x' } : undefined);
        expect({ status: r.status, body: r.json }, `${method} ${path}`).toEqual(notFound);
      }
    }
  });

  it('test sends a webhook.test event to that endpoint only', async () => {
    const one = await addEndpoint(t, root, { url: rx.url('/test-one'), events: ['*'] });
    const other = await addEndpoint(t, root, { url: rx.url('/test-other'), events: ['*'] });
    rx.trust('/test-one', one.secret);
    rx.trust('/test-other', other.secret);
    const r = await api(t, 'POST', `/admin/api/webhooks/${one.id}/test/`, root);
    expect(r.status).toBe(202);
    const got = await waitFor(() => rx.of('webhook.test', { path: '/test-one' })[0]);
    expect(got.id).toBe(r.json.event_id);
    expect(JSON.parse(got.body)).toEqual({ type: 'webhook.test', timestamp: got.timestamp, data: {} });
    // The other endpoint (subscribed to everything) sees later events, never the test.
    const later = await registerV1(t);
    await rx.one('user.created', later, '/test-other');
    expect(rx.of('webhook.test', { path: '/test-other' })).toEqual([]);
  });

  it('rotate-secret: 200 {"secret"}; both the new and the old secret sign for 24 hours', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/rotate'), events: ['*'] });
    const r = await api(t, 'POST', `/admin/api/webhooks/${ep.id}/rotate-secret`, root);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json)).toEqual(['secret']);
    expect(r.json.secret).toMatch(SECRET);
    expect(r.json.secret).not.toBe(ep.secret);
    rx.trust('/rotate', r.json.secret);
    await api(t, 'POST', `/admin/api/webhooks/${ep.id}/test/`, root);
    const d = await waitFor(() => rx.of('webhook.test', { path: '/rotate' })[0]);
    const signatures = String(d.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    for (const secret of [r.json.secret, ep.secret]) {
      expect(new Webhook(secret).verify(d.body, d.headers as Record<string, string>)).toEqual(JSON.parse(d.body));
    }
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(d.body, d.headers as Record<string, string>)).toThrow();
  });

  it('disabling parks the waiting deliveries and takes no new ones; enabling sends the parked ones, in order', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/paused'), events: ['user.created'] });
    const control = await addEndpoint(t, root, { url: rx.url('/running'), events: ['user.created'] });
    rx.trust('/paused', ep.secret);
    rx.trust('/running', control.secret);
    let down = true;
    rx.answer = (r) => (r.path === '/paused' && down ? { status: 503 } : undefined);
    const parked = [await registerV1(t), await registerV1(t), await registerV1(t)];
    await waitFor(() => rx.of('user.created', { path: '/paused' }).length > 0, 10_000, 'a first failed attempt');
    expect((await api(t, 'PATCH', `/admin/api/webhooks/${ep.id}/`, root, { enabled: false })).json.enabled).toBe(false);
    // Parked: pending with no next attempt, once any attempt in flight has ended.
    const deliveries = `/admin/api/webhooks/${ep.id}/deliveries/?status=pending`;
    await waitFor(async () => {
      const page = (await api(t, 'GET', deliveries, root)).json;
      return page.count === 3 && page.results.every((d: { next_attempt_at: string | null }) => d.next_attempt_at === null);
    }, 10_000, 'parked deliveries');
    down = false;
    const whileDisabled = await registerV1(t);
    await rx.one('user.created', whileDisabled, '/running');
    expect(rx.acceptedIds('/paused').size).toBe(0);

    expect((await api(t, 'PATCH', `/admin/api/webhooks/${ep.id}/`, root, { enabled: true })).json).toMatchObject({ enabled: true, failing_since: null });
    const after = await registerV1(t);
    await rx.one('user.created', after, '/paused');
    const accepted = rx.delivered.filter((d) => d.path === '/paused' && d.status === 204).map((d) => d.data.user.id);
    expect(accepted).toEqual([...parked, after]);
    rx.answer = () => undefined;
  });
});

describe('the admin page /admin/webhooks/', () => {
  it('shows superusers the endpoints with their latest deliveries; other staff get 403; anonymous users the login page', async () => {
    const ep = await addEndpoint(t, root, { url: rx.url('/page'), events: ['user.created'], description: 'Billing' });
    rx.trust('/page', ep.secret);
    const user = await registerV1(t);
    await rx.one('user.created', user, '/page');
    await waitFor(async () => (await api(t, 'GET', `/admin/api/webhooks/${ep.id}/deliveries/?status=succeeded`, root)).json.count === 1);

    const boss = await makeUser(t.ctx, { superuser: true });
    const client = await uiLogin(t, boss.username!, PASSWORD);
    const page = await client.get('/admin/webhooks/');
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const text = textOf(page);
    expect(text).toContain(rx.url('/page'));
    expect(text).toContain('Billing');
    expect(text).toMatch(/user\.created evt_[0-9A-Z]{26} succeeded 1 204/);
    expect(page.text).not.toContain(ep.secret.slice(6));
    expect(page.text).toContain('href="/admin/webhooks/"');

    const staff = await makeUser(t.ctx, { staff: true });
    const staffClient = await uiLogin(t, staff.username!, PASSWORD);
    const refused = await staffClient.get('/admin/webhooks/');
    expect(refused.status).toBe(403);
    expect(textOf(refused)).toContain('Permission denied.');
    expect((await staffClient.get('/admin/')).text).not.toContain('href="/admin/webhooks/"');

    const anonymous = await request(t.url, 'GET', '/admin/webhooks/');
    expect(anonymous.status).toBe(302);
    expect(anonymous.headers.get('location')).toBe('/admin/login/?next=/admin/webhooks/');
  });
});
