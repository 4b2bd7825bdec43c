// The user-account surface: registration with a confirmation mail, login (a token in the body
// and in cookies), the profile by header or cookie, the reset by mail, logout.
import type { Scenario } from './types.js';

const FRANK = { username: 'frank', full_name: 'Frank Moreau', email: 'frank.moreau@example.com', pwd: 'blue-heron-5', phone: '+33612345678', contacts: 'telegram: @frankm' };
const P = '/user_account/';

/** The token with one character of its signature changed. */
function tampered(jwt: string): string {
  const at = jwt.length - 10;
  return jwt.slice(0, at) + (jwt[at] === 'A' ? 'B' : 'A') + jwt.slice(at + 1);
}

export const userAccount: Scenario = {
  surface: 'user-account',
  settings: { SURFACES: 'user-account' },
  async run(r) {
    await r.send('registration', { method: 'POST', path: P + 'registration', json: FRANK }, { expect: 200 });
    await r.send('registration-taken', { method: 'POST', path: P + 'registration', json: { ...FRANK, username: 'Frank', email: '' } }, { expect: 400 });
    await r.send('registration-missing', { method: 'POST', path: P + 'registration', json: { username: 'gina', full_name: 'Gina' } }, { expect: 400 });
    const confirm = await r.fromMail(FRANK.email, /\/user_account\/confirm_email\/([A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22})/);
    await r.send('confirm-email', { method: 'GET', path: P + 'confirm_email/' + confirm }, { expect: 200 });

    const login = await r.send('login', { method: 'POST', path: P + 'login', json: { username: FRANK.username, pwd: FRANK.pwd } }, { expect: 200 });
    await r.send('login-wrong-password', { method: 'POST', path: P + 'login', json: { username: FRANK.username, pwd: 'blue-heron-6' } }, { expect: 401 });
    await r.send('login-missing-field', { method: 'POST', path: P + 'login', json: { username: FRANK.username } }, { expect: 400 });
    await r.send('login-not-json', { method: 'POST', path: P + 'login', headers: { 'Content-Type': 'text/plain' }, json: { username: FRANK.username, pwd: FRANK.pwd } }, { expect: 415 });
    const bearer = { Authorization: `Bearer ${login.json.token}` };
    await r.send('profile-settings', { method: 'GET', path: P + 'profile_settings', headers: bearer }, { expect: 200 });
    await r.send('profile-settings-cookie', { method: 'GET', path: P + 'profile_settings', headers: { Cookie: `access_token_cookie=${login.cookie('access_token_cookie')}` } }, { expect: 200 });
    await r.send('profile-settings-no-token', { method: 'GET', path: P + 'profile_settings' }, { expect: 401 });
    await r.send('profile-settings-bad-signature', { method: 'GET', path: P + 'profile_settings', headers: { Authorization: `Bearer ${tampered(login.json.token)}` } }, { expect: 422 });
    await r.send('reset-request-signed-in', {
      method: 'POST',
      path: P + 'reset_password_request',
      headers: { Cookie: `access_token_cookie=${login.cookie('access_token_cookie')}; csrf_access_token=${login.cookie('csrf_access_token')}`, 'X-CSRF-TOKEN': login.cookie('csrf_access_token') },
      json: { username: FRANK.username },
    }, { expect: 403 });

    await r.send('reset-request-unknown', { method: 'POST', path: P + 'reset_password_request', json: { username: 'nobody' } }, { expect: 400 });
    await r.send('reset-request', { method: 'POST', path: P + 'reset_password_request', json: { username: FRANK.username } }, { expect: 200 });
    const reset = await r.fromMail(FRANK.email, /\/user_account\/reset_password\/([A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22})/);
    await r.send('reset-page', { method: 'GET', path: P + 'reset_password/' + reset }, { expect: 200 });
    await r.send('reset-password', { method: 'POST', path: P + 'reset_password/' + reset, json: { new_pwd: 'grey-heron-6' } }, { expect: 200 });
    await r.send('reset-password-again', { method: 'POST', path: P + 'reset_password/' + reset, json: { new_pwd: 'grey-heron-7' } }, { expect: 400 });
    await r.send('profile-settings-revoked', { method: 'GET', path: P + 'profile_settings', headers: bearer }, { expect: 401 });

    const again = await r.send('login-after-reset', { method: 'POST', path: P + 'login', json: { username: FRANK.username, pwd: 'grey-heron-6' } }, { hidden: true, expect: 200 });
    const fresh = { Authorization: `Bearer ${again.json.token}` };
    await r.send('logout', { method: 'GET', path: P + 'logout', headers: fresh }, { expect: 200 });
    await r.send('logout-again', { method: 'GET', path: P + 'logout', headers: fresh }, { expect: 401 });
  },
};
