// The account surface: register (a key at once), login (the same key), profile, the picture
// catalogue, logout (the key goes) and delete.
import type { Scenario } from './types.js';

const DANA = { username: 'dana', email: 'dana@example.com', password: 'lantern-river-9' };
const P = '/account/';

export const account: Scenario = {
  surface: 'account',
  settings: { SURFACES: 'account' },
  async run(r) {
    await r.send('register', { method: 'POST', path: P + 'register', json: DANA }, { expect: 200 });
    await r.send('register-taken', { method: 'POST', path: P + 'register', json: { username: 'Dana', email: 'dana@example', password: 'x' } }, { expect: 200 });
    const login = await r.send('login', { method: 'POST', path: P + 'login', json: { username: DANA.username, password: DANA.password } }, { expect: 200 });
    await r.send('login-wrong-password', { method: 'POST', path: P + 'login', json: { username: DANA.username, password: 'lantern-river-8' } }, { expect: 400 });
    await r.send('login-missing-fields', { method: 'POST', path: P + 'login', json: { username: '' } }, { expect: 400 });
    const key = { Authorization: `Token ${login.json.token}` };
    await r.send('profile', { method: 'GET', path: P + 'profile', headers: key }, { expect: 200 });
    await r.send('profile-no-credentials', { method: 'GET', path: P + 'profile' }, { expect: 401 });
    await r.send('get-pictures', { method: 'GET', path: P + 'get_pictures', headers: key }, { expect: 200 });
    await r.send('set-picture', { method: 'POST', path: P + 'set_picture', headers: key, json: { id: 7 } }, { expect: 200 });
    await r.send('set-picture-invalid', { method: 'POST', path: P + 'set_picture', headers: key, json: { id: 42 } }, { expect: 200 });
    await r.send('logout', { method: 'POST', path: P + 'logout', headers: key }, { expect: 200 });
    await r.send('profile-after-logout', { method: 'GET', path: P + 'profile', headers: key }, { expect: 401 });
    const again = await r.send('login-new-key', { method: 'POST', path: P + 'login', json: { username: DANA.username, password: DANA.password } }, { expect: 200 });
    await r.send('delete', { method: 'POST', path: P + 'delete', headers: { Authorization: `Token ${again.json.token}` } }, { expect: 200 });
  },
};
