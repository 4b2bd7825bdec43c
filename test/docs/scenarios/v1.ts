// The v1 surface, as an app integrates it: register, the two logins, the self-service routes,
// profiles, avatar, refresh, sessions, email verification, password change and reset, logouts,
// and deleting the account.
import { picture, type Scenario } from './types.js';

const ANN = { email: 'ann@example.com', username: 'ann', password: 'Sunflower,42' };
const NEW_PASSWORD = 'Sunflower,43';
const RESET_PASSWORD = 'Daffodil,7';
const V1 = '/v1/user/';

export const v1: Scenario = {
  surface: 'v1',
  settings: { SURFACES: 'v1' },
  async run(r) {
    await r.send('register', { method: 'POST', path: V1 + 'register/', json: { ...ANN, confirm_password: ANN.password } }, { expect: 201 });
    await r.send('register-invalid', { method: 'POST', path: V1 + 'register/', json: { email: 'ann@example', password: 'Sunflower,42' } }, { expect: 400 });
    await r.send('register-taken', { method: 'POST', path: V1 + 'register/', json: { email: 'Ann@Example.com', username: 'ann2', password: 'Sunflower,42', confirm_password: 'Sunflower,42' } }, { expect: 400 });
    await r.send('register-weak-password', { method: 'POST', path: V1 + 'register/', json: { email: 'bea@example.com', username: 'bea', password: 'sunflower,42', confirm_password: 'sunflower,42' } }, { expect: 400 });

    const knox = await r.send('login-knox', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: ANN.password } }, { expect: 200 });
    await r.send('login-knox-wrong-password', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: 'Sunflower,41' } }, { expect: 401 });
    const token = { Authorization: `Token ${knox.json.token}` };
    await r.send('mock-login', { method: 'GET', path: V1 + 'mock-login/', headers: token }, { expect: 200 });
    await r.send('no-credentials', { method: 'GET', path: V1 + 'me/' }, { expect: 401 });
    await r.send('method-not-allowed', { method: 'PATCH', path: V1 + 'me/', headers: token, json: { username: 'ann' } }, { expect: 405 });
    await r.send('unknown-path', { method: 'GET', path: V1 + 'profile/', headers: token }, { expect: 404 });

    await r.send('me', { method: 'GET', path: V1 + 'me/', headers: token }, { expect: 200 });
    await r.send('me-update', { method: 'PUT', path: V1 + 'me/', headers: token, json: { username: 'ann.lee' } }, { expect: 202 });
    await r.send('me-update-invalid', { method: 'PUT', path: V1 + 'me/', headers: token, json: { email: 'not an email' } }, { expect: 400 });

    const profile = await r.send('artist-create', { method: 'POST', path: V1 + 'profile/artist/', headers: token, json: { bio: 'Painter of large skies.', instagram: 'https://instagram.com/ann.paints' } }, { expect: 201 });
    await r.send('artist-create-again', { method: 'POST', path: V1 + 'profile/artist/', headers: token, json: { bio: 'A second one' } }, { expect: 409 });
    await r.send('artist-list', { method: 'GET', path: V1 + 'profile/artist/', headers: token }, { expect: 200 });
    const one = `${V1}profile/artist/${profile.json.id}/`;
    await r.send('artist-get', { method: 'GET', path: one, headers: token }, { expect: 200 });
    await r.send('artist-update', { method: 'PUT', path: one, headers: token, json: { bio: 'Painter of large skies and small boats.' } }, { expect: 202 });
    await r.send('artist-update-invalid', { method: 'PUT', path: one, headers: token, json: { instagram: 'instagram.com/ann' } }, { expect: 400 });
    await r.send('artist-delete', { method: 'DELETE', path: one, headers: token }, { expect: 204 });
    await r.send('artist-get-deleted', { method: 'GET', path: one, headers: token }, { expect: 404 });

    const avatar = await r.send('avatar-upload', { method: 'PUT', path: V1 + 'me/avatar/', headers: token, multipart: [picture('avatar')] }, { expect: 202 });
    await r.send('media', { method: 'GET', path: new URL(avatar.json.avatar).pathname }, { expect: 200 });
    await r.send('avatar-delete', { method: 'DELETE', path: V1 + 'me/avatar/', headers: token }, { expect: 204 });
    await r.send('media-deleted', { method: 'GET', path: new URL(avatar.json.avatar).pathname }, { expect: 404 });

    const jwt = await r.send('login-jwt', { method: 'POST', path: V1 + 'login-jwt/', json: { email: ANN.email, password: ANN.password } }, { expect: 200 });
    await r.send('mock-login-bearer', { method: 'GET', path: V1 + 'mock-login/', headers: { Authorization: `Bearer ${jwt.json.access}` } }, { expect: 200 });
    const refreshed = await r.send('token-refresh', { method: 'POST', path: V1 + 'token/refresh/', headers: { Cookie: `sessionid=${jwt.cookie('sessionid')}` } }, { expect: 200 });
    const bearer = { Authorization: `Bearer ${refreshed.json.access}` };
    const session = { Cookie: `sessionid=${refreshed.cookie('sessionid')}` };

    const phone = await r.send('login-knox-phone', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: ANN.password } }, { hidden: true, expect: 200 });
    const sessions = await r.send('sessions', { method: 'GET', path: V1 + 'sessions/', headers: token }, { expect: 200 });
    const phoneEntry = (sessions.json as Array<{ id: string; kind: string; current: boolean }>).find((s) => s.kind === 'knox' && !s.current)!;
    await r.send('sessions-end', { method: 'DELETE', path: `${V1}sessions/${phoneEntry.id}/`, headers: token }, { expect: 204 });
    await r.send('mock-login-ended', { method: 'GET', path: V1 + 'mock-login/', headers: { Authorization: `Token ${phone.json.token}` } }, { expect: 401 });

    await r.send('logout-jwt', { method: 'POST', path: V1 + 'logout-jwt/', headers: { ...bearer, ...session } }, { expect: 200 });
    await r.send('mock-login-after-logout', { method: 'GET', path: V1 + 'mock-login/', headers: bearer }, { expect: 401 });

    await r.send('email-verify', { method: 'POST', path: V1 + 'email/verify/', headers: token }, { expect: 200 });
    const verifyToken = await r.fromMail(ANN.email, /\/v1\/user\/email\/verify\/([A-Za-z0-9_-]{43})\//);
    await r.send('email-verify-confirm', { method: 'GET', path: `${V1}email/verify/${verifyToken}/` }, { expect: 200 });

    await r.send('password-change', { method: 'POST', path: V1 + 'password/change/', headers: token, json: { old_password: ANN.password, password: NEW_PASSWORD, confirm_password: NEW_PASSWORD } }, { expect: 200 });
    await r.send('password-change-wrong', { method: 'POST', path: V1 + 'password/change/', headers: token, json: { old_password: ANN.password, password: 'Sunflower,44', confirm_password: 'Sunflower,44' } }, { expect: 400 });

    await r.send('password-reset', { method: 'POST', path: V1 + 'password/reset/', json: { email: ANN.email } }, { expect: 200 });
    const resetToken = await r.fromMail(ANN.email, /\/v1\/user\/password\/reset\/confirm\/\?token=([A-Za-z0-9_-]{43})/);
    await r.send('password-reset-page', { method: 'GET', path: `${V1}password/reset/confirm/?token=${resetToken}` }, { expect: 200 });
    await r.send('password-reset-confirm', { method: 'POST', path: V1 + 'password/reset/confirm/', json: { token: resetToken, password: RESET_PASSWORD, confirm_password: RESET_PASSWORD } }, { expect: 200 });
    await r.send('password-reset-confirm-again', { method: 'POST', path: V1 + 'password/reset/confirm/', json: { token: resetToken, password: RESET_PASSWORD, confirm_password: RESET_PASSWORD } }, { expect: 400 });
    await r.send('me-after-reset', { method: 'GET', path: V1 + 'me/', headers: token }, { expect: 401 });

    const again = await r.send('login-knox-after-reset', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: RESET_PASSWORD } }, { hidden: true, expect: 200 });
    await r.send('logout-knox', { method: 'POST', path: V1 + 'logout-knox/', headers: { Authorization: `Token ${again.json.token}` } }, { expect: 200 });
    await r.send('login-knox-laptop', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: RESET_PASSWORD } }, { hidden: true, expect: 200 });
    const last = await r.send('login-knox-desktop', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: RESET_PASSWORD } }, { hidden: true, expect: 200 });
    await r.send('logout-knox-all', { method: 'POST', path: V1 + 'logout-knox-all/', headers: { Authorization: `Token ${last.json.token}` } }, { expect: 200 });

    const final = await r.send('login-knox-final', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: RESET_PASSWORD } }, { hidden: true, expect: 200 });
    await r.send('me-delete', { method: 'DELETE', path: V1 + 'me/', headers: { Authorization: `Token ${final.json.token}` }, json: { password: RESET_PASSWORD } }, { expect: 204 });
    await r.send('jwks', { method: 'GET', path: '/.well-known/jwks.json' }, { expect: 200 });
  },
};
