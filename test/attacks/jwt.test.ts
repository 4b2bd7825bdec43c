// The JWT attack suite, on every surface that takes JWTs, against real `serve` processes:
// v1 Bearer (me/), the admin API Bearer (stats/), api-user's `JWT` header (me, and the refresh
// body), and user-account's header and cookie (profile_settings). Each forged token gets the
// exact refusal its surface's spec gives:
//   alg none (every spelling), a missing alg, a payload changed under the old signature (another
//   user's id, a later exp), a signature from another key, key confusion (HS256 keyed with the
//   public key of an EdDSA or RS256 server: its JWK, raw bytes, PEM, DER), `kid` naming another
//   key or nothing sensible, `jku`/`x5u`/`jwk` headers pointing at the attacker's key, `crit`,
//   expired and not-yet-valid tokens signed with the real key, another surface's token, a
//   refresh token where an access token belongs, garbage shapes, oversized tokens, and the
//   protected paths spelled in other ways.
// The servers log at trace level; at the end no token of the suite may appear in their logs.
import { createHmac, generateKeyPairSync, randomBytes, randomUUID, sign as cryptoSign, type KeyObject, createPublicKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretKeys } from '../../src/core/secrets.js';
import { findLeaks } from './log-check.js';
import { Target } from './target.js';
import { Wire, type WireResponse, cookieHeader, setCookies } from './wire.js';

const PASSWORD = 'Attack,123,Pw';
const JSON_TYPE = { 'content-type': 'application/json' };
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
const decode = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;

/** Any header and payload, HMAC-SHA256 with `key` (jose would refuse to sign some of them). */
function hs256(header: unknown, payload: unknown, key: Uint8Array | string): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

function signed(header: Record<string, unknown>, payload: unknown, key: KeyObject): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = header.alg;
  const sig = alg === 'EdDSA' ? cryptoSign(null, Buffer.from(input), key) : cryptoSign('sha256', Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

/** The same token with one signature character changed (not the last: its low bits are padding). */
function flipSignature(jwt: string): string {
  const [h, p, s] = jwt.split('.');
  const i = Math.floor(s.length / 2);
  return `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
}

const attackerEd = generateKeyPairSync('ed25519');
const attackerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const attackerJwk = attackerRsa.publicKey.export({ format: 'jwk' });

/** Every token this file made or was given, for the log check. */
const tokens = new Set<string>();
const keep = (...t: string[]) => {
  for (const x of t) tokens.add(x);
  return t[0];
};

interface Surfaces {
  target: Target;
  wire: Wire;
  keys: SecretKeys;
  v1: { id: string; email: string; access: string; refresh: string };
  admin: { id: string; access: string };
}

async function startSurfaces(env: Record<string, string>): Promise<Surfaces> {
  const target = await Target.start({ postgresUrl: process.env.TEST_DATABASE_URL ?? null, redisUrl: process.env.TEST_REDIS_URL ?? null, env });
  const wire = new Wire(target.url);
  const tag = randomBytes(4).toString('hex');
  const email = `v1-${tag}@example.com`;
  const reg = await wire.send({ method: 'POST', path: '/v1/user/register/', headers: JSON_TYPE, body: JSON.stringify({ email, username: `v1${tag}`, password: PASSWORD, confirm_password: PASSWORD }) });
  expect(reg.status, reg.text).toBe(201);
  const v1 = await loginJwt(wire, email);
  target.createSuperuser(`root-${tag}@example.com`, `root${tag}`, PASSWORD);
  const admin = await loginJwt(wire, `root-${tag}@example.com`);
  return { target, wire, keys: new SecretKeys(target.secretKey), v1: { id: (reg.json as { id: string }).id, email, ...v1 }, admin: { id: decode(admin.access).user_id as string, access: admin.access } };
}

async function loginJwt(wire: Wire, email: string): Promise<{ access: string; refresh: string }> {
  const r = await wire.send({ method: 'POST', path: '/v1/user/login-jwt/', headers: JSON_TYPE, body: JSON.stringify({ email, password: PASSWORD }) });
  expect(r.status, r.text).toBe(200);
  const pair = r.json as { access: string; refresh: string };
  keep(pair.access, pair.refresh);
  return pair;
}

async function stopAndCheckLog(s: Surfaces | undefined): Promise<void> {
  if (!s) return;
  s.wire.close();
  await s.target.stop();
  expect(s.target.exitReport).toBeNull();
  const log = await s.target.log();
  expect(log).toContain('"msg":"request"');
  expect(findLeaks(log, [...tokens, s.target.secretKey])).toEqual([]);
  await s.target.close();
}

// ---- what each surface answers ----

async function v1Answer(s: Surfaces, token: string, path = '/v1/user/me/', method = 'GET'): Promise<WireResponse> {
  keep(token);
  return s.wire.send({ method, path, headers: { authorization: `Bearer ${token}` } });
}

async function expectV1Refused(s: Surfaces, token: string, body: unknown = 'Token is invalid or expired'): Promise<void> {
  const r = await v1Answer(s, token);
  expect({ status: r.status, body: r.json, challenge: r.headers['www-authenticate'] }).toEqual({ status: 401, body, challenge: 'Token' });
}

async function expectAdminRefused(s: Surfaces, token: string, detail = 'Token is invalid or expired'): Promise<void> {
  keep(token);
  const r = await s.wire.send({ method: 'GET', path: '/admin/api/stats/', headers: { authorization: `Bearer ${token}` } });
  const body = typeof detail === 'string' ? { detail } : detail;
  expect({ status: r.status, body: r.json, challenge: r.headers['www-authenticate'] }).toEqual({ status: 401, body, challenge: 'Token' });
}

/**
 * The forgeries every jose-verified surface refuses, built from one of its real tokens. `own` is
 * the HKDF info of that surface's key (a token signed with it is genuine, not a forgery).
 */
function commonForgeries(s: Surfaces, real: string, own = 'gatehouse/v1/jwt'): Array<[string, string]> {
  const header = headerOf(real);
  const claims = decode(real);
  const [h, p, sig] = real.split('.');
  const later = { ...claims, exp: now() + 10 * 365 * 86400 };
  // Someone else: the admin, or (for the admin's own token) the v1 user.
  const other = { ...claims, user_id: claims.user_id === s.admin.id ? s.v1.id : s.admin.id };
  const foreignKey = own === 'gatehouse/api-user/jwt' ? 'gatehouse/v1/jwt' : 'gatehouse/api-user/jwt';
  return [
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`],
    ['alg None, no signature', `${b64({ alg: 'None', typ: 'JWT' })}.${p}.`],
    ['alg NONE with the real signature', `${b64({ alg: 'NONE', typ: 'JWT' })}.${p}.${sig}`],
    ['alg none as a two-part token', `${b64({ alg: 'none' })}.${p}`],
    ['no alg', `${b64({ typ: 'JWT' })}.${p}.${sig}`],
    ['alg changed to HS512, same signature', `${b64({ ...header, alg: 'HS512' })}.${p}.${sig}`],
    ['another user’s id under the old signature', `${h}.${b64(other)}.${sig}`],
    ['a later exp under the old signature', `${h}.${b64(later)}.${sig}`],
    ['a changed signature', flipSignature(real)],
    ['no signature', `${h}.${p}.`],
    ['signed with another HMAC key', hs256(header, other, randomBytes(32))],
    ['signed with the empty key', hs256({ alg: 'HS256', typ: 'JWT' }, other, '')],
    ['signed with SECRET_KEY itself (not the derived key)', hs256({ alg: 'HS256', typ: 'JWT' }, other, s.target.secretKey)],
    [`signed with another surface’s key (${foreignKey})`, hs256({ alg: 'HS256', typ: 'JWT' }, other, s.keys.derive(foreignKey))],
    ['EdDSA by the attacker, key embedded as jwk', signed({ alg: 'EdDSA', typ: 'JWT', jwk: attackerEd.publicKey.export({ format: 'jwk' }) }, other, attackerEd.privateKey)],
    ['RS256 by the attacker, jku to the attacker', signed({ alg: 'RS256', typ: 'JWT', jku: 'https://evil.example/jwks.json', kid: 'evil' }, other, attackerRsa.privateKey)],
    ['RS256 by the attacker, x5u to the attacker', signed({ alg: 'RS256', typ: 'JWT', x5u: 'https://evil.example/cert.pem', jwk: attackerJwk }, other, attackerRsa.privateKey)],
    ['kid as a path', hs256({ alg: 'HS256', typ: 'JWT', kid: '../../../../dev/null' }, other, '')],
    ['kid as an object', hs256({ alg: 'HS256', typ: 'JWT', kid: { $ne: null } }, other, randomBytes(32))],
    ['kid of 5000 characters', hs256({ alg: 'HS256', typ: 'JWT', kid: 'k'.repeat(5000) }, other, randomBytes(32))],
    ['crit with an unknown extension, by the attacker', hs256({ alg: 'HS256', typ: 'JWT', crit: ['x-evil'], 'x-evil': 1 }, other, randomBytes(32))],
    ['header not JSON', `${b64('{alg:none}')}.${p}.${sig}`],
    ['header a JSON array', `${b64(['HS256'])}.${p}.${sig}`],
    ['payload null', `${h}.${b64('null')}.${sig}`],
    ['four parts', `${real}.${sig}`],
    ['two dots only', '..'],
    ['not base64url', `${h}!.${p}.${sig}`],
    ['a 12 KB token by the attacker', hs256({ alg: 'HS256', typ: 'JWT' }, { ...other, pad: 'x'.repeat(9000) }, randomBytes(32))],
  ];
}

describe('HS256: v1, the admin API, api-user and user-account', () => {
  let s: Surfaces;
  let apiUser: { id: string; access: string; refresh: string };
  let ua: { number: number; token: string; csrf: string };
  let uaKey: Buffer;

  beforeAll(async () => {
    s = await startSurfaces({});
    const tag = randomBytes(4).toString('hex');
    const email = `au-${tag}@example.com`;
    const reg = await s.wire.send({ method: 'POST', path: '/api/user/register', headers: JSON_TYPE, body: JSON.stringify({ email, full_name: 'A U', password: PASSWORD }) });
    expect(reg.status, reg.text).toBe(201);
    const login = await s.wire.send({ method: 'POST', path: '/api/user/login', headers: JSON_TYPE, body: JSON.stringify({ email, password: PASSWORD }) });
    const pair = (login.json as { tokens: { access: string; refresh: string } }).tokens;
    apiUser = { id: (reg.json as { id: string }).id, ...pair };
    keep(pair.access, pair.refresh);
    const username = `ua${tag}`;
    expect((await s.wire.send({ method: 'POST', path: '/user_account/registration', headers: JSON_TYPE, body: JSON.stringify({ username, full_name: 'U A', email: `${username}@example.com`, pwd: PASSWORD }) })).status).toBe(200);
    const uaLogin = await s.wire.send({ method: 'POST', path: '/user_account/login', headers: JSON_TYPE, body: JSON.stringify({ username, pwd: PASSWORD }) });
    const token = (uaLogin.json as { token: string }).token;
    ua = { number: decode(token).sub as number, token, csrf: setCookies(uaLogin).csrf_access_token };
    keep(token, ua.csrf);
    uaKey = s.keys.derive('gatehouse/user-account/jwt');
  }, 90_000);

  afterAll(async () => {
    await stopAndCheckLog(s);
  }, 60_000);

  it('the real tokens work (the refusals below are not for some other reason)', async () => {
    expect((await v1Answer(s, s.v1.access)).status).toBe(200);
    expect((await s.wire.send({ method: 'GET', path: '/admin/api/stats/', headers: { authorization: `Bearer ${s.admin.access}` } })).status).toBe(200);
    expect((await s.wire.send({ method: 'GET', path: '/api/user/me', headers: { authorization: `JWT ${apiUser.access}` } })).status).toBe(200);
    expect((await s.wire.send({ method: 'GET', path: '/user_account/profile_settings', headers: { authorization: `Bearer ${ua.token}` } })).status).toBe(200);
    expect((await s.wire.send({ method: 'GET', path: '/user_account/profile_settings', headers: { cookie: cookieHeader({ access_token_cookie: ua.token }) } })).status).toBe(200);
  });

  it('v1 Bearer and the admin API refuse every forgery of a real access token', async () => {
    for (const [name, token] of commonForgeries(s, s.v1.access)) {
      const r = await v1Answer(s, token);
      expect({ name, status: r.status, body: r.json }).toEqual({ name, status: 401, body: 'Token is invalid or expired' });
    }
    for (const [name, token] of commonForgeries(s, s.admin.access)) {
      keep(token);
      const r = await s.wire.send({ method: 'GET', path: '/admin/api/stats/', headers: { authorization: `Bearer ${token}` } });
      expect({ name, status: r.status, body: r.json }).toEqual({ name, status: 401, body: { detail: 'Token is invalid or expired' } });
    }
  });

  it('v1: tokens signed with the real key but expired, not yet valid, with crit, or of the wrong type', async () => {
    const key = s.keys.derive('gatehouse/v1/jwt');
    const claims = decode(s.v1.access);
    const header = { alg: 'HS256', typ: 'JWT' };
    await expectV1Refused(s, hs256(header, { ...claims, exp: now() - 5, iat: now() - 100 }, key));
    await expectV1Refused(s, hs256(header, { ...claims, nbf: now() + 3600 }, key));
    await expectV1Refused(s, hs256({ ...header, crit: ['exp'] }, claims, key));
    await expectV1Refused(s, hs256({ ...header, crit: ['b64'], b64: false }, claims, key));
    await expectV1Refused(s, s.v1.refresh, 'Token has wrong type');
    await expectV1Refused(s, hs256(header, { ...claims, token_type: 'refresh' }, key), 'Token has wrong type');
    await expectV1Refused(s, hs256(header, { ...claims, token_type: undefined }, key));
    await expectV1Refused(s, hs256(header, { ...claims, user_id: undefined }, key), { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' });
    await expectV1Refused(s, hs256(header, { ...claims, user_id: { $gt: '' } }, key), 'User not found');
    await expectV1Refused(s, hs256(header, { ...claims, user_id: randomUUID() }, key), 'User not found');
    await expectV1Refused(s, hs256(header, { ...claims, exp: 'never' }, key));
    await expectAdminRefused(s, hs256(header, { ...decode(s.admin.access), exp: now() - 5 }, key));
  });

  it('v1 and the admin API refuse the other surfaces’ tokens', async () => {
    for (const token of [apiUser.access, apiUser.refresh, ua.token]) {
      await expectV1Refused(s, token);
      await expectAdminRefused(s, token);
    }
  });

  it('a forged token is refused on every spelling of a protected path, and by every method', async () => {
    const forged = `${b64({ alg: 'none', typ: 'JWT' })}.${s.v1.access.split('.')[1]}.`;
    for (const path of ['/v1/user/me/', '/v1/user/m%65/', '/v1/%75ser/me/', '/v1/user/me', '/v1/user//me/', '/v1/user/me/?x=1', '/admin/api/stats/', '/admin/api/stats', '/admin/api/%73tats/']) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH', 'POST']) {
        const r = await v1Answer(s, forged, path, method);
        // 401 wherever the path reaches a route; an unknown spelling is a 404, a slash-less v1
        // route a 301 to the real one (which then answers 401).
        expect([401, 404, 301], `${method} ${path}: ${r.status}`).toContain(r.status);
      }
    }
  });

  it('oversized tokens: refused, never a 5xx', async () => {
    const big = hs256({ alg: 'HS256', typ: 'JWT' }, { ...decode(s.v1.access), pad: 'x'.repeat(11_000) }, randomBytes(32));
    await expectV1Refused(s, big);
    const huge = `${'e'.repeat(20_000)}.${'e'.repeat(20_000)}.x`;
    const r = await v1Answer(s, huge);
    // Node refuses headers over 16 KiB before the app sees them.
    expect(r.status).toBe(431);
  });

  const apiUserRefusal = (message: string) => ({ detail: 'Given token not valid for any token type', code: 'token_not_valid', messages: [{ token_class: 'AccessToken', token_type: 'access', message }] });

  async function expectApiUserRefused(token: string, message = 'Token is invalid or expired'): Promise<void> {
    keep(token);
    const r = await s.wire.send({ method: 'GET', path: '/api/user/me', headers: { authorization: `JWT ${token}` } });
    expect({ status: r.status, body: r.json, challenge: r.headers['www-authenticate'] }).toEqual({ status: 401, body: apiUserRefusal(message), challenge: 'JWT realm="api"' });
  }

  it('api-user: every forgery, the real key misused, and the other surfaces’ tokens', async () => {
    const key = s.keys.derive('gatehouse/api-user/jwt');
    for (const [name, token] of commonForgeries(s, apiUser.access, 'gatehouse/api-user/jwt')) {
      keep(token);
      const r = await s.wire.send({ method: 'GET', path: '/api/user/me', headers: { authorization: `JWT ${token}` } });
      expect({ name, status: r.status, body: r.json }).toEqual({ name, status: 401, body: apiUserRefusal('Token is invalid or expired') });
    }
    const claims = decode(apiUser.access);
    const header = { alg: 'HS256', typ: 'JWT' };
    await expectApiUserRefused(hs256(header, { ...claims, exp: now() - 5 }, key));
    await expectApiUserRefused(hs256(header, { ...claims, nbf: now() + 3600 }, key));
    await expectApiUserRefused(hs256({ ...header, crit: ['exp'] }, claims, key));
    await expectApiUserRefused(apiUser.refresh, 'Token has wrong type');
    for (const token of [s.v1.access, s.admin.access, ua.token]) await expectApiUserRefused(token);
  });

  it('api-user refresh: a forged, tampered or foreign refresh is refused and rotates nothing', async () => {
    const key = s.keys.derive('gatehouse/api-user/jwt');
    const claims = decode(apiUser.refresh);
    const refused = async (refresh: string, detail = 'Token is invalid or expired') => {
      keep(refresh);
      const r = await s.wire.send({ method: 'POST', path: '/api/user/refresh', headers: JSON_TYPE, body: JSON.stringify({ refresh }) });
      expect({ status: r.status, body: r.json }).toEqual({ status: 401, body: { detail, code: 'token_not_valid' } });
    };
    for (const [, token] of commonForgeries(s, apiUser.refresh, 'gatehouse/api-user/jwt')) await refused(token);
    await refused(hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: now() - 5 }, key));
    // Signed with the real key but never issued: no record, so it is not usable.
    await refused(hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, jti: randomBytes(16).toString('hex') }, key), 'Token is blacklisted');
    await refused(apiUser.access, 'Token has wrong type');
    await refused(s.v1.refresh);
    // The real refresh still rotates: nothing above consumed it.
    const r = await s.wire.send({ method: 'POST', path: '/api/user/refresh', headers: JSON_TYPE, body: JSON.stringify({ refresh: apiUser.refresh }) });
    expect(r.status).toBe(200);
    keep((r.json as { access: string }).access, (r.json as { refresh: string }).refresh);
  });

  async function uaAnswer(token: string, via: 'header' | 'cookie'): Promise<WireResponse> {
    keep(token);
    const headers: Record<string, string> = via === 'header' ? { authorization: `Bearer ${token}` } : { cookie: cookieHeader({ access_token_cookie: token }) };
    return s.wire.send({ method: 'GET', path: '/user_account/profile_settings', headers });
  }

  async function expectUaRefused(token: string, status: number, msg: string): Promise<void> {
    for (const via of ['header', 'cookie'] as const) {
      const r = await uaAnswer(token, via);
      expect({ via, status: r.status, body: r.json }).toEqual({ via, status, body: { msg } });
    }
  }

  it('user-account, header and cookie: every forgery gets its PyJWT reason', async () => {
    const claims = decode(ua.token);
    const [h, p, sig] = ua.token.split('.');
    const other = { ...claims, sub: 1 };
    await expectUaRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${p}.`, 422, 'The specified alg value is not allowed');
    await expectUaRefused(`${b64({ alg: 'None', typ: 'JWT' })}.${p}.${sig}`, 422, 'The specified alg value is not allowed');
    await expectUaRefused(`${b64({ typ: 'JWT' })}.${p}.${sig}`, 422, 'The specified alg value is not allowed');
    await expectUaRefused(`${h}.${b64(other)}.${sig}`, 422, 'Signature verification failed');
    await expectUaRefused(`${h}.${b64({ ...claims, exp: now() + 86400 * 365 })}.${sig}`, 422, 'Signature verification failed');
    await expectUaRefused(flipSignature(ua.token), 422, 'Signature verification failed');
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT' }, other, randomBytes(32)), 422, 'Signature verification failed');
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT', kid: 'x' }, other, s.target.secretKey), 422, 'Signature verification failed');
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT' }, other, s.keys.derive('gatehouse/v1/jwt')), 422, 'Signature verification failed');
    await expectUaRefused(signed({ alg: 'RS256', typ: 'JWT', jwk: attackerJwk }, other, attackerRsa.privateKey), 422, 'The specified alg value is not allowed');
    await expectUaRefused(signed({ alg: 'EdDSA', typ: 'JWT' }, other, attackerEd.privateKey), 422, 'The specified alg value is not allowed');
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT', crit: ['x-evil'] }, other, randomBytes(32)), 422, 'Signature verification failed');
    await expectUaRefused(`${h}.${p}`, 422, 'Not enough segments');
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT' }, { ...other, pad: 'x'.repeat(9000) }, randomBytes(32)), 422, 'Signature verification failed');
    // The real key: expired (403, checked after the signature), not yet valid.
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: now() - 5 }, uaKey), 403, 'Token has expired');
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, nbf: now() + 3600 }, uaKey), 422, 'The token is not yet valid (nbf)');
    // A token of the real key for a user that does not exist.
    await expectUaRefused(hs256({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: 987654 }, uaKey), 401, 'Error loading the user 987654');
  });

  it('user-account refuses the other surfaces’ tokens', async () => {
    for (const token of [s.v1.access, s.v1.refresh, s.admin.access, apiUser.access]) await expectUaRefused(token, 422, 'Signature verification failed');
  });

  it('the real tokens still work after all of that', async () => {
    expect((await v1Answer(s, s.v1.access)).status).toBe(200);
    expect((await uaAnswer(ua.token, 'cookie')).status).toBe(200);
  });
});

describe.each(['EdDSA', 'RS256'] as const)('%s: key confusion and kid tricks on v1 and the admin API', (alg) => {
  let s: Surfaces;
  let hsToken: string;
  let kid: string;
  let publicKey: KeyObject;

  beforeAll(async () => {
    // Signed first with HS256, then the server moves to the key pair: the retired HS256 key
    // still verifies its own tokens, so tokens without a kid meet a second key.
    s = await startSurfaces({ SURFACES: 'v1,admin' });
    hsToken = s.v1.access;
    await s.target.restartWith({ V1_JWT_ALGORITHM: alg });
    const jwks = (await s.wire.send({ method: 'GET', path: '/.well-known/jwks.json' })).json as { keys: Array<Record<string, string>> };
    expect(jwks.keys).toHaveLength(1);
    kid = jwks.keys[0].kid;
    publicKey = createPublicKey({ key: jwks.keys[0], format: 'jwk' });
    const login = await loginJwt(s.wire, s.v1.email);
    s.v1 = { ...s.v1, access: login.access, refresh: login.refresh };
    expect(headerOf(login.access)).toEqual({ alg, typ: 'JWT', kid });
  }, 90_000);

  afterAll(async () => {
    await stopAndCheckLog(s);
  }, 60_000);

  it('the pair’s token and the retired HS256 token both work', async () => {
    expect((await v1Answer(s, s.v1.access)).status).toBe(200);
    expect((await v1Answer(s, hsToken)).status).toBe(200);
  });

  it('HS256 keyed with the public key (JWK, raw bytes, PEM, DER), with and without its kid', async () => {
    const claims = { ...decode(s.v1.access), user_id: s.admin.id };
    const jwk = publicKey.export({ format: 'jwk' });
    const materials: Array<[string, Uint8Array | string]> = [
      ['JWK JSON', JSON.stringify(jwk)],
      ['PEM', publicKey.export({ format: 'pem', type: 'spki' }) as string],
      ['DER', publicKey.export({ format: 'der', type: 'spki' }) as Buffer],
      ['x or n bytes', Buffer.from((jwk.x ?? jwk.n)!, 'base64url')],
      ['x or n text', (jwk.x ?? jwk.n)!],
    ];
    for (const [what, material] of materials) {
      for (const header of [{ alg: 'HS256', typ: 'JWT', kid }, { alg: 'HS256', typ: 'JWT' }]) {
        const token = hs256(header, claims, material);
        const r = await v1Answer(s, token);
        expect({ what, header, status: r.status, body: r.json }).toEqual({ what, header, status: 401, body: 'Token is invalid or expired' });
        await expectAdminRefused(s, token);
      }
    }
  });

  it('kid naming another key or none, the attacker’s key under the real kid, and the common forgeries', async () => {
    const claims = { ...decode(s.v1.access), user_id: s.admin.id };
    const attacker = alg === 'EdDSA' ? attackerEd.privateKey : attackerRsa.privateKey;
    const forged: Array<[string, string]> = [
      ['attacker key, real kid', signed({ alg, typ: 'JWT', kid }, claims, attacker)],
      ['attacker key, no kid', signed({ alg, typ: 'JWT' }, claims, attacker)],
      ['attacker key, unknown kid', signed({ alg, typ: 'JWT', kid: 'nope' }, claims, attacker)],
      ['attacker key, embedded jwk', signed({ alg, typ: 'JWT', kid, jwk: (alg === 'EdDSA' ? attackerEd : attackerRsa).publicKey.export({ format: 'jwk' }) }, claims, attacker)],
      ['the other pair algorithm under the real kid', signed({ alg: alg === 'EdDSA' ? 'RS256' : 'EdDSA', typ: 'JWT', kid }, claims, alg === 'EdDSA' ? attackerRsa.privateKey : attackerEd.privateKey)],
      ['HS256 token of the retired key given the pair’s kid', `${b64({ ...headerOf(hsToken), kid })}.${hsToken.split('.')[1]}.${hsToken.split('.')[2]}`],
      ['the pair’s token with its kid removed', `${b64({ alg, typ: 'JWT' })}.${s.v1.access.split('.')[1]}.${s.v1.access.split('.')[2]}`],
      ['the pair’s token with alg HS256', `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${s.v1.access.split('.')[1]}.${s.v1.access.split('.')[2]}`],
      ['kid as a path', signed({ alg, typ: 'JWT', kid: `../keys/v1-${alg}-${kid}.json` }, claims, attacker)],
      ['crit by the attacker', signed({ alg, typ: 'JWT', kid, crit: ['x-evil'] }, claims, attacker)],
      ...commonForgeries(s, s.v1.access),
    ];
    for (const [name, token] of forged) {
      const r = await v1Answer(s, token);
      expect({ name, status: r.status, body: r.json }).toEqual({ name, status: 401, body: 'Token is invalid or expired' });
      await expectAdminRefused(s, token);
    }
  });
});
