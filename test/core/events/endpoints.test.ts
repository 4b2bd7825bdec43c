// The webhook endpoint API the admin JSON routes call (events.md §2): validation results in
// `{"<field>": ["…"]}` form, the endpoint object, the secret shown once and sealed at rest,
// rotation, deliveries by status, retry, test events, and the audit names.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BY, freshStore, makeEvents, someUser, type TestStore } from './support.js';
import type { Events } from '../../../src/core/events/index.js';

let s: TestStore;
let events: Events;
let answers: Record<string, string[]>;
beforeAll(async () => {
  s = await freshStore();
  answers = {};
  const resolver = async (host: string) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  events = makeEvents(s.db, s.dialect, { config: { webhookAllowHttp: false, webhookAllowPrivate: false }, resolver }).events;
});
afterAll(async () => {
  await s?.close();
});
beforeEach(async () => {
  await s.db.deleteFrom('webhook_endpoints').execute();
  await s.db.deleteFrom('audit_log').execute();
  answers = { 'hooks.example.com': ['93.184.216.34'], 'rebind.example.com': ['93.184.216.35', '10.0.0.8'], 'v6.example.com': ['::ffff:127.0.0.1'] };
});

const audits = () => s.db.selectFrom('audit_log').selectAll().orderBy('id').execute();

describe('create', () => {
  it('answers the endpoint object with its secret, audits admin.webhook.create, and seals the secret at rest', async () => {
    const r = await events.endpoints.create({ url: 'https://hooks.example.com/gatehouse', events: ['user.created', 'user.deleted'], description: ' CRM ' }, BY);
    if (!r.ok) throw new Error(JSON.stringify(r));
    expect(Object.keys(r.endpoint)).toEqual(['id', 'url', 'events', 'description', 'enabled', 'created', 'updated', 'failing_since', 'secret']);
    expect(r.endpoint).toMatchObject({ url: 'https://hooks.example.com/gatehouse', events: ['user.created', 'user.deleted'], description: 'CRM', enabled: true, failing_since: null });
    expect(r.endpoint.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(r.endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const row = await s.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', r.endpoint.id).executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(r.endpoint.secret.slice(6));
    expect(JSON.stringify(row)).not.toContain(r.endpoint.secret.slice(6, 20));

    const { secret: _secret, ...plain } = r.endpoint;
    expect(await events.endpoints.get(r.endpoint.id)).toEqual(plain);
    const [entry] = await audits();
    expect(entry).toMatchObject({ event: 'admin.webhook.create', surface: 'admin-api', actor_id: BY.actor.id });
    expect(JSON.parse(entry.details)).toEqual({ endpoint: r.endpoint.id, events: ['user.created', 'user.deleted'], enabled: true });
    expect(entry.details).not.toContain('whsec_');
  });

  it.each<[unknown, Record<string, string[]>]>([
    [{}, { url: ['This field is required.'], events: ['This field is required.'] }],
    [{ url: null, events: null, description: null, enabled: null }, { url: ['This field may not be null.'], events: ['This field may not be null.'], description: ['This field may not be null.'], enabled: ['This field may not be null.'] }],
    [{ url: '', events: [] }, { url: ['This field may not be blank.'], events: ['This list may not be empty.'] }],
    [{ url: ['x'], events: 'user.created' }, { url: ['Not a valid string.'], events: ['Expected a list of items but got type "str".'] }],
    [{ url: '/relative', events: ['user.nope', 'user.created', 5] }, { url: ['Enter a valid URL.'], events: ['"user.nope" is not a valid choice.', '"5" is not a valid choice.'] }],
    [{ url: 'ftp://hooks.example.com/', events: ['*', 'user.created'] }, { url: ['Enter a valid URL.'], events: ['"*" cannot be combined with other event types.'] }],
    [{ url: 'http://hooks.example.com/', events: ['webhook.test'] }, { url: ['Only https:// URLs are allowed.'], events: ['"webhook.test" is not a valid choice.'] }],
    [{ url: 'https://hooks.example.com/' + 'a'.repeat(2048), events: ['*'], description: 'd'.repeat(1001), enabled: 'maybe' }, { url: ['Ensure this field has no more than 2048 characters.'], description: ['Ensure this field has no more than 1000 characters.'], enabled: ['Must be a valid boolean.'] }],
    [['url'], { non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] }],
  ])('%j → %j', async (body, errors) => {
    const r = await events.endpoints.create(body, BY);
    expect(r).toEqual({ ok: false, reason: 'invalid', errors });
    expect(await s.db.selectFrom('webhook_endpoints').selectAll().execute()).toEqual([]);
    expect(await audits()).toEqual([]);
  });

  it.each([
    'https://127.0.0.1/', 'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://10.0.0.1/', 'https://169.254.169.254/latest/meta-data/',
    'https://224.0.0.1/', 'https://0.0.0.0/', 'https://rebind.example.com/', 'https://v6.example.com/', 'https://[fe80::1]/',
  ])('refuses %s: "This address is not allowed."', async (url) => {
    expect(await events.endpoints.create({ url, events: ['*'] }, BY)).toEqual({ ok: false, reason: 'invalid', errors: { url: ['This address is not allowed.'] } });
  });

  it('accepts a name that does not resolve yet (every delivery checks again), and http:// when allowed', async () => {
    expect((await events.endpoints.create({ url: 'https://not-yet.example.com/', events: ['*'] }, BY)).ok).toBe(true);
    const lax = makeEvents(s.db, s.dialect, { config: { webhookAllowHttp: true, webhookAllowPrivate: true } }).events;
    expect((await lax.endpoints.create({ url: 'http://127.0.0.1:8080/hook', events: ['*'], enabled: 'false' }, BY)).ok).toBe(true);
  });
});

describe('list, get, update, delete', () => {
  it('lists newest first in pages', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await events.endpoints.create({ url: `https://hooks.example.com/${i}`, events: ['*'] }, BY);
      if (r.ok) ids.push(r.endpoint.id);
    }
    const first = await events.endpoints.list({ offset: 0, limit: 2 });
    const last = await events.endpoints.list({ offset: 4, limit: 2 });
    expect(first.count).toBe(5);
    expect(first.results.map((e) => e.id)).toEqual([ids[4], ids[3]]);
    expect(last.results.map((e) => e.id)).toEqual([ids[0]]);
    expect(first.results[0]).not.toHaveProperty('secret');
  });

  it('patches the given fields, audits their names, and a re-enable forgets the failing streak', async () => {
    const r = await events.endpoints.create({ url: 'https://hooks.example.com/a', events: ['*'] }, BY);
    if (!r.ok) throw new Error('setup');
    await s.db.updateTable('webhook_endpoints').set({ enabled: 0, failing_since: 1 }).where('id', '=', r.endpoint.id).execute();
    const u = await events.endpoints.update(r.endpoint.id, { url: 'https://hooks.example.com/b', enabled: true, description: 'x', events: ['*'] }, BY);
    if (!u.ok) throw new Error(JSON.stringify(u));
    expect(u.endpoint).toMatchObject({ url: 'https://hooks.example.com/b', enabled: true, description: 'x', events: ['*'], failing_since: null });
    expect(u.endpoint.updated > r.endpoint.updated).toBe(true);
    const entry = (await audits()).at(-1)!;
    expect(entry.event).toBe('admin.webhook.update');
    expect(JSON.parse(entry.details)).toEqual({ endpoint: r.endpoint.id, changed: ['url', 'description', 'enabled'] });

    expect(await events.endpoints.update(r.endpoint.id, { url: 'https://10.0.0.1/' }, BY)).toEqual({ ok: false, reason: 'invalid', errors: { url: ['This address is not allowed.'] } });
    expect(await events.endpoints.update('00000000-0000-4000-8000-000000000000', { enabled: false }, BY)).toEqual({ ok: false, reason: 'not_found' });
    expect(await events.endpoints.update('not-a-uuid', {}, BY)).toEqual({ ok: false, reason: 'not_found' });
  });

  it('delete removes the endpoint and its deliveries, audits it, and is not found the second time', async () => {
    const r = await events.endpoints.create({ url: 'https://hooks.example.com/a', events: ['*'] }, BY);
    if (!r.ok) throw new Error('setup');
    await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    expect(await s.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', r.endpoint.id).execute()).toHaveLength(1);
    expect(await events.endpoints.remove(r.endpoint.id, BY)).toBe(true);
    expect(await events.endpoints.remove(r.endpoint.id, BY)).toBe(false);
    expect(await events.endpoints.get(r.endpoint.id)).toBeNull();
    expect(await s.db.selectFrom('webhook_deliveries').selectAll().where('endpoint_id', '=', r.endpoint.id).execute()).toEqual([]);
    expect((await audits()).map((a) => a.event)).toEqual(['admin.webhook.create', 'admin.webhook.delete']);
  });
});

describe('rotate, deliveries, retry, test', () => {
  it('rotation gives a new secret, keeps the old one for 24 hours, and audits admin.webhook.rotate', async () => {
    const r = await events.endpoints.create({ url: 'https://hooks.example.com/a', events: ['*'] }, BY);
    if (!r.ok) throw new Error('setup');
    const before = await s.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', r.endpoint.id).executeTakeFirstOrThrow();
    const rotated = await events.endpoints.rotateSecret(r.endpoint.id, BY);
    if (!rotated.ok) throw new Error('rotate');
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(r.endpoint.secret);
    const after = await s.db.selectFrom('webhook_endpoints').selectAll().where('id', '=', r.endpoint.id).executeTakeFirstOrThrow();
    expect(after.previous_secret).toBe(before.secret);
    expect(after.previous_secret_until! - after.updated).toBe(24 * 3600 * 1_000_000);
    expect((await audits()).at(-1)!.event).toBe('admin.webhook.rotate');
    expect(await events.endpoints.rotateSecret('00000000-0000-4000-8000-000000000000', BY)).toEqual({ ok: false, reason: 'not_found' });
  });

  it('lists deliveries newest first by status, retries one now, and sends a test event to that endpoint only', async () => {
    const a = await events.endpoints.create({ url: 'https://hooks.example.com/a', events: ['*'] }, BY);
    const b = await events.endpoints.create({ url: 'https://hooks.example.com/b', events: ['*'] }, BY);
    if (!a.ok || !b.ok) throw new Error('setup');
    const e1 = await events.outbox.record(s.db, { type: 'user.created', user: someUser(), surface: 'v1' });
    const e2 = await events.outbox.record(s.db, { type: 'user.deleted', user: someUser() });
    const [d1] = await s.db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', e1.id).where('endpoint_id', '=', a.endpoint.id).execute();
    await s.db.updateTable('webhook_deliveries').set({ status: 'failed', attempts: 8, next_attempt_at: null, last_status_code: 500, last_error: 'HTTP 500', last_response: 'oops' }).where('id', '=', d1.id).execute();

    const all = await events.endpoints.deliveries(a.endpoint.id, { offset: 0, limit: 50 });
    if (!all.ok) throw new Error('list');
    expect(all.count).toBe(2);
    expect(all.results.map((d) => d.event_id)).toEqual([e2.id, e1.id]);
    expect(Object.keys(all.results[0])).toEqual(['id', 'event_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'last_status_code', 'last_error', 'last_response', 'created', 'updated']);
    expect(all.results[1]).toMatchObject({ id: d1.id, event_type: 'user.created', status: 'failed', attempts: 8, next_attempt_at: null, last_status_code: 500, last_error: 'HTTP 500', last_response: 'oops' });
    const failed = await events.endpoints.deliveries(a.endpoint.id, { status: 'failed', offset: 0, limit: 50 });
    expect(failed.ok && failed.results.map((d) => d.id)).toEqual([d1.id]);
    expect(await events.endpoints.deliveries(a.endpoint.id, { status: 'done', offset: 0, limit: 50 })).toEqual({ ok: false, reason: 'invalid', errors: { status: ['Select a valid choice. done is not one of the available choices.'] } });
    expect(await events.endpoints.deliveries('00000000-0000-4000-8000-000000000000', { offset: 0, limit: 50 })).toEqual({ ok: false, reason: 'not_found' });

    const retried = await events.endpoints.retry(a.endpoint.id, d1.id);
    if (!retried.ok) throw new Error('retry');
    expect(retried.delivery).toMatchObject({ status: 'pending', attempts: 8 });
    expect(retried.delivery.next_attempt_at).not.toBeNull();
    expect(await events.endpoints.retry(b.endpoint.id, d1.id)).toEqual({ ok: false, reason: 'not_found' });

    const t = await events.endpoints.sendTest(b.endpoint.id);
    if (!t.ok) throw new Error('test');
    const testDeliveries = await s.db.selectFrom('webhook_deliveries').selectAll().where('event_id', '=', t.eventId).execute();
    expect(testDeliveries.map((d) => [d.endpoint_id, d.event_type])).toEqual([[b.endpoint.id, 'webhook.test']]);
    const testEvent = await s.db.selectFrom('events').selectAll().where('id', '=', t.eventId).executeTakeFirstOrThrow();
    expect(JSON.parse(testEvent.body)).toMatchObject({ type: 'webhook.test', data: {} });
    expect(await events.endpoints.sendTest('00000000-0000-4000-8000-000000000000')).toEqual({ ok: false, reason: 'not_found' });
  });
});
