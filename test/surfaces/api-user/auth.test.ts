// api-user.md §1.4 and §2: the JWT header table, token format, revocation (v1.md §0.8) and
// deletion (§0.9).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { decodePart, forge, freshUser, jwt, nowSec, startApiUser, surfaceKey, tokenNotValid } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApiUser();
});
afterAll(async () => {
  await t?.close();
});

const REALM = 'JWT realm="api"';

async function me(headers: Record<string, string>) {
  return request(t.url, 'GET', '/api/user/me', { headers });
}

function expect401(r: Awaited<ReturnType<typeof me>>, body: unknown) {
  expect(r.status).toBe(401);
  expect(r.text).toBe(JSON.stringify(body));
  expect(r.headers.get('www-authenticate')).toBe(REALM);
}

describe('the header table (§1.4)', () => {
  it('no header, another scheme, or a lower-case jwt means no credentials', async () => {
    const u = await freshUser(t);
    for (const headers of [{} as Record<string, string>, { authorization: `Bearer ${u.access}` }, { authorization: `jwt ${u.access}` }, { authorization: `Token ${u.access}` }, { authorization: '' }]) {
      expect401(await me(headers), { detail: 'Authentication credentials were not provided.' });
    }
  });

  it('JWT alone, or three or more words, is a bad header', async () => {
    const body = { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' };
    for (const value of ['JWT', 'JWT a b', 'JWT  a\tb c']) expect401(await me({ authorization: value }), body);
  });

  it('garbage, a bad signature, an expired token and another surface\'s token are invalid or expired', async () => {
    const u = await freshUser(t);
    const claims = { token_type: 'access', exp: nowSec() + 600, iat: nowSec(), jti: randomBytes(16).toString('hex'), user_id: u.id };
    const tampered = u.access.slice(0, -4) + (u.access.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const tokens = [
      'garbage',
      'a.b.c',
      tampered,
      await forge(claims, randomBytes(32)),
      await forge(claims, surfaceKey(t, 'v1')),
      await forge(claims, surfaceKey(t, 'user-account')),
      await forge({ ...claims, exp: nowSec() - 10 }, surfaceKey(t)),
      await forge(claims, surfaceKey(t), 'HS512'),
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`,
    ];
    for (const token of tokens) expect401(await me(jwt(token)), tokenNotValid('Token is invalid or expired'));
  });

  it('a refresh token has the wrong type', async () => {
    const u = await freshUser(t);
    expect401(await me(jwt(u.refresh)), tokenNotValid('Token has wrong type'));
  });

  it('a token without user_id carries no recognizable user identification', async () => {
    const token = await forge({ token_type: 'access', exp: nowSec() + 600, iat: nowSec(), jti: randomBytes(16).toString('hex') }, surfaceKey(t));
    expect401(await me(jwt(token)), { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' });
  });

  it('a deleted user is not found, and an inactive one is inactive', async () => {
    const gone = await freshUser(t);
    await t.ctx.revocation.deleteUser((await t.ctx.accounts.byId(gone.id))!);
    expect401(await me(jwt(gone.access)), { detail: 'User not found', code: 'user_not_found' });

    const idle = await freshUser(t);
    const row = (await t.ctx.accounts.byId(idle.id))!;
    await t.ctx.accounts.update(row.number, { isActive: false });
    expect401(await me(jwt(idle.access)), { detail: 'User is inactive', code: 'user_inactive' });
  });

  it('a broken header fails login and register too; another scheme there is ignored', async () => {
    const u = await freshUser(t);
    const bad = { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' };
    for (const path of ['/api/user/login', '/api/user/register/']) {
      const r = await request(t.url, 'POST', path, { headers: { authorization: 'JWT' }, json: { email: u.email, password: 'correct horse' } });
      expect401(r, bad);
      const garbage = await request(t.url, 'POST', path, { headers: { authorization: 'JWT garbage' }, json: {} });
      expect401(garbage, tokenNotValid('Token is invalid or expired'));
    }
    const ok = await request(t.url, 'POST', '/api/user/login', { headers: { authorization: 'Bearer junk' }, json: { email: u.email, password: 'correct horse' } });
    expect(ok.status).toBe(200);
  });

  it('refresh ignores the Authorization header', async () => {
    const u = await freshUser(t);
    const r = await request(t.url, 'POST', '/api/user/refresh', { headers: { authorization: 'JWT a b c' }, json: { refresh: u.refresh } });
    expect(r.status).toBe(200);
  });
});

describe('tokens (§2)', () => {
  it('are HS256 with simplejwt claims in order, sharing iat, living 1 and 30 days', async () => {
    const u = await freshUser(t);
    for (const token of [u.access, u.refresh]) expect(decodePart(token, 0)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const access = decodePart(u.access, 1);
    const refresh = decodePart(u.refresh, 1);
    expect(Object.keys(access)).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id']);
    expect(Object.keys(refresh)).toEqual(['token_type', 'exp', 'iat', 'jti', 'user_id']);
    expect(access.token_type).toBe('access');
    expect(refresh.token_type).toBe('refresh');
    expect(access.iat).toBe(refresh.iat);
    expect(Number(access.exp) - Number(access.iat)).toBe(86_400);
    expect(Number(refresh.exp) - Number(refresh.iat)).toBe(30 * 86_400);
    expect(access.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(refresh.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(access.jti).not.toBe(refresh.jti);
    expect(access.user_id).toBe(u.id);
  });

  it('every issued token is recorded, so revocation can reach it', async () => {
    const u = await freshUser(t);
    const rows = await t.ctx.db.selectFrom('jwt_tokens').select(['jti', 'type', 'surface']).where('user_id', '=', u.id).execute();
    const jtis = [decodePart(u.access, 1).jti, decodePart(u.refresh, 1).jti];
    expect(rows.map((r) => r.jti).sort()).toEqual(expect.arrayContaining(jtis.sort()));
    expect(rows.every((r) => r.surface === 'api-user')).toBe(true);
  });
});

describe('revocation and deletion (v1.md §0.8, §0.9)', () => {
  it('"revoke all" blacklists access and refresh tokens issued before it; later logins work', async () => {
    const u = await freshUser(t);
    const row = (await t.ctx.accounts.byId(u.id))!;
    await t.ctx.revocation.endAllSessions(row);
    expect401(await me(jwt(u.access)), tokenNotValid('Token is blacklisted'));
    const refresh = await request(t.url, 'POST', '/api/user/refresh', { json: { refresh: u.refresh } });
    expect401(refresh, { detail: 'Token is blacklisted', code: 'token_not_valid' });

    const again = await request(t.url, 'POST', '/api/user/login', { json: { email: u.email, password: 'correct horse' } });
    expect((await me(jwt(again.json.tokens.access))).status).toBe(200);
  });

  it('deleting the user blacklists its refresh tokens; access tokens find no user', async () => {
    const u = await freshUser(t);
    await t.ctx.revocation.deleteUser((await t.ctx.accounts.byId(u.id))!);
    const refresh = await request(t.url, 'POST', '/api/user/refresh', { json: { refresh: u.refresh } });
    expect401(refresh, { detail: 'Token is blacklisted', code: 'token_not_valid' });
    expect401(await me(jwt(u.access)), { detail: 'User not found', code: 'user_not_found' });
  });
});
