// Artist and collector profiles (v1.md §4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, Client, type TestApp, type TestUser, bearerHeader, expectJson, jwtLogin, knoxLogin, registerUser, request, startV1, tokenHeader } from './helpers.js';

let t: TestApp;
let owner: TestUser;
let ownerToken: string;
let ownerAccess: string;
let otherToken: string;

beforeAll(async () => {
  t = await startV1();
  owner = await registerUser(t.url, 'owner');
  ownerToken = await knoxLogin(t.url, owner);
  ownerAccess = (await jwtLogin(new Client(t.url), owner)).access;
  otherToken = await knoxLogin(t.url, await registerUser(t.url, 'other'));
});
afterAll(async () => {
  await t?.close();
});

const call = (method: string, path: string, token: string, json?: unknown) => request(t.url, method, V1 + path, { headers: tokenHeader(token), json });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe.each(['artist', 'collector'] as const)('%s profiles', (kind) => {
  let id: string;

  it('the list starts empty and needs a credential', async () => {
    expectJson(await call('GET', `profile/${kind}/`, ownerToken), 200, []);
    expectJson(await request(t.url, 'GET', V1 + `profile/${kind}/`), 401, 'Authentication credentials were not provided.');
  });

  it('create: 201 with id, bio, instagram, user in order; a second one is 409', async () => {
    const r = await request(t.url, 'POST', V1 + `profile/${kind}/`, { headers: bearerHeader(ownerAccess), json: { bio: 'Just making art.', instagram: ' https://instagram.com/admin ', user: 'someone-else' } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json)).toEqual(['id', 'bio', 'instagram', 'user']);
    expect(r.json).toMatchObject({ bio: 'Just making art.', instagram: 'https://instagram.com/admin', user: owner.username });
    expect(r.json.id).toMatch(UUID);
    id = r.json.id;
    expectJson(await call('POST', `profile/${kind}/`, ownerToken, {}), 409, `This user has an existing ${kind} profile.`);
  });

  it('detail GET by anyone authenticated; update and delete by the owner only', async () => {
    expectJson(await call('GET', `profile/${kind}/${id}/`, otherToken), 200, { id, bio: 'Just making art.', instagram: 'https://instagram.com/admin', user: owner.username });
    expectJson(await call('PUT', `profile/${kind}/${id}/`, otherToken, { bio: 'mine now' }), 403, "You are not allowed to operate on another user's profile.");
    expectJson(await call('DELETE', `profile/${kind}/${id}/`, otherToken), 403, "You are not allowed to operate on another user's profile.");
    const up = await call('PUT', `profile/${kind}/${id}/`, ownerToken, { bio: 'Just making more art.' });
    expectJson(up, 202, { id, bio: 'Just making more art.', instagram: 'https://instagram.com/admin', user: owner.username });
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken), 202, up.json);
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken, { instagram: '' }), 202, { ...up.json, instagram: '' });
  });

  it('PATCH is 405', async () => {
    expectJson(await call('PATCH', `profile/${kind}/${id}/`, ownerToken, { bio: 'x' }), 405, { detail: 'Method "PATCH" not allowed.' });
  });

  it('field errors come before ownership, also for non-owners', async () => {
    expectJson(await call('PUT', `profile/${kind}/${id}/`, otherToken, { bio: null, instagram: 'not a url' }), 400, ['This field may not be null.', 'Instagram error. Enter a valid URL.']);
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken, { instagram: 'https://x.com/' + 'a'.repeat(250) }), 400, 'Ensure this field has no more than 255 characters.');
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken, { instagram: 'x'.repeat(256) }), 400, ['Ensure this field has no more than 255 characters.', 'Instagram error. Enter a valid URL.']);
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken, { bio: ['a'] }), 400, 'Bio error. Not a valid string.');
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken, [1]), 400, 'Non_Field_Errors error. Invalid data. Expected a dictionary, but got list.');
  });

  it('the bio is not trimmed and may be blank', async () => {
    expectJson(await call('PUT', `profile/${kind}/${id}/`, ownerToken, { bio: '  padded  ' }), 202, { id, bio: '  padded  ', instagram: '', user: owner.username });
    expect((await call('PUT', `profile/${kind}/${id}/`, ownerToken, { bio: '' })).json.bio).toBe('');
  });

  it('ids parse like Python UUIDs; a bad one is 400, an unknown one 404', async () => {
    const hex = id.replaceAll('-', '');
    for (const form of [hex, hex.toUpperCase(), `{${id}}`, `urn:uuid:${id}`, `uuid:${hex}`, `${id.slice(0, 5)}-${id.slice(5)}`]) {
      expect((await call('GET', `profile/${kind}/${encodeURIComponent(form)}/`, ownerToken)).status, form).toBe(200);
    }
    for (const bad of ['abc', hex.slice(1), hex + '0', `${hex.slice(1)}g`, '%20' + hex]) {
      expectJson(await call('GET', `profile/${kind}/${bad}/`, ownerToken), 400, 'Badly formed hexadecimal uuid string');
      expectJson(await call('DELETE', `profile/${kind}/${bad}/`, otherToken), 400, 'Badly formed hexadecimal uuid string');
    }
    expectJson(await call('GET', `profile/${kind}/0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11/`, ownerToken), 404, 'Profile does not exist.');
    expectJson(await call('PUT', `profile/${kind}/0b6f4e0e-8e0c-4b43-9d55-3c2b4b1c0a11/`, ownerToken, { bio: null }), 404, 'Profile does not exist.');
  });

  it('an id of the other kind is 404 under this path', async () => {
    const other = kind === 'artist' ? 'collector' : 'artist';
    const mine = await call('POST', `profile/${other}/`, otherToken, {});
    expectJson(await call('GET', `profile/${kind}/${mine.json.id}/`, otherToken), 404, 'Profile does not exist.');
    await call('DELETE', `profile/${other}/${mine.json.id}/`, otherToken);
  });

  it('delete by the owner: 204 without a body or Content-Type; again 404', async () => {
    const r = await call('DELETE', `profile/${kind}/${id}/`, ownerToken);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('content-type')).toBeNull();
    expectJson(await call('DELETE', `profile/${kind}/${id}/`, ownerToken), 404, 'Profile does not exist.');
    expectJson(await call('GET', `profile/${kind}/`, ownerToken), 200, []);
  });
});

describe('instagram URLs', () => {
  it.each(['https://instagram.com/a', 'http://sub.example.co.uk/path?q=1', 'ftp://files.example.org', 'ftps://user:pw@example.com:21/x', 'http://localhost:8000/', 'http://127.0.0.1/'])('%s is valid', async (url) => {
    const u = await registerUser(t.url, 'insta');
    expect((await call('POST', 'profile/artist/', await knoxLogin(t.url, u), { instagram: url })).status).toBe(201);
  });

  it.each(['instagram.com/a', 'javascript:alert(1)', 'mailto:a@b.com', 'http://', 'https://exa mple.com', 'gopher://example.com', 'http://nodot'])('%s is not', async (url) => {
    expectJson(await call('POST', 'profile/artist/', ownerToken, { instagram: url }), 400, 'Instagram error. Enter a valid URL.');
  });
});

describe('listing and paging (§4.1)', () => {
  it('newest first; user is null for an owner without a username; limit/before with a Link', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await registerUser(t.url, 'page');
      ids.push((await call('POST', 'profile/collector/', await knoxLogin(t.url, u), { bio: `b${i}` })).json.id);
    }
    const nameless = await t.ctx.accounts.create({ email: 'nameless@example.com', password: 'Admin,123' });
    const tok = await knoxLogin(t.url, { email: 'nameless@example.com', password: 'Admin,123' });
    ids.push((await call('POST', 'profile/collector/', tok, { bio: 'no name' })).json.id);
    expect(nameless.ok).toBe(true);

    const all = await call('GET', 'profile/collector/', ownerToken);
    expect(all.json.map((p: { id: string }) => p.id)).toEqual([...ids].reverse());
    expect(all.json[0].user).toBeNull();
    expect(all.headers.get('link')).toBeNull();

    const first = await call('GET', 'profile/collector/?limit=4', ownerToken);
    expect(first.json.map((p: { id: string }) => p.id)).toEqual([...ids].reverse().slice(0, 4));
    const link = /^<(.+)>; rel="next"$/.exec(first.headers.get('link') ?? '');
    expect(link).not.toBeNull();
    const next = new URL(link![1]);
    expect(`${next.origin}${next.pathname}`).toBe(`${t.url}/v1/user/profile/collector/`);
    expect(next.searchParams.get('limit')).toBe('4');
    const second = await call('GET', `profile/collector/${next.search}`, ownerToken);
    expect(second.json.map((p: { id: string }) => p.id)).toEqual([...ids].reverse().slice(4));
    expect(second.headers.get('link')).toBeNull();
  });

  it('bad limit and cursor values', async () => {
    for (const bad of ['0', '1001', 'abc', '-1', '', '1.5']) {
      expectJson(await call('GET', `profile/artist/?limit=${bad}`, ownerToken), 400, 'Limit error. Ensure this value is an integer between 1 and 1000.');
    }
    expectJson(await call('GET', 'profile/artist/?before=nonsense!', ownerToken), 400, 'Before error. Invalid cursor.');
    expectJson(await call('GET', 'profile/artist/?limit=0&before=x', ownerToken), 400, ['Limit error. Ensure this value is an integer between 1 and 1000.', 'Before error. Invalid cursor.']);
    expect((await call('GET', 'profile/artist/?limit=1000', ownerToken)).status).toBe(200);
  });
});
