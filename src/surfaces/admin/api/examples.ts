// Example bodies of the admin API operations for the OpenAPI document (/docs), taken from the
// recorded run that docs/api/admin.md shows; the test suite checks they still have the shape and
// the fixed values of what the server sends.
const USER_ID = 'ab14256b-220d-4a54-bdda-00297f0a7342';
const ROOT = { id: '9a193e0d-bf72-402a-a8c2-bcedd882520f', email: 'root@example.com', username: 'root' };
const PROFILE_ID = '717e7edd-79d5-4b2e-bef8-03233cc0a488';

export const USER = {
  id: USER_ID,
  number: 2,
  email: 'grace@example.com',
  username: 'grace',
  full_name: '',
  phone: null,
  contacts: null,
  avatar: null,
  picture: null,
  email_verified: false,
  is_active: true,
  is_staff: false,
  is_superuser: false,
  locked_until: null,
  failed_logins: 1,
  created: '2026-12-04T22:47:48.508724Z',
  updated: '2026-12-04T22:47:48.508724Z',
  last_login: '2026-12-04T22:47:48.515784Z',
  mfa: { totp: true, recovery_codes_left: 10, passkeys: 0 },
  identities: [],
};
export const USER_EDIT = { full_name: 'Grace Hopper', phone: '+12025550143' };
export const USER_EDITED = { ...USER, ...USER_EDIT, updated: '2026-12-04T22:47:48.769793Z' };
export const USERS_PAGE = { count: 1, next: null, previous: null, results: [USER] };
export const PASSWORD_BODY = { password: 'Navy-Cobol-1959' };

export const STATS = {
  users: 2, active_users: 2, staff: 1, superusers: 1, verified: 0, locked: 0, registrations_7d: 2, logins_24h: 2, login_failures_24h: 1,
  lockouts_24h: 0, artist_profiles: 1, collector_profiles: 0, knox_tokens: 2, jwt_logins: 0, mfa_users: 1,
};

export const PROFILE = {
  id: PROFILE_ID,
  kind: 'artist',
  bio: 'Writes compilers; paints on weekends.',
  instagram: '',
  user_id: USER_ID,
  username: 'grace',
  created: '2026-12-04T22:47:48.542403Z',
  updated: '2026-12-04T22:47:48.542403Z',
};
export const PROFILE_EDIT = { instagram: 'https://instagram.com/grace.paints' };
export const PROFILE_EDITED = { ...PROFILE, ...PROFILE_EDIT, updated: '2026-12-04T22:47:48.875721Z' };
export const PROFILES_PAGE = { count: 1, next: null, previous: null, results: [PROFILE] };

export const AUDIT_PAGE = {
  count: 1,
  next: null,
  previous: null,
  results: [
    {
      id: 6,
      at: '2026-12-04T22:47:48.770148Z',
      event: 'admin.user.update',
      surface: 'admin-api',
      actor: ROOT,
      user: { id: USER_ID, email: 'grace@example.com', username: 'grace' },
      ip: '127.0.0.1',
      user_agent: 'ExampleApp/1.0',
      details: { changed: { full_name: { old: '', new: 'Grace Hopper' }, phone: { old: null, new: '+12025550143' } } },
    },
  ],
};

export const FIELD_ERRORS = { email: ['A user with that email already exists.'], phone: ['Ensure this value has at most 12 characters (it has 21).'] };
export const BAD_FILTER = { active: ['Select a valid choice. maybe is not one of the available choices.'] };

// Webhooks: the endpoint of the recorded run points at a receiver on the recording machine,
// which refused the first delivery (503) and took the retried one.
const ENDPOINT_ID = 'a86f0263-3c7f-49ec-9a70-df98eaf0736f';
const HOOK_URL = 'http://127.0.0.1:39131/hooks/crm';
export const WEBHOOK_BODY = { url: HOOK_URL, events: ['user.created', 'user.deleted'], description: 'CRM sync' };
export const WEBHOOK = {
  id: ENDPOINT_ID,
  ...WEBHOOK_BODY,
  enabled: true,
  created: '2026-12-05T22:04:28.512411Z',
  updated: '2026-12-05T22:04:28.512411Z',
  failing_since: null,
};
export const WEBHOOK_CREATED = { ...WEBHOOK, secret: 'whsec_XTAQAzB3OvgHYiRPrXdgzRAT8NjjGNYEUz7y58TnIQg=' };
export const WEBHOOKS_PAGE = { count: 1, next: null, previous: null, results: [WEBHOOK] };
export const WEBHOOK_EDIT = { events: ['*'], description: 'CRM sync (every event)' };
export const WEBHOOK_EDITED = { ...WEBHOOK, ...WEBHOOK_EDIT, updated: '2026-12-05T22:04:28.520467Z' };
export const WEBHOOK_SECRET = { secret: 'whsec_4X+zi+QsTwACllmgPnXlr5qRRENzHOa+Nbc9bDI9B5o=' };
export const WEBHOOK_TEST = { event_id: 'evt_01M943SDZD1VQT07ZQRNRM2P3G' };
const FAILED_ONCE = {
  id: '9c1fc081-7545-48d2-a0ed-fd6fbb8a114e',
  event_id: WEBHOOK_TEST.event_id,
  event_type: 'webhook.test',
  status: 'pending',
  attempts: 1,
  next_attempt_at: '2026-12-05T22:04:33.608605Z',
  last_status_code: 503,
  last_error: 'HTTP 503',
  last_response: 'busy, try again later',
  created: '2026-12-05T22:04:28.525390Z',
  updated: '2026-12-05T22:04:28.531605Z',
};
export const DELIVERY_RETRIED = { ...FAILED_ONCE, next_attempt_at: '2026-12-05T22:04:28.585879Z', updated: '2026-12-05T22:04:28.585879Z' };
export const DELIVERIES_PAGE = { count: 1, next: null, previous: null, results: [FAILED_ONCE] };
