// The admin JSON API: a superuser (made with `createsuperuser`) logs in through v1 and manages a
// user who registered through v1: list, read, edit, set the password, unlock, end the sessions,
// mail a reset, turn off her two-factor, the user's profile, the audit log, and deletion; with
// the answers to someone who is not staff and to no credential at all. Then the webhook
// endpoints: one pointing at a receiver on this machine (so WEBHOOK_ALLOW_HTTP and
// WEBHOOK_ALLOW_PRIVATE), which is busy at first and takes the retried delivery.
import type { Recorder } from '../support/recorder.js';
import type { Scenario } from './types.js';

const ROOT = { email: 'root@example.com', username: 'root', password: 'Quartz-Lamp-91' };
const GRACE = { email: 'grace@example.com', username: 'grace', password: 'Compiler,1952' };
const A = '/admin/api/';
/** A well-formed id that names nothing. */
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

export const admin: Scenario = {
  surface: 'admin',
  settings: { SURFACES: 'v1,admin', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' },
  superusers: [ROOT],
  services: { receiver: { failFirst: 1 } },
  async run(r) {
    const login = await r.send('login', { method: 'POST', path: '/v1/user/login-knox/', json: { email: ROOT.email, password: ROOT.password } }, { expect: 200 });
    const staff = { Authorization: `Token ${login.json.token}` };

    const grace = await r.send('grace-register', { method: 'POST', path: '/v1/user/register/', json: { ...GRACE, confirm_password: GRACE.password } }, { hidden: true, expect: 201 });
    const graceLogin = await r.send('grace-login', { method: 'POST', path: '/v1/user/login-knox/', json: { email: GRACE.email, password: GRACE.password } }, { hidden: true, expect: 200 });
    const graceToken = { Authorization: `Token ${graceLogin.json.token}` };
    const profile = await r.send('grace-profile', { method: 'POST', path: '/v1/user/profile/artist/', headers: graceToken, json: { bio: 'Writes compilers; paints on weekends.', instagram: '' } }, { hidden: true, expect: 201 });
    await r.send('grace-wrong-password', { method: 'POST', path: '/v1/user/login-knox/', json: { email: GRACE.email, password: 'Compiler,1953' } }, { hidden: true, expect: 401 });
    const enrol = await r.send('grace-mfa-start', { method: 'POST', path: '/v1/user/mfa/totp/', headers: graceToken, json: { password: GRACE.password } }, { hidden: true, expect: 200 });
    await r.send('grace-mfa-confirm', { method: 'POST', path: '/v1/user/mfa/totp/confirm/', headers: graceToken, json: { code: null } }, { hidden: true, expect: 200, fresh: [{ field: 'code', totp: enrol.json.secret }] });

    await r.send('stats', { method: 'GET', path: A + 'stats/', headers: staff }, { expect: 200 });
    await r.send('users-list', { method: 'GET', path: A + 'users/?q=grace', headers: staff }, { expect: 200 });
    await r.send('users-list-past-end', { method: 'GET', path: A + 'users/?q=grace&page=2', headers: staff }, { expect: 404 });
    await r.send('users-list-invalid', { method: 'GET', path: A + 'users/?active=maybe', headers: staff }, { expect: 400 });
    const user = `${A}users/${grace.json.id}/`;
    await r.send('user-get', { method: 'GET', path: user, headers: staff }, { expect: 200 });
    await r.send('user-update', { method: 'PATCH', path: user, headers: staff, json: { full_name: 'Grace Hopper', phone: '+12025550143' } }, { expect: 200 });
    await r.send('user-update-invalid', { method: 'PATCH', path: user, headers: staff, json: { email: 'ROOT@example.com', phone: '+1 202 555 0143 ext 9' } }, { expect: 400 });
    await r.send('user-unlock', { method: 'POST', path: user + 'unlock/', headers: staff }, { expect: 204 });
    await r.send('user-password', { method: 'POST', path: user + 'password/', headers: staff, json: { password: 'Navy-Cobol-1959' } }, { expect: 204 });
    await r.send('user-password-invalid', { method: 'POST', path: user + 'password/', headers: staff, json: { password: 'short' } }, { expect: 400 });
    await r.send('grace-after-password', { method: 'GET', path: '/v1/user/me/', headers: graceToken }, { expect: 401 });
    await r.send('user-revoke-sessions', { method: 'POST', path: user + 'revoke-sessions/', headers: staff }, { expect: 204 });
    await r.send('user-send-reset', { method: 'POST', path: user + 'send-reset/', headers: staff }, { expect: 204 });
    await r.send('user-send-reset-again', { method: 'POST', path: user + 'send-reset/', headers: staff }, { expect: 429 });
    await r.send('user-mfa-reset', { method: 'POST', path: user + 'mfa/reset/', headers: staff }, { expect: 204 });
    await r.send('user-mfa-reset-unknown', { method: 'POST', path: `${A}users/${NO_SUCH_ID}/mfa/reset/`, headers: staff }, { expect: 404 });

    await r.send('profiles-list', { method: 'GET', path: A + 'profiles/artist/', headers: staff }, { expect: 200 });
    const one = `${A}profiles/artist/${profile.json.id}/`;
    await r.send('profile-get', { method: 'GET', path: one, headers: staff }, { expect: 200 });
    await r.send('profile-update', { method: 'PATCH', path: one, headers: staff, json: { instagram: 'https://instagram.com/grace.paints' } }, { expect: 200 });
    await r.send('profile-delete', { method: 'DELETE', path: one, headers: staff }, { expect: 204 });

    await r.send('audit', { method: 'GET', path: `${A}audit/?user=${grace.json.id}&event=admin.user.update`, headers: staff }, { expect: 200 });

    const graceAgain = await r.send('grace-login-again', { method: 'POST', path: '/v1/user/login-knox/', json: { email: GRACE.email, password: 'Navy-Cobol-1959' } }, { hidden: true, expect: 200 });
    await r.send('not-staff', { method: 'GET', path: A + 'stats/', headers: { Authorization: `Token ${graceAgain.json.token}` } }, { expect: 403 });
    await r.send('no-credentials', { method: 'GET', path: A + 'stats/' }, { expect: 401 });
    await r.send('user-delete', { method: 'DELETE', path: user, headers: staff }, { expect: 204 });
    await r.send('user-get-deleted', { method: 'GET', path: user, headers: staff }, { expect: 404 });
    await r.send('delete-self', { method: 'DELETE', path: `${A}users/${login.json.id}/`, headers: staff }, { expect: 400 });

    await webhooks(r, staff);
  },
};

/** A superuser adds an endpoint, sends it a test event, retries the delivery the busy receiver refused, rotates the secret and removes the endpoint. */
async function webhooks(r: Recorder, staff: Record<string, string>): Promise<void> {
  const url = `${r.services.receiver!.origin}/hooks/crm`;
  const created = await r.send('webhook-create', { method: 'POST', path: A + 'webhooks/', headers: staff, json: { url, events: ['user.created', 'user.deleted'], description: 'CRM sync' } }, { expect: 201 });
  await r.send('webhook-create-invalid', { method: 'POST', path: A + 'webhooks/', headers: staff, json: { url: 'ftp://crm.example.com/hooks', events: ['user.renamed'] } }, { expect: 400 });
  await r.send('webhooks-list', { method: 'GET', path: A + 'webhooks/', headers: staff }, { expect: 200 });
  const one = `${A}webhooks/${created.json.id}/`;
  await r.send('webhook-get', { method: 'GET', path: one, headers: staff }, { expect: 200 });
  await r.send('webhook-update', { method: 'PATCH', path: one, headers: staff, json: { events: ['*'], description: 'CRM sync (every event)' } }, { expect: 200 });
  await r.send('webhook-update-invalid', { method: 'PATCH', path: one, headers: staff, json: { events: ['*', 'user.created'] } }, { expect: 400 });
  await r.send('webhook-test', { method: 'POST', path: one + 'test/', headers: staff }, { expect: 202 });
  const deliveries = await r.send('webhook-deliveries', { method: 'GET', path: one + 'deliveries/', headers: staff }, { expect: 200, settle: true });
  await r.send('webhook-delivery-retry', { method: 'POST', path: `${one}deliveries/${deliveries.json.results[0].id}/retry/`, headers: staff }, { expect: 202 });
  await r.send('webhook-deliveries-succeeded', { method: 'GET', path: one + 'deliveries/?status=succeeded', headers: staff }, { expect: 200, settle: true });
  await r.send('webhook-deliveries-invalid', { method: 'GET', path: one + 'deliveries/?status=done', headers: staff }, { expect: 400 });
  await r.send('webhook-rotate-secret', { method: 'POST', path: one + 'rotate-secret/', headers: staff }, { expect: 200 });
  await r.send('webhook-delete', { method: 'DELETE', path: one, headers: staff }, { expect: 204 });
  await r.send('webhook-get-deleted', { method: 'GET', path: one, headers: staff }, { expect: 404 });
}
