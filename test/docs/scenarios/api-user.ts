// The api-user surface: register (JSON, or multipart with a picture), login, the authenticated
// user, update (a picture too), the media URL, and refresh with rotation.
import { picture, type Scenario } from './types.js';

const BOB = { email: 'bob@example.com', full_name: 'Bob Stone', password: 'correct horse battery' };
const P = '/api/user/';

export const apiUser: Scenario = {
  surface: 'api-user',
  settings: { SURFACES: 'api-user' },
  async run(r) {
    await r.send('register', { method: 'POST', path: P + 'register', json: BOB }, { expect: 201 });
    await r.send('register-invalid', { method: 'POST', path: P + 'register', json: { email: 'BOB@example.com', full_name: '' } }, { expect: 400 });
    await r.send('register-with-picture', {
      method: 'POST',
      path: P + 'register',
      multipart: [{ name: 'email', value: 'cleo@example.com' }, { name: 'full_name', value: 'Cleo Park' }, { name: 'password', value: 'a long passphrase' }, picture('profile_pic', 'cleo.png')],
    }, { expect: 201 });

    const login = await r.send('login', { method: 'POST', path: P + 'login', json: { email: BOB.email, password: BOB.password } }, { expect: 200 });
    await r.send('login-wrong-password', { method: 'POST', path: P + 'login', json: { email: BOB.email, password: 'wrong horse battery' } }, { expect: 400 });
    const jwt = { Authorization: `JWT ${login.json.tokens.access}` };
    await r.send('me', { method: 'GET', path: P + 'me', headers: jwt }, { expect: 200 });
    await r.send('me-no-credentials', { method: 'GET', path: P + 'me' }, { expect: 401 });
    await r.send('me-refresh-token', { method: 'GET', path: P + 'me', headers: { Authorization: `JWT ${login.json.tokens.refresh}` } }, { expect: 401 });
    await r.send('method-not-allowed', { method: 'PATCH', path: P + 'update', headers: jwt, json: { full_name: 'Bob' } }, { expect: 405 });

    await r.send('update', { method: 'PUT', path: P + 'update', headers: jwt, json: { full_name: 'Bob J. Stone' } }, { expect: 200 });
    await r.send('update-invalid', { method: 'PUT', path: P + 'update', headers: jwt, json: { email: 'cleo@example.com' } }, { expect: 400 });
    const updated = await r.send('update-picture', { method: 'PUT', path: P + 'update', headers: jwt, multipart: [picture('profile_pic', 'bob.png')] }, { expect: 200 });
    await r.send('media', { method: 'GET', path: new URL(updated.json.profile_pic).pathname }, { expect: 200 });
    await r.send('update-remove-picture', { method: 'PUT', path: P + 'update', headers: jwt, json: { profile_pic: null } }, { expect: 200 });

    await r.send('refresh', { method: 'POST', path: P + 'refresh', json: { refresh: login.json.tokens.refresh } }, { expect: 200 });
    await r.send('refresh-again', { method: 'POST', path: P + 'refresh', json: { refresh: login.json.tokens.refresh } }, { expect: 401 });
  },
};
