// Linked identities (social.md §2.6, §4): the user's list, unlinking under the last-way-in
// rule (also when two removals race), the admin's view, and deletion with the user.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../src/core/accounts.js';
import { NEXT, meta, type OidcFixture, startOidcFixture } from './fixture.js';

let f: OidcFixture;
beforeAll(async () => {
  f = await startOidcFixture();
});
afterAll(async () => {
  await f?.close();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
let seq = 0;
const uniq = (prefix: string) => `${prefix}${++seq}x${randomBytes(3).toString('hex')}`;

/** A user made by a real provider sign-in: no username, no usable password. */
async function providerUser(): Promise<{ user: User; sub: string }> {
  const sub = uniq('sub');
  f.idp.addAccount({ sub, email: `${sub}@corp.example`, email_verified: true, name: 'P' });
  const started = await f.oidc.signIn.start({ provider: 'corp', next: NEXT, base: f.t.url });
  const back = await f.authorize(started, { login: sub });
  const result = await f.oidc.signIn.callback({ provider: 'corp', query: back.search, cookie: started.ok ? started.cookie : '', meta });
  const code = result.ok ? new URL(result.redirect).searchParams.get('login_code') : null;
  const ex = await f.oidc.signIn.exchange(code, meta);
  if (!ex.ok) throw new Error(`sign-in failed: ${result.ok ? result.outcome : result.reason}`);
  return { user: ex.user, sub };
}

async function addIdentity(user: User, provider = 'corp-public') {
  const r = await f.oidc.identities.insert(user.number, provider, uniq('extra'), null);
  if (!r.ok) throw new Error('insert failed');
  return r.identity;
}

async function fresh(user: User): Promise<User> {
  return (await f.t.ctx.accounts.byNumber(user.number))!;
}

describe('identities/ (§2.6)', () => {
  it('lists the caller’s identities with ISO timestamps', async () => {
    const { user, sub } = await providerUser();
    const extra = await addIdentity(user);
    const list = await f.oidc.identities.list(user.number);
    expect(list).toEqual([
      { id: expect.any(String), provider: 'corp', email: `${sub}@corp.example`, created: expect.stringMatching(ISO), last_used: expect.stringMatching(ISO) },
      { id: extra.id, provider: 'corp-public', email: null, created: expect.stringMatching(ISO), last_used: expect.stringMatching(ISO) },
    ]);
    expect(await f.oidc.identities.list(user.number + 100_000)).toEqual([]);
  });

  it('refuses to remove the last way in, and allows it when a password or a passkey remains', async () => {
    const { user } = await providerUser();
    const [only] = await f.oidc.identities.list(user.number);
    expect(await f.oidc.identities.unlink(user, only.id, meta)).toEqual({ ok: false, reason: 'last_way_in' });

    const extra = await addIdentity(user);
    expect(await f.oidc.identities.unlink(user, extra.id, meta)).toEqual({ ok: true, provider: 'corp-public' });
    expect(await f.oidc.identities.unlink(user, only.id, meta)).toEqual({ ok: false, reason: 'last_way_in' });

    f.passkeyUsers.add(user.number);
    try {
      expect(await f.oidc.identities.unlink(user, only.id.toUpperCase(), meta)).toEqual({ ok: true, provider: 'corp' });
    } finally {
      f.passkeyUsers.delete(user.number);
    }
    expect(await f.oidc.identities.list(user.number)).toEqual([]);

    const withPassword = await f.t.ctx.accounts.create({ username: uniq('pw'), password: 'Secret,123' });
    if (!withPassword.ok) throw new Error('create');
    const last = await addIdentity(withPassword.user, 'corp');
    expect(await f.oidc.identities.unlink(withPassword.user, last.id, meta)).toEqual({ ok: true, provider: 'corp' });

    const unlinks = await f.t.ctx.db.selectFrom('audit_log').select(['user_id', 'details']).where('event', '=', 'oauth.unlink').where('user_id', 'in', [user.id, withPassword.user.id]).orderBy('id').execute();
    expect(unlinks.map((u) => [u.user_id, JSON.parse(u.details)])).toEqual([
      [user.id, { provider: 'corp-public' }],
      [user.id, { provider: 'corp' }],
      [withPassword.user.id, { provider: 'corp' }],
    ]);
  });

  it('someone else’s identity, an unknown id or a malformed one is not_found, and nothing is removed', async () => {
    const { user: owner } = await providerUser();
    const ownersExtra = await addIdentity(owner);
    const { user: other } = await providerUser();
    for (const id of [ownersExtra.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', '']) {
      expect(await f.oidc.identities.unlink(other, id, meta)).toEqual({ ok: false, reason: 'not_found' });
    }
    expect(await f.oidc.identities.list(owner.number)).toHaveLength(2);
  });

  it('two parallel removals can never take away both remaining ways in', async () => {
    for (let round = 0; round < 3; round++) {
      const { user } = await providerUser();
      await addIdentity(user);
      await addIdentity(user, 'down');
      const ids = (await f.oidc.identities.list(user.number)).map((i) => i.id);
      const results = await Promise.all(ids.map((id) => f.oidc.identities.unlink(user, id, meta)));
      expect(results.filter((r) => r.ok)).toHaveLength(2);
      expect(results.filter((r) => !r.ok && r.reason === 'last_way_in')).toHaveLength(1);
      expect(await f.oidc.identities.list(user.number)).toHaveLength(1);
    }
  });
});

describe('the admin view and deletion (§4)', () => {
  it('gives the admin user object’s identities, for one user or a page of users', async () => {
    const { user: a, sub } = await providerUser();
    const { user: b } = await providerUser();
    await addIdentity(b);
    expect(await f.oidc.identities.forAdmin(a.number)).toEqual([{ provider: 'corp', email: `${sub}@corp.example`, created: expect.stringMatching(ISO) }]);
    const many = await f.oidc.identities.forAdminMany([a.number, b.number, 987_654]);
    expect([...many.keys()]).toEqual([a.number, b.number, 987_654]);
    expect(many.get(b.number)!.map((i) => i.provider)).toEqual(['corp', 'corp-public']);
    expect(many.get(987_654)).toEqual([]);
    expect((await f.oidc.identities.forAdminMany([])).size).toBe(0);
  });

  it('deleting a user deletes their identities, pending link requests and login codes', async () => {
    const { user, sub } = await providerUser();
    await addIdentity(user);
    const started = await f.oidc.signIn.link({ provider: 'corp', next: NEXT, user, base: f.t.url });
    expect(started.ok).toBe(true);
    const again = await f.oidc.signIn.start({ provider: 'corp', next: NEXT, base: f.t.url });
    const back = await f.authorize(again, { login: sub });
    const result = await f.oidc.signIn.callback({ provider: 'corp', query: back.search, cookie: again.ok ? again.cookie : '', meta });
    expect(result).toMatchObject({ ok: true, outcome: 'login_code' });

    await f.t.ctx.revocation.deleteUser(await fresh(user));
    const db = f.t.ctx.db;
    expect(await db.selectFrom('oauth_identities').select('id').where('user_number', '=', user.number).execute()).toEqual([]);
    expect(await db.selectFrom('oauth_states').select('state_digest').where('link_user', '=', user.number).execute()).toEqual([]);
    expect(await db.selectFrom('oauth_login_codes').select('code_digest').where('user_number', '=', user.number).execute()).toEqual([]);
    // The identity is free again: the next sign-in with it makes a new user.
    const reborn = await f.oidc.signIn.start({ provider: 'corp', next: NEXT, base: f.t.url });
    const back2 = await f.authorize(reborn, { login: sub });
    const r2 = await f.oidc.signIn.callback({ provider: 'corp', query: back2.search, cookie: reborn.ok ? reborn.cookie : '', meta });
    const ex = await f.oidc.signIn.exchange(r2.ok ? new URL(r2.redirect).searchParams.get('login_code') : null, meta);
    expect(ex.ok && ex.user.id !== user.id).toBe(true);
  });
});
