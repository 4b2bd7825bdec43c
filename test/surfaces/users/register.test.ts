// POST /users/register/ (users.md §2.2): Django's UserCreationForm, message for message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../../helpers/app.js';
import { PASSWORD, UsersClient } from './helpers.js';

let t: TestApp;
let c: UsersClient;
beforeAll(async () => {
  t = await startApp();
  c = new UsersClient(t.url);
  await c.csrf();
});
afterAll(async () => {
  await t?.close();
});

const REQUIRED = 'This field is required.';
const INVALID_NAME = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
const TAKEN = 'A user with that username already exists.';
const MISMATCH = 'The two password fields didn\u2019t match.';
const SIMILAR = 'The password is too similar to the username.';
const SHORT = 'This password is too short. It must contain at least 8 characters.';
const COMMON = 'This password is too common.';
const NUMERIC = 'This password is entirely numeric.';

const send = (body: unknown) => c.unsafe('POST', '/users/register/', { json: body });
const errorsOf = async (body: unknown) => {
  const r = await send(body);
  expect(r.status).toBe(400);
  return r.json.errors;
};
const form = (username: unknown, password1: unknown = PASSWORD, password2: unknown = password1) => ({ username, password1, password2 });

describe('success', () => {
  it('creates the user: 201 {"id", "username", "message"}, nobody logged in', async () => {
    const r = await send(form('newuser'));
    expect(r.status).toBe(201);
    const user = await t.ctx.accounts.byUsername('newuser');
    expect(r.text).toBe(`{"id":${user!.number},"username":"newuser","message":"User created."}`);
    expect(r.setCookies.filter((s) => s.startsWith('sessionid='))).toEqual([]);
    expect(user).toMatchObject({ email: null, avatar: null, is_active: 1, is_staff: 0 });
    expect(user!.password).toMatch(/^\$argon2id\$/);
    const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'user.register').where('user_id', '=', user!.id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0].details).not.toContain(PASSWORD);
  });

  it('gives each new user a higher number', async () => {
    const a = await send(form('numbered1'));
    const b = await send(form('numbered2'));
    expect(b.json.id).toBeGreaterThan(a.json.id);
  });

  it('trims and NFKC-normalises the username, and answers with the stored form', async () => {
    const r = await send(form('  \uff2e\uff46\uff4b\uff43\u2460  '));
    expect(r.status).toBe(201);
    expect(r.json.username).toBe('Nfkc1');
    expect(await errorsOf(form('nfkc1'))).toEqual({ username: [TAKEN] });
  });

  it('accepts letters and digits of any script and @ . + - _', async () => {
    for (const name of ['\u00e9l\u00e8ve', '\u0438\u0432\u0430\u043d.\u043f', 'a@b.c+d-e_f', '\u5c71\u7530\u0661\u0662']) {
      const r = await send(form(name));
      expect([name, r.status]).toEqual([name, 201]);
    }
  });

  it('reads the body as JSON whatever the Content-Type, and ignores other keys', async () => {
    const body = JSON.stringify({ ...form('typeless'), is_staff: true, is_superuser: true, email: 'x@example.com', id: 99 });
    const r = await c.unsafe('POST', '/users/register/', { body, headers: { 'content-type': 'text/plain' } });
    expect(r.status).toBe(201);
    expect(await t.ctx.accounts.byUsername('typeless')).toMatchObject({ is_staff: 0, is_superuser: 0, email: null });
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(form('bommed')))]);
    expect((await c.unsafe('POST', '/users/register/', { body: bom, headers: { 'content-type': 'application/json' } })).status).toBe(201);
  });

  it('turns non-string scalars into text, as a Django form does', async () => {
    const r = await send({ username: 4815162342, password1: PASSWORD, password2: PASSWORD });
    expect([r.status, r.json.username]).toEqual([201, '4815162342']);
    const b = await send({ username: true, password1: PASSWORD, password2: PASSWORD });
    expect([b.status, b.json.username]).toEqual([201, 'True']);
    expect(await errorsOf(form('numbers', 12345678, '12345678'))).toEqual({ password2: [COMMON, NUMERIC] });
    expect(await errorsOf(form(['a', 'b']))).toEqual({ username: [INVALID_NAME] });
  });
});

describe('the body', () => {
  it.each(['', 'not json', '[]', '["a"]', '"text"', '12', 'null', '{"username": "x",}'])('answers 400 Invalid JSON input to %j', async (body) => {
    const r = await c.unsafe('POST', '/users/register/', { body, headers: { 'content-type': 'application/json' } });
    expect([r.status, r.text]).toEqual([400, '{"errors":"Invalid JSON input."}']);
  });
});

describe('field errors, keys in the order username, password1, password2', () => {
  it('reports every missing field as required', async () => {
    const r = await send({});
    expect(r.text).toBe(`{"errors":{"username":["${REQUIRED}"],"password1":["${REQUIRED}"],"password2":["${REQUIRED}"]}}`);
  });

  it.each([null, '', '   \t', [], {}])('treats username %j as required', async (username) => {
    expect(await errorsOf(form(username))).toEqual({ username: [REQUIRED] });
  });

  it.each([null, '', [], {}])('treats password %j as required, and does not compare then', async (password) => {
    expect(await errorsOf(form('needpw', password, PASSWORD))).toEqual({ password1: [REQUIRED] });
    expect(await errorsOf(form('needpw', PASSWORD, password))).toEqual({ password2: [REQUIRED] });
  });

  it('limits the username to 150 characters and to its character set, reporting both', async () => {
    expect(await errorsOf(form('a'.repeat(151)))).toEqual({ username: ['Ensure this value has at most 150 characters (it has 151).'] });
    expect(await errorsOf(form('\u{1F600}'.repeat(151)))).toEqual({
      username: ['Ensure this value has at most 150 characters (it has 151).', INVALID_NAME],
    });
    for (const name of ['bad name', 'semi;colon', 'slash/', 'tab\tin', 'new\nline', '\u{1F600}', 'x\u0331']) {
      expect(await errorsOf(form(name))).toEqual({ username: [INVALID_NAME] });
    }
    expect((await send(form('a'.repeat(150)))).status).toBe(201);
  });

  it('finds a taken username case-insensitively, only once the username is well-formed', async () => {
    expect((await send(form('Taken'))).status).toBe(201);
    expect(await errorsOf(form('tAKEN'))).toEqual({ username: [TAKEN] });
    expect(await errorsOf(form('TAKEN', 'short', 'other'))).toEqual({ username: [TAKEN], password2: [MISMATCH] });
  });

  it('limits passwords to 128 characters, untrimmed', async () => {
    const long = 'x'.repeat(120) + '\u{1F600}'.repeat(9);
    expect(await errorsOf(form('longpw', long, long))).toEqual({
      password1: ['Ensure this value has at most 128 characters (it has 129).'],
      password2: ['Ensure this value has at most 128 characters (it has 129).'],
    });
    const spaced = `  ${PASSWORD}  `;
    expect((await send(form('spacedpw', spaced, PASSWORD))).json.errors).toEqual({ password2: [MISMATCH] });
    expect((await send(form('spacedpw', spaced, spaced))).status).toBe(201);
    expect((await c.login('spacedpw', spaced)).status).toBe(200);
    expect((await c.logout()).status).toBe(200);
  });

  it('says the passwords differ with a curly apostrophe, and runs no validator then', async () => {
    const r = await send(form('mismatch', '1', '2'));
    expect(r.text).toBe('{"errors":{"password2":["The two password fields didn\u2019t match."]}}');
  });
});

describe('password validators (on password2, every failure, in order)', () => {
  it('reports each rule with its message', async () => {
    expect(await errorsOf(form('shorty', 'Zq9!x', 'Zq9!x'))).toEqual({ password2: [SHORT] });
    expect(await errorsOf(form('commoner', 'password123', 'password123'))).toEqual({ password2: [COMMON] });
    expect(await errorsOf(form('commoner', ' PassWord123 ', ' PassWord123 '))).toEqual({ password2: [COMMON] });
    expect(await errorsOf(form('numerist', '90718243561', '90718243561'))).toEqual({ password2: [NUMERIC] });
    expect(await errorsOf(form('similarity', 'similarity1', 'similarity1'))).toEqual({ password2: [SIMILAR] });
  });

  it('reports several at once, in the validators\u2019 order', async () => {
    expect(await errorsOf(form('12345', '12345', '12345'))).toEqual({ password2: [SIMILAR, SHORT, COMMON, NUMERIC] });
    expect(await errorsOf(form('abc', '123456', '123456'))).toEqual({ password2: [SHORT, COMMON, NUMERIC] });
  });

  it('compares with the username\u2019s parts too', async () => {
    expect(await errorsOf(form('jane.smithson', 'smithsonian', 'smithsonian'))).toEqual({ password2: [SIMILAR] });
    expect((await send(form('jo.x', 'jojojojojojojo-9z', 'jojojojojojojo-9z'))).status).toBe(201);
  });

  it('skips the similarity check when the username is missing, invalid or taken', async () => {
    expect(await errorsOf(form(undefined, 'Taken1234', 'Taken1234'))).toEqual({ username: [REQUIRED] });
    expect(await errorsOf(form('bad name', 'bad name1', 'bad name1'))).toEqual({ username: [INVALID_NAME] });
    expect(await errorsOf(form('taken', 'takentaken', 'takentaken'))).toEqual({ username: [TAKEN] });
    expect(await errorsOf(form('freshname', 'freshname', 'freshname'))).toEqual({ password2: [SIMILAR] });
  });

  it('leaves nothing behind when refused', async () => {
    await send(form('refused', '123', '123'));
    expect(await t.ctx.accounts.byUsername('refused')).toBeUndefined();
  });
});

describe('races', () => {
  it('20 parallel registrations of one username make one account and 19 clean 400s', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, async () => {
      const client = new UsersClient(t.url);
      await client.csrf();
      return client;
    }));
    const answers = await Promise.all(clients.map((client, i) => client.register(i % 2 ? 'RaceName' : 'racename')));
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of answers.filter((x) => x.status !== 201)) {
      expect([r.status, r.text]).toEqual([400, `{"errors":{"username":["${TAKEN}"]}}`]);
    }
    const rows = await t.ctx.db.selectFrom('users').select('number').where('username_ci', '=', 'racename').execute();
    expect(rows).toHaveLength(1);
  });
});
