// Example bodies of the v1 operations for the OpenAPI document (/docs), taken from the recorded
// run that docs/api/v1.md shows; the test suite checks they still have the shape and the fixed
// values of what the server sends.
export const USER_ID = '77fad9b8-1c57-43de-aa2b-9ff555d1fc6e';
const KNOX_TOKEN = '203bb8d635e8c69540ee9c88c4f15e280e5fbadd5a608c3e27cc8c784f50f007';
const ACCESS =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjoxNzk2NTU0MTY3LCJpYXQiOjE3OTY0MjQ1NjcsImp0aSI6IjVjZTNlOGVkYWUwMjdiNTcxNjQxN2Q1Nzc4NjFhOWNmIiwidXNlcl9pZCI6Ijc3ZmFkOWI4LTFjNTctNDNkZS1hYTJiLTlmZjU1NWQxZmM2ZSJ9.hi5uvaXh1HLGeC87ZJLwWcXt0EKGWuZy7OWBLqstx2M';
const REFRESH =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsImV4cCI6MTc5NjUxMDk2NywiaWF0IjoxNzk2NDI0NTY3LCJqdGkiOiJiYzJjOGU0ODNiNmUyZGUyZTUwY2I5ZDExOTI5MjI0OSIsInVzZXJfaWQiOiI3N2ZhZDliOC0xYzU3LTQzZGUtYWEyYi05ZmY1NTVkMWZjNmUifQ.BZWbo7eeTAjnto-zXLujE30jz4MCQoqsLZFHunG0fDE';
const CREATED = '2026-12-04T22:49:26.955565Z';
const PASSWORD = 'Sunflower,42';

export const LOGIN_BODY = { email: 'ann@example.com', password: PASSWORD };
export const REGISTER_BODY = { email: 'ann@example.com', username: 'ann', password: PASSWORD, confirm_password: PASSWORD };
export const USER_SUMMARY = { id: USER_ID, email: 'ann@example.com', username: 'ann' };
export const KNOX_LOGIN = { ...USER_SUMMARY, token: KNOX_TOKEN };
export const JWT_LOGIN = { refresh: REFRESH, access: ACCESS, ...USER_SUMMARY, username: 'ann.lee' };
export const JWT_PAIR = { access: ACCESS, refresh: REFRESH };

export const ME = { id: USER_ID, email: 'ann@example.com', username: 'ann', email_verified: false, avatar: null, created: CREATED };
export const ME_UPDATE = { username: 'ann.lee' };
export const ME_UPDATED = { ...ME, username: 'ann.lee' };
export const AVATAR = { avatar: `http://localhost:8000/v1/user/media/${USER_ID}.png` };

export const PROFILE_BODY = { bio: 'Painter of large skies.', instagram: 'https://instagram.com/ann.paints' };
export const PROFILE = { id: '499ace8e-de79-430b-abcc-854221992f35', ...PROFILE_BODY, user: 'ann.lee' };
export const PROFILE_UPDATE = { bio: 'Painter of large skies and small boats.' };
export const PROFILE_UPDATED = { ...PROFILE, ...PROFILE_UPDATE };

export const SESSIONS = [
  { id: '20b54152-02b1-4eae-af9a-34e6c10e618a', kind: 'knox', created: '2026-12-04T22:49:27.209894Z', last_used: null, expires: '2026-12-05T08:49:27.209894Z', ip: '127.0.0.1', user_agent: 'ExampleApp/1.0', current: false },
  { id: 'ba297731-1eb1-447b-98b6-68c50e9144a1', kind: 'jwt', created: '2026-12-04T22:49:27.198825Z', last_used: '2026-12-04T22:49:27.206688Z', expires: '2026-12-05T22:49:27.000000Z', ip: '127.0.0.1', user_agent: 'ExampleApp/1.0', current: false },
  { id: 'c936de7e-df6c-448a-822a-341701a58357', kind: 'knox', created: '2026-12-04T22:49:27.020201Z', last_used: null, expires: '2026-12-05T08:49:27.020201Z', ip: '127.0.0.1', user_agent: 'ExampleApp/1.0', current: true },
];

export const PASSWORD_CHANGE_BODY = { old_password: PASSWORD, password: 'Sunflower,43', confirm_password: 'Sunflower,43' };
export const RESET_BODY = { email: 'ann@example.com' };
export const RESET_CONFIRM_BODY = { token: 'hddCLoGA-EBccbONoWfQ1HARHQHZZ-j03SvtntIl9v4', password: 'Daffodil,7', confirm_password: 'Daffodil,7' };
export const DELETE_BODY = { password: 'Daffodil,7' };

/** A validation that found three problems. */
export const INVALID = ['Email error. Enter a valid email address.', 'Username field is required.', 'Confirm_Password field is required.'];
