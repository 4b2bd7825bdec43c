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
};
export const USER_EDIT = { full_name: 'Grace Hopper', phone: '+12025550143' };
export const USER_EDITED = { ...USER, ...USER_EDIT, updated: '2026-12-04T22:47:48.769793Z' };
export const USERS_PAGE = { count: 1, next: null, previous: null, results: [USER] };
export const PASSWORD_BODY = { password: 'Navy-Cobol-1959' };

export const STATS = {
  users: 2, active_users: 2, staff: 1, superusers: 1, verified: 0, locked: 0, registrations_7d: 2, logins_24h: 2, login_failures_24h: 1,
  lockouts_24h: 0, artist_profiles: 1, collector_profiles: 0, knox_tokens: 2, jwt_logins: 0,
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
      id: 5,
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
