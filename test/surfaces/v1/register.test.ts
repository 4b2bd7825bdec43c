// POST register/ (v1.md §3.1, §1.4), including the race of identical registrations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { V1, type TestApp, expectJson, identity, knoxLogin, registerUser, request, startV1 } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startV1();
});
afterAll(async () => {
  await t?.close();
});

const register = (body: unknown) => request(t.url, 'POST', V1 + 'register/', { json: body });

function valid(overrides: Record<string, unknown> = {}) {
  const who = identity('reg');
  return { email: who.email, username: who.username, password: 'Admin,123', confirm_password: 'Admin,123', ...overrides };
}

describe('success', () => {
  it('the seed example: 201 with id, email and username, no token and no cookie', async () => {
    const r = await register({ email: 'admin@gmail.com', username: 'admin', password: 'Admin,123', confirm_password: 'Admin,123' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.json)).toEqual(['id', 'email', 'username']);
    expect(r.json.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.json).toMatchObject({ email: 'admin@gmail.com', username: 'admin' });
    expect(r.setCookies).toEqual([]);
    const row = await t.ctx.accounts.byId(r.json.id);
    expect(row).toMatchObject({ email_verified: 0, full_name: '', is_active: 1 });
    expect(row!.password).toMatch(/^\$argon2id\$/);
    const audit = await t.ctx.db.selectFrom('audit_log').selectAll().where('event', '=', 'user.register').where('user_id', '=', r.json.id).execute();
    expect(audit).toHaveLength(1);
  });

  it('trims every field, hashes the trimmed password and lower-cases the email domain only', async () => {
    const who = identity('Trim');
    const email = who.email.replace('@example.com', '@Example.COM');
    const r = await register({ email: `  ${email}\t`, username: ` ${who.username} `, password: ' Admin,123 ', confirm_password: 'Admin,123  ' });
    expectJson(r, 201, { id: r.json.id, email: who.email, username: who.username });
    expect(await knoxLogin(t.url, { email: who.email, password: 'Admin,123' })).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts form and multipart bodies, and ignores id and unknown keys', async () => {
    const a = valid();
    const form = await request(t.url, 'POST', V1 + 'register/', { body: new URLSearchParams({ ...a, id: '00000000-0000-0000-0000-000000000000' }) });
    expect(form.status).toBe(201);
    expect(form.json.id).not.toBe('00000000-0000-0000-0000-000000000000');
    const b = valid();
    const fd = new FormData();
    for (const [k, v] of Object.entries(b)) fd.append(k, String(v));
    fd.append('is_staff', 'true');
    const multi = await request(t.url, 'POST', V1 + 'register/', { body: fd });
    expect(multi.status).toBe(201);
    expect((await t.ctx.accounts.byId(multi.json.id))!.is_staff).toBe(0);
  });

  it('turns numbers into their text', async () => {
    const r = await register(valid({ username: 12345678 }));
    expect(r.status).toBe(201);
    expect(r.json.username).toBe('12345678');
  });
});

describe('field errors (§1.4)', () => {
  it('{} lists every required field in order', async () => {
    expectJson(await register({}), 400, ['Email field is required.', 'Username field is required.', 'Password field is required.', 'Confirm_Password field is required.']);
  });

  it('null, wrong types and blanks, one message per field', async () => {
    const r = await register({ email: null, username: true, password: '   ', confirm_password: ['x'] });
    expectJson(r, 400, ['This field may not be null.', 'Username error. Not a valid string.', 'Password field cannot be blank.', 'Confirm_Password error. Not a valid string.']);
    expectJson(await register(valid({ username: { a: 1 } })), 400, 'Username error. Not a valid string.');
  });

  it('a single error is a bare string', async () => {
    expectJson(await register(valid({ email: 'not-an-email' })), 400, 'Email error. Enter a valid email address.');
  });

  it('reports every failing validator of a field, in order', async () => {
    const long = 'a'.repeat(201);
    expectJson(await register(valid({ email: long })), 400, ['Ensure this field has no more than 200 characters.', 'Email error. Enter a valid email address.']);
    expectJson(await register(valid({ username: 'u'.repeat(251) })), 400, 'Ensure this field has no more than 250 characters.');
    expectJson(await register(valid({ password: 'A1,' + 'a'.repeat(126), confirm_password: 'x' })), 400, 'Ensure this field has no more than 128 characters.');
  });

  it('usernames may hold any characters', async () => {
    expect((await register(valid({ username: 'ünïcødé name/with@symbols' }))).status).toBe(201);
  });

  it('but no NUL (DRF refuses it; PostgreSQL cannot store it): a 400, never a 500, on either database', async () => {
    expectJson(await register(valid({ username: 'nul\u0000name' })), 400, 'Null characters are not allowed.');
    expectJson(await register(valid({ username: '\u0000' })), 400, 'Null characters are not allowed.');
    expectJson(await register(valid({ email: 'a\u0000b@example.com' })), 400, 'Email error. Enter a valid email address.');
  });
});

describe('uniqueness', () => {
  it('a duplicate username or email, in any case, is the uniqueness message', async () => {
    const u = await registerUser(t.url, 'dup');
    expectJson(await register(valid({ username: u.username })), 400, 'User with this username already exists.');
    expectJson(await register(valid({ username: u.username.toUpperCase() })), 400, 'User with this username already exists.');
    expectJson(await register(valid({ email: u.email.toUpperCase() })), 400, 'User with this email already exists.');
    expectJson(await register(valid({ email: u.email, username: u.username })), 400, ['User with this email already exists.', 'User with this username already exists.']);
  });

  it('a taken email with a weak password gives only the email message', async () => {
    const u = await registerUser(t.url, 'weak');
    expectJson(await register(valid({ email: u.email, password: 'short', confirm_password: 'short' })), 400, 'User with this email already exists.');
  });

  it('50 parallel registrations of one email: one 201 and 49 clean 400s, one account', async () => {
    const email = identity('race').email;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => register({ email, username: `racer-${i}-${email}`, password: 'Admin,123', confirm_password: 'Admin,123' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(49);
    for (const r of results.filter((x) => x.status === 400)) expect(r.json).toBe('User with this email already exists.');
    const rows = await t.ctx.db.selectFrom('users').select('number').where('email_ci', '=', email.toLowerCase()).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('password rules (§3.1), first failure only', () => {
  it.each([
    ['Ad,1', 'Password must contain at least 8 characters.'],
    ['Admin,abc', 'Password must contain at least 1 number.'],
    ['admin,123', 'Password must contain at least 1 uppercase letter.'],
    ['Admin123', 'Password must contain at least 1 symbol.'],
    ['Admin-123', 'Password must contain at least 1 symbol.'],
    ['Admin 123', 'Password must contain at least 1 symbol.'],
    ["Admin{}[]<>'\\123", 'Password must contain at least 1 symbol.'],
  ])('%s → %s', async (password, message) => {
    expectJson(await register(valid({ password, confirm_password: password })), 400, `Password error. ${message}`);
  });

  it('Admin123 with Admin,123 answers the symbol rule before the mismatch', async () => {
    expectJson(await register(valid({ password: 'Admin123', confirm_password: 'Admin,123' })), 400, 'Password error. Password must contain at least 1 symbol.');
  });

  it('a mismatch comes last', async () => {
    expectJson(await register(valid({ password: 'Admin,123', confirm_password: 'Admin,124' })), 400, 'Password error. Passwords do not match.');
  });

  it.each(['!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '=', ',', '.', '?', '/', '|', '"', ':', ';', '`', '~'])('%s counts as a symbol', async (symbol) => {
    expect((await register(valid({ password: `Admin123${symbol}`, confirm_password: `Admin123${symbol}` }))).status).toBe(201);
  });

  it('no user is left behind by a refused registration', async () => {
    const who = identity('left');
    await register({ ...who, password: 'Admin123', confirm_password: 'Admin123' });
    expect(await t.ctx.accounts.byEmail(who.email)).toBeUndefined();
  });
});
