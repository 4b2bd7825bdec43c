// The users surface: the CSRF cookie, register, login into the shared session, avatar upload and
// its public URL, logout. Every unsafe request carries the csrftoken cookie and the same value
// in X-CSRFToken.
import { picture, type Scenario } from './types.js';

const ERIN = { username: 'erin', password: 'maple-syrup-77' };

export const users: Scenario = {
  surface: 'users',
  settings: { SURFACES: 'users' },
  async run(r) {
    const hello = await r.send('csrf-token', { method: 'GET', path: '/get-csrf-token/' }, { expect: 200 });
    const csrf = hello.cookie('csrftoken');
    const anon = { Cookie: `csrftoken=${csrf}`, 'X-CSRFToken': csrf };
    await r.send('register', { method: 'POST', path: '/users/register/', headers: anon, json: { username: ERIN.username, password1: ERIN.password, password2: ERIN.password } }, { expect: 201 });
    await r.send('register-without-csrf', { method: 'POST', path: '/users/register/', json: { username: 'finn', password1: ERIN.password, password2: ERIN.password } }, { expect: 403 });
    await r.send('register-invalid', { method: 'POST', path: '/users/register/', headers: anon, json: { username: 'Erin', password1: '12345678', password2: '12345678' } }, { expect: 400 });
    await r.send('login-wrong-password', { method: 'POST', path: '/users/login/', headers: anon, json: { username: ERIN.username, password: 'maple-syrup-78' } }, { expect: 401 });
    const login = await r.send('login', { method: 'POST', path: '/users/login/', headers: anon, json: ERIN }, { expect: 200 });
    const newCsrf = login.cookie('csrftoken');
    const session = { Cookie: `sessionid=${login.cookie('sessionid')}; csrftoken=${newCsrf}`, 'X-CSRFToken': newCsrf };
    await r.send('login-again', { method: 'POST', path: '/users/login/', headers: session, json: ERIN }, { expect: 400 });
    const avatar = await r.send('avatar', { method: 'POST', path: '/users/avatar/', headers: session, multipart: [picture('avatar', 'erin.png')] }, { expect: 200 });
    await r.send('media', { method: 'GET', path: avatar.json.avatar_url }, { expect: 200 });
    await r.send('logout', { method: 'POST', path: '/users/logout/', headers: session }, { expect: 200 });
    await r.send('logout-again', { method: 'POST', path: '/users/logout/', headers: session }, { expect: 401 });
    await r.send('hello', { method: 'GET', path: '/', headers: { Cookie: `csrftoken=${newCsrf}` } }, { expect: 200 });
  },
};
