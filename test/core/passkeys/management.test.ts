// A user's passkeys (passkeys.md §2.3, §4): list, rename, remove with the last-way-in rule,
// the admin reset, and deletion with the user (v1.md §0.9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { User } from '../../../src/core/accounts.js';
import type { PasskeyClient } from '../../helpers/webauthn.js';
import { type PasskeyFixture, meta, startPasskeyFixture } from './fixture.js';

let f: PasskeyFixture;
beforeAll(async () => {
  f = await startPasskeyFixture();
});
afterAll(async () => {
  await f?.close();
});

/** `n` passkeys for `user`, each on a fresh authenticator; the client keeps the last one. */
async function passkeysFor(user: User, n: number, client?: PasskeyClient) {
  const c = client ?? (await f.client());
  const made = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) await c.replaceAuthenticator();
    made.push(await f.register(c, user, `key ${i}`));
  }
  return { client: c, made };
}

const mgmt = () => f.passkeys.management;

describe('listing (§2.3)', () => {
  it("lists the caller's passkeys, newest first, as passkey objects", async () => {
    const user = await f.newUser('list1');
    const other = await f.newUser('list2');
    const { made } = await passkeysFor(user, 3);
    await passkeysFor(other, 1);
    const list = await mgmt().list(user.number);
    expect(list).toEqual([...made].reverse());
    expect(await mgmt().count(user.number)).toBe(3);
    expect(await mgmt().list((await f.newUser('list3')).number)).toEqual([]);
  });
});

describe('renaming (§2.3)', () => {
  it('renames, trimmed; refuses blank, too long, unknown and other users’ passkeys', async () => {
    const user = await f.newUser('rename1');
    const other = await f.newUser('rename2');
    const [pk] = (await passkeysFor(user, 1)).made;
    const r = await mgmt().rename(user, pk.id, '  Phone  ');
    expect(r).toEqual({ ok: true, passkey: { ...pk, name: 'Phone' } });
    expect(await mgmt().rename(user, pk.id, '   ')).toEqual({ ok: false, reason: 'name_blank' });
    expect(await mgmt().rename(user, pk.id, 'x'.repeat(65))).toEqual({ ok: false, reason: 'name_too_long' });
    expect((await mgmt().rename(user, pk.id, 'x'.repeat(64))).ok).toBe(true);
    expect(await mgmt().rename(other, pk.id, 'Mine now')).toEqual({ ok: false, reason: 'not_found' });
    expect(await mgmt().rename(user, randomUUID(), 'Nothing')).toEqual({ ok: false, reason: 'not_found' });
    expect(await mgmt().rename(user, 'not-a-uuid', 'Nothing')).toEqual({ ok: false, reason: 'not_found' });
  });
});

describe('removing (§2.3, §4)', () => {
  it('removes, audits passkey.remove and mails a notice; another user cannot', async () => {
    const user = await f.newUser('remove1');
    const other = await f.newUser('remove2');
    const [pk] = (await passkeysFor(user, 1)).made;
    expect(await mgmt().remove(other, pk.id, meta)).toEqual({ ok: false, reason: 'not_found' });
    expect(await mgmt().remove(user, pk.id, meta)).toEqual({ ok: true });
    expect(await mgmt().remove(user, pk.id, meta)).toEqual({ ok: false, reason: 'not_found' });
    expect(await mgmt().list(user.number)).toEqual([]);
    const [audit] = await f.audit('passkey.remove', user.id);
    expect(audit.details).toEqual({ id: pk.id, name: 'key 0' });
    const mail = (await f.mails()).find((m) => m.to.includes('remove1@example.com') && m.subject === 'A passkey was removed from your account');
    expect(mail?.text).toContain('key 0');
  });

  it('the last passkey of an account without a password stays', async () => {
    const user = await f.newUser('lastway1', { password: null });
    const [a, b] = (await passkeysFor(user, 2)).made;
    expect(await mgmt().remove(user, a.id, meta)).toEqual({ ok: true });
    expect(await mgmt().remove(user, b.id, meta)).toEqual({ ok: false, reason: 'last_way_in' });
    expect(await mgmt().count(user.number)).toBe(1);
  });

  it('with a usable password the last passkey may go', async () => {
    const user = await f.newUser('lastway2');
    const [pk] = (await passkeysFor(user, 1)).made;
    expect(await mgmt().remove(user, pk.id, meta)).toEqual({ ok: true });
  });

  it('a disabled passkey is no way in: it may always go, and never counts as the remaining one', async () => {
    const user = await f.newUser('lastway3', { password: null });
    const { client, made } = await passkeysFor(user, 2);
    const cloned = made[1]; // on the client's current authenticator
    const earlier = await f.assert(client);
    const later = await f.assert(client);
    expect((await f.passkeys.authentication.verify({ challengeId: later.challengeId, credential: later.credential, rp: f.rp, meta })).ok).toBe(true);
    expect(await f.passkeys.authentication.verify({ challengeId: earlier.challengeId, credential: earlier.credential, rp: f.rp, meta })).toEqual({ ok: false, reason: 'clone' });
    expect(await mgmt().count(user.number)).toBe(2);
    expect(await mgmt().count(user.number, true)).toBe(1);
    expect(await mgmt().remove(user, made[0].id, meta)).toEqual({ ok: false, reason: 'last_way_in' });
    expect(await mgmt().remove(user, cloned.id, meta)).toEqual({ ok: true });
  });

  it('parallel removals of the last two passkeys: one goes, one stays', async () => {
    const users = await Promise.all([1, 2, 3, 4].map((i) => f.newUser(`lastway4${i}`, { password: null })));
    const client = await f.client();
    const made = [];
    for (const u of users) made.push({ user: u, passkeys: (await passkeysFor(u, 2, client)).made });
    const results = await Promise.all(made.flatMap(({ user, passkeys }) => passkeys.map((pk) => mgmt().remove(user, pk.id, meta))));
    expect(results.filter((r) => r.ok)).toHaveLength(4);
    expect(results.filter((r) => !r.ok && r.reason === 'last_way_in')).toHaveLength(4);
    for (const u of users) expect(await mgmt().count(u.number)).toBe(1);
  });
});

describe('the admin two-factor reset (mfa.md §4)', () => {
  it('removes every passkey and any registration in progress', async () => {
    const user = await f.newUser('reset1', { password: null });
    const { client } = await passkeysFor(user, 2);
    await client.replaceAuthenticator();
    const o = await f.passkeys.registration.options(user, f.rp);
    if (!o.ok) throw new Error(o.reason);
    const pending = await client.create(o.options);
    expect(await mgmt().removeAll(user)).toBe(2);
    expect(await mgmt().count(user.number)).toBe(0);
    expect(await f.passkeys.registration.register({ user, credential: pending, rp: f.rp, meta })).toEqual({ ok: false, reason: 'challenge' });
  });
});

describe('deleting the user (§4, v1.md §0.9)', () => {
  it('deletes their passkeys, handle and challenges; their authenticator no longer logs in', async () => {
    const user = await f.newUser('gone1');
    const { client } = await passkeysFor(user, 1);
    await f.passkeys.registration.options(user, f.rp);
    const assertion = await f.assert(client);
    await f.t.ctx.revocation.deleteUser(user);
    const db = f.t.ctx.db;
    expect(await db.selectFrom('passkeys').select('id').where('user_number', '=', user.number).execute()).toEqual([]);
    expect(await db.selectFrom('webauthn_user_handles').select('handle').where('user_number', '=', user.number).execute()).toEqual([]);
    expect(await db.selectFrom('webauthn_challenges').select('id').where('user_number', '=', user.number).execute()).toEqual([]);
    expect(await f.passkeys.authentication.verify({ challengeId: assertion.challengeId, credential: assertion.credential, rp: f.rp, meta })).toEqual({
      ok: false,
      reason: 'unknown_credential',
    });
  });
});
