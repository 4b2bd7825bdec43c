// user-account.md §5.4 profile_settings over HTTP: the mask on real accounts, users created by
// other surfaces, never a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../helpers/app.js';
import { bearer, get, mint, registerAndLogin, startUa, uniqueName } from './helpers.js';

let t: TestApp;
beforeAll(async () => {
  t = await startUa();
});
afterAll(async () => {
  await t?.close();
});

describe('profile_settings (§5.4)', () => {
  it.each([
    ['daniel.z@yandex.ru', 'd******z@yandex.ru'],
    ['ab@x.io', 'a******b@x.io'],
    ['a@x.io', 'a******@x.io'],
    ['@x.io', '******@x.io'],
    ['no-at-sign', 'n******n'],
    ['(.*)+[?@x.io', '(******?@x.io'],
    ['', null],
  ])('email %j is shown as %j', async (email, masked) => {
    const suffix = uniqueName('');
    // The domain keeps the address unique per test; the local part is the case under test.
    const stored = email === '' ? '' : email.includes('@') ? `${email}.${suffix}` : `${email}${suffix}`;
    const u = await registerAndLogin(t, { email: stored, full_name: 'Admin A.A.' });
    const r = await get(t, '/profile_settings', bearer(u.token));
    expect(r.status).toBe(200);
    const expected = masked === null ? null : email.includes('@') ? `${masked}.${suffix}` : `${stored[0]}******${stored[stored.length - 1]}`;
    expect(r.json).toEqual({ contacts: null, email: expected, full_name: 'Admin A.A.', is_email_verified: false, phone: null, pwd: '********', username: u.username });
  });

  it('a user created elsewhere (no username, no full name) is shown with null and ""', async () => {
    const created = await t.ctx.accounts.create({ email: `${uniqueName('api')}@example.test`, password: 'x', emailVerified: true });
    if (!created.ok) throw new Error('create failed');
    const token = await mint(t, { sub: created.user.number });
    const r = await get(t, '/profile_settings', bearer(token));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ username: null, full_name: '', is_email_verified: true, pwd: '********' });
  });
});
