// v1.md §1.5 (the Authorization header, both schemes), §1.6 (the denylist before routing) and
// the WWW-Authenticate rules.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JwtCodec, hmacKey, newJti } from '../../../src/core/jwt.js';
import { V1, Client, type TestApp, type TestUser, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1 } from './helpers.js';

let t: TestApp;
let user: TestUser;
let token: string;
let access: string;
let refresh: string;

beforeAll(async () => {
  t = await startV1();
  user = await registerUser(t.url);
  token = await knoxLogin(t.url, user);
  ({ access, refresh } = await jwtLogin(new Client(t.url), user));
});
afterAll(async () => {
  await t?.close();
});

const probe = (authorization: string | undefined, path = 'mock-login/', method = 'GET') =>
  request(t.url, method, V1 + path, { headers: authorization === undefined ? {} : { authorization } });
const now = () => Math.floor(Date.now() / 1000);

function sign(claims: Record<string, unknown>): Promise<string> {
  return t.ctx.v1Keys.codec.sign(claims);
}

describe('knox scheme', () => {
  it.each(['Token', 'token', 'TOKEN', 'ToKeN'])('%s <token> authenticates', async (scheme) => {
    expectJson(await probe(`${scheme} ${token}`), 200, 'Hello world.');
  });

  it.each([
    ['Token', 'Invalid token header. No credentials provided.'],
    ['Token ', 'Invalid token header. No credentials provided.'],
    ['Token a b', 'Invalid token header. Token string should not contain spaces.'],
    ['Token abc', 'Invalid token.'],
    [`Token ${'0'.repeat(64)}`, 'Invalid token.'],
  ])('%j → 401 %s with WWW-Authenticate: Token', async (header, message) => {
    const r = await probe(header);
    expectJson(r, 401, message);
    expect(r.headers.get('www-authenticate')).toBe('Token');
  });

  it('an upper-case copy of a live token is invalid', async () => {
    expectJson(await probe(`Token ${token.toUpperCase()}`), 401, 'Invalid token.');
  });

  it('the token of an inactive user: "User inactive or deleted."', async () => {
    const u = await registerUser(t.url, 'inactive');
    const tok = await knoxLogin(t.url, u);
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', u.id).execute();
    expectJson(await probe(`Token ${tok}`), 401, 'User inactive or deleted.');
  });

  it('an expired token is deleted when presented', async () => {
    const u = await registerUser(t.url, 'expired');
    const tok = await knoxLogin(t.url, u);
    const owner = await t.ctx.accounts.byId(u.id);
    await t.ctx.db.updateTable('knox_tokens').set({ expires: 1 }).where('user_number', '=', owner!.number).execute();
    expectJson(await probe(`Token ${tok}`), 401, 'Invalid token.');
    expect(await t.ctx.db.selectFrom('knox_tokens').select('id').where('user_number', '=', owner!.number).execute()).toEqual([]);
  });
});

describe('Bearer scheme', () => {
  const BAD_HEADER = { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' };

  it('Bearer <access> authenticates', async () => {
    expectJson(await probe(`Bearer ${access}`), 200, 'Hello world.');
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', `Bearer ${'x'} ${'y'} z`])('%j → the bad-header object', async (header) => {
    expectJson(await probe(header), 401, BAD_HEADER);
  });

  it('garbage, a bad signature and another surface\'s token are "Token is invalid or expired"', async () => {
    const tampered = access.slice(0, -3) + (access.endsWith('AAA') ? 'BBB' : 'AAA');
    const foreign = await new JwtCodec(hmacKey(t.ctx.secrets.derive('gatehouse/api-user/jwt'))).sign(
      { token_type: 'access', exp: now() + 60, iat: now(), jti: newJti(), user_id: user.id },
    );
    for (const jwt of ['garbage', 'a.b.c', tampered, foreign]) expectJson(await probe(`Bearer ${jwt}`), 401, 'Token is invalid or expired');
  });

  it('an expired access token is "Token is invalid or expired"', async () => {
    const jwt = await sign({ token_type: 'access', exp: now() - 10, iat: now() - 100, jti: newJti(), user_id: user.id });
    expectJson(await probe(`Bearer ${jwt}`), 401, 'Token is invalid or expired');
  });

  it('a refresh token is "Token has wrong type"', async () => {
    expectJson(await probe(`Bearer ${refresh}`), 401, 'Token has wrong type');
  });

  it('no user_id claim is the token_not_valid object', async () => {
    const jwt = await sign({ token_type: 'access', exp: now() + 60, iat: now(), jti: newJti() });
    expectJson(await probe(`Bearer ${jwt}`), 401, { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' });
  });

  it('a user that is gone is "User not found"; an inactive one the user_inactive object', async () => {
    const gone = await sign({ token_type: 'access', exp: now() + 60, iat: now(), jti: newJti(), user_id: '2f1d1c4e-5b6a-4c3d-9e8f-7a6b5c4d3e2f' });
    expectJson(await probe(`Bearer ${gone}`), 401, 'User not found');
    const u = await registerUser(t.url, 'sleepy');
    const pair = await jwtLogin(new Client(t.url), u);
    await t.ctx.db.updateTable('users').set({ is_active: 0 }).where('id', '=', u.id).execute();
    expectJson(await probe(`Bearer ${pair.access}`), 401, { detail: 'User is inactive', code: 'user_inactive' });
  });

  it('"bearer" in lower case is not the scheme: no credentials', async () => {
    expectJson(await probe(`bearer ${access}`), 401, 'Authentication credentials were not provided.');
  });
});

describe('no credentials, other schemes, optional routes', () => {
  it.each([undefined, '', 'Basic dXNlcjpwYXNz', 'Foo', 'Digest a b c'])('%j on a required route: "Authentication credentials were not provided."', async (header) => {
    const r = await probe(header);
    expectJson(r, 401, 'Authentication credentials were not provided.');
    expect(r.headers.get('www-authenticate')).toBe('Token');
  });

  it('an optional route still refuses a broken credential', async () => {
    const r = await probe('Token a b', 'register/', 'POST');
    expectJson(r, 401, 'Invalid token header. Token string should not contain spaces.');
    expect(r.headers.get('www-authenticate')).toBe('Token');
    expectJson(await probe('Bearer', 'login-knox/', 'POST'), 401, { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
  });

  it('login-jwt/ ignores the header altogether', async () => {
    const r = await request(t.url, 'POST', V1 + 'login-jwt/', { headers: { authorization: 'Token a b' }, json: { email: user.email, password: user.password } });
    expect(r.status).toBe(200);
  });

  it('a Token-only route counts a Bearer header as no credentials, and a Bearer-only route a Token header', async () => {
    const knoxOnly = await probe(`Bearer ${access}`, 'logout-knox/', 'POST');
    expectJson(knoxOnly, 401, 'Authentication credentials were not provided.');
    expect(knoxOnly.headers.get('www-authenticate')).toBe('Token');
    const bearerOnly = await probe(`Token ${token}`, 'logout-jwt/', 'POST');
    expectJson(bearerOnly, 401, 'Authentication credentials were not provided.');
    expect(bearerOnly.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('login-jwt/ sends the Bearer challenge with its 401', async () => {
    const r = await request(t.url, 'POST', V1 + 'login-jwt/', { json: { email: user.email, password: 'Wrong,123' } });
    expectJson(r, 401, 'No active account found with the given credentials.');
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

describe('denylist before routing (§1.6)', () => {
  it('after logout-jwt the access token is "Invalid token." everywhere, without WWW-Authenticate', async () => {
    const u = await registerUser(t.url, 'deny');
    const pair = await jwtLogin(new Client(t.url), u);
    expectJson(await request(t.url, 'POST', V1 + 'logout-jwt/', { headers: bearerHeader(pair.access) }), 200, 'User logged out successfully.');
    for (const [method, path, scheme] of [
      ['GET', 'mock-login/', 'Bearer'],
      ['POST', 'register/', 'Token'],
      ['GET', 'no/such/path/', 'Whatever'],
      ['GET', 'mock-login', 'Bearer'],
      ['POST', 'login-jwt/', 'Bearer'],
      ['GET', 'media/none.png', 'Bearer'],
    ]) {
      const r = await request(t.url, method, V1 + path, { headers: { authorization: `${scheme} ${pair.access}` } });
      expectJson(r, 401, 'Invalid token.');
      expect(r.headers.get('www-authenticate')).toBeNull();
    }
  });

  it('other access tokens of the same user stay valid', async () => {
    expectJson(await probe(`Bearer ${access}`), 200, 'Hello world.');
  });
});
