// The v1 surface, as an app integrates it: register, the two logins, the self-service routes,
// profiles, avatar, refresh, sessions, email verification, password change and reset, logouts,
// two-factor authentication, passkeys, sign-in with an OpenID provider, and deleting the account.
//
// TOTP codes come from an authenticator app holding the secret, passkeys from a browser with a
// virtual authenticator, and the provider's redirect back from a real OpenID provider: each is
// made afresh on every run (`fresh`), the way the scenario made it (support/clients.ts).
import type { Recorder } from '../support/recorder.js';
import { picture, type Scenario } from './types.js';

const ANN = { email: 'ann@example.com', username: 'ann', password: 'Sunflower,42' };
const NEW_PASSWORD = 'Sunflower,43';
const RESET_PASSWORD = 'Daffodil,7';
const V1 = '/v1/user/';
/** A well-formed id that names nothing. */
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

export const v1: Scenario = {
  surface: 'v1',
  settings: { SURFACES: 'v1' },
  services: {
    provider: {
      id: 'corp',
      name: 'Corp SSO',
      clientId: 'gatehouse',
      clientSecret: 'corp-sso-client-secret',
      accounts: [
        { sub: 'lee', email: 'lee@corp.example', email_verified: true, name: 'Lee Park' },
        { sub: 'ann.lee', email: 'ann.lee@corp.example', email_verified: true, name: 'Ann Lee' },
      ],
    },
  },
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
    const annToken = await twoFactor(r, `Token ${final.json.token}`);
    await passkeys(r, annToken);
    await signInWithProvider(r, annToken);
    await r.send('me-delete', { method: 'DELETE', path: V1 + 'me/', headers: { Authorization: annToken }, json: { password: RESET_PASSWORD } }, { expect: 204 });
    await r.send('jwks', { method: 'GET', path: '/.well-known/jwks.json' }, { expect: 200 });
  },
};

/**
 * Ann turns TOTP on, logs in with a code (knox) and with a recovery code (JWT), makes a new set
 * of recovery codes and turns TOTP off again. Returns the knox credential she goes on with.
 */
async function twoFactor(r: Recorder, credential: string): Promise<string> {
  const ann = { Authorization: credential };
  const password = { password: RESET_PASSWORD };
  await r.send('mfa-status', { method: 'GET', path: V1 + 'mfa/', headers: ann }, { expect: 200 });
  await r.send('mfa-totp-start-wrong-password', { method: 'POST', path: V1 + 'mfa/totp/', headers: ann, json: { password: 'Daffodil,8' } }, { expect: 400 });
  const enrol = await r.send('mfa-totp-start', { method: 'POST', path: V1 + 'mfa/totp/', headers: ann, json: password }, { expect: 200 });
  const secret: string = enrol.json.secret;
  await r.send('mfa-totp-confirm-wrong-code', { method: 'POST', path: V1 + 'mfa/totp/confirm/', headers: ann, json: { code: null } }, { expect: 400, fresh: [{ field: 'code', wrongCode: secret }] });
  const confirmed = await r.send('mfa-totp-confirm', { method: 'POST', path: V1 + 'mfa/totp/confirm/', headers: ann, json: { code: null } }, { expect: 200, fresh: [{ field: 'code', totp: secret }] });
  const recoveryCodes: string[] = confirmed.json.recovery_codes;
  await r.send('mfa-status-on', { method: 'GET', path: V1 + 'mfa/', headers: ann }, { expect: 200 });
  await r.send('mfa-totp-start-again', { method: 'POST', path: V1 + 'mfa/totp/', headers: ann, json: password }, { expect: 409 });

  const challenge = await r.send('login-knox-mfa', { method: 'POST', path: V1 + 'login-knox/', json: { email: ANN.email, password: RESET_PASSWORD } }, { expect: 200 });
  const step = { method: 'POST', path: V1 + 'login/mfa/' } as const;
  await r.send('login-mfa-wrong-code', { ...step, json: { mfa_token: challenge.json.mfa_token, code: null } }, { expect: 401, fresh: [{ field: 'code', wrongCode: secret }] });
  const second = await r.send('login-mfa', { ...step, json: { mfa_token: challenge.json.mfa_token, code: null } }, { expect: 200, fresh: [{ field: 'code', totp: secret }] });
  await r.send('login-mfa-token-used', { ...step, json: { mfa_token: challenge.json.mfa_token, code: null } }, { expect: 401, fresh: [{ field: 'code', sameAs: 'login-mfa' }] });
  const jwtChallenge = await r.send('login-jwt-mfa', { method: 'POST', path: V1 + 'login-jwt/', json: { email: ANN.email, password: RESET_PASSWORD } }, { hidden: true, expect: 200 });
  await r.send('login-mfa-recovery-code', { ...step, json: { mfa_token: jwtChallenge.json.mfa_token, code: recoveryCodes[0] } }, { expect: 200 });

  const now = { Authorization: `Token ${second.json.token}` };
  const renewed = await r.send('mfa-recovery-codes', { method: 'POST', path: V1 + 'mfa/recovery-codes/', headers: now, json: password }, { expect: 200 });
  const newCodes: string[] = renewed.json.recovery_codes;
  await r.send('mfa-totp-disable-wrong-code', { method: 'DELETE', path: V1 + 'mfa/totp/', headers: now, json: { ...password, code: null } }, { expect: 400, fresh: [{ field: 'code', wrongCode: secret }] });
  await r.send('mfa-totp-disable', { method: 'DELETE', path: V1 + 'mfa/totp/', headers: now, json: { ...password, code: newCodes[0] } }, { expect: 204 });
  await r.send('mfa-totp-disable-again', { method: 'DELETE', path: V1 + 'mfa/totp/', headers: now, json: { ...password, code: newCodes[1] } }, { expect: 400 });
  return now.Authorization;
}

/** Ann registers a passkey in her browser, names it, logs in with it (knox, then JWT), and removes it. */
async function passkeys(r: Recorder, credential: string): Promise<void> {
  const ann = { Authorization: credential };
  await r.send('passkey-register-options', { method: 'POST', path: V1 + 'passkeys/register/options/', headers: ann }, { expect: 200 });
  const added = await r.send('passkey-register', { method: 'POST', path: V1 + 'passkeys/register/', headers: ann, json: { credential: null, name: 'Laptop' } }, {
    expect: 201,
    fresh: [{ field: 'credential', passkey: 'create', options: 'passkey-register-options' }],
  });
  await r.send('passkey-register-again', { method: 'POST', path: V1 + 'passkeys/register/', headers: ann, json: { credential: null, name: 'Laptop' } }, { expect: 400, fresh: [{ field: 'credential', sameAs: 'passkey-register' }] });
  await r.send('passkey-register-malformed', { method: 'POST', path: V1 + 'passkeys/register/', headers: ann, json: { credential: 'not a credential' } }, { expect: 400 });
  await r.send('passkeys', { method: 'GET', path: V1 + 'passkeys/', headers: ann }, { expect: 200 });
  const one = `${V1}passkeys/${added.json.id}/`;
  await r.send('passkey-rename', { method: 'PUT', path: one, headers: ann, json: { name: 'Work laptop' } }, { expect: 200 });
  await r.send('passkey-rename-unknown', { method: 'PUT', path: `${V1}passkeys/${NO_SUCH_ID}/`, headers: ann, json: { name: 'Phone' } }, { expect: 404 });

  const options = await r.send('passkey-login-options', { method: 'POST', path: V1 + 'login-passkey/options/' }, { expect: 200 });
  await r.send('passkey-login', { method: 'POST', path: V1 + 'login-passkey/', json: { challenge_id: options.json.challenge_id, credential: null } }, {
    expect: 200,
    fresh: [{ field: 'credential', passkey: 'get', options: 'passkey-login-options', at: 'options' }],
  });
  await r.send('passkey-login-again', { method: 'POST', path: V1 + 'login-passkey/', json: { challenge_id: options.json.challenge_id, credential: null } }, { expect: 401, fresh: [{ field: 'credential', sameAs: 'passkey-login' }] });
  const jwtOptions = await r.send('passkey-login-options-jwt', { method: 'POST', path: V1 + 'login-passkey/options/' }, { hidden: true, expect: 200 });
  await r.send('passkey-login-jwt', { method: 'POST', path: V1 + 'login-passkey/', json: { challenge_id: jwtOptions.json.challenge_id, credential: null, kind: 'jwt' } }, {
    expect: 200,
    fresh: [{ field: 'credential', passkey: 'get', options: 'passkey-login-options-jwt', at: 'options' }],
  });

  await r.send('passkey-delete', { method: 'DELETE', path: one, headers: ann }, { expect: 204 });
  await r.send('passkey-delete-again', { method: 'DELETE', path: one, headers: ann }, { expect: 404 });
}

/**
 * Lee signs in with the company's provider for the first time (an account is made for him, with
 * no password), and cannot unlink his only way in; Ann links the provider to her account and
 * unlinks it; someone cancels at the provider.
 */
async function signInWithProvider(r: Recorder, credential: string): Promise<void> {
  const ann = { Authorization: credential };
  const OAUTH = V1 + 'oauth/';
  await r.send('oauth-providers', { method: 'GET', path: OAUTH + 'providers/' }, { expect: 200 });
  await r.send('oauth-start-unknown-provider', { method: 'GET', path: OAUTH + 'github/start/?next=/app/signed-in' }, { expect: 404 });
  await r.send('oauth-start-bad-next', { method: 'GET', path: OAUTH + 'corp/start/?next=https://elsewhere.example/signed-in' }, { expect: 400 });
  const start = await r.send('oauth-start', { method: 'GET', path: OAUTH + 'corp/start/?next=/app/signed-in' }, { expect: 302 });
  const binding = { Cookie: `gh_oauth=${start.cookie('gh_oauth')}` };
  const back = await r.send('oauth-callback', { method: 'GET', path: OAUTH + 'corp/callback/', headers: binding }, {
    expect: 302,
    fresh: [{ path: 'provider-return', from: 'oauth-start', choice: { login: 'lee' } }],
  });
  await r.send('oauth-callback-without-cookie', { method: 'GET', path: r.exchanges.at(-1)!.request.path }, { expect: 400 });
  const loginCode = new URL(String(back.headers.Location)).searchParams.get('login_code');
  const lee = await r.send('oauth-exchange', { method: 'POST', path: OAUTH + 'exchange/', json: { login_code: loginCode } }, { expect: 200 });
  await r.send('oauth-exchange-again', { method: 'POST', path: OAUTH + 'exchange/', json: { login_code: loginCode } }, { expect: 401 });

  const leeToken = { Authorization: `Token ${lee.json.token}` };
  const identities = await r.send('identities', { method: 'GET', path: V1 + 'identities/', headers: leeToken }, { expect: 200 });
  await r.send('identity-unlink-last', { method: 'DELETE', path: `${V1}identities/${identities.json[0].id}/`, headers: leeToken }, { expect: 400 });
  await r.send('identity-unlink-unknown', { method: 'DELETE', path: `${V1}identities/${NO_SUCH_ID}/`, headers: leeToken }, { expect: 404 });

  const link = await r.send('oauth-link', { method: 'POST', path: OAUTH + 'corp/link/', headers: ann, json: { next: '/app/settings' } }, { expect: 200 });
  await r.send('oauth-callback-linked', { method: 'GET', path: OAUTH + 'corp/callback/', headers: { Cookie: `gh_oauth=${link.cookie('gh_oauth')}` } }, {
    expect: 302,
    fresh: [{ path: 'provider-return', from: 'oauth-link', at: 'url', choice: { login: 'ann.lee' } }],
  });
  const annIdentities = await r.send('identities-linked', { method: 'GET', path: V1 + 'identities/', headers: ann }, { hidden: true, expect: 200 });
  await r.send('identity-unlink', { method: 'DELETE', path: `${V1}identities/${annIdentities.json[0].id}/`, headers: ann }, { expect: 204 });

  const cancelled = await r.send('oauth-start-cancelled', { method: 'GET', path: OAUTH + 'corp/start/?next=/app/signed-in&kind=jwt' }, { hidden: true, expect: 302 });
  await r.send('oauth-callback-denied', { method: 'GET', path: OAUTH + 'corp/callback/', headers: { Cookie: `gh_oauth=${cancelled.cookie('gh_oauth')}` } }, {
    expect: 302,
    fresh: [{ path: 'provider-return', from: 'oauth-start-cancelled', choice: { deny: true } }],
  });
}
