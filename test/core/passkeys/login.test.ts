// Logging in with a passkey (passkeys.md §3; v1.md §0.7: a failed assertion never counts toward
// lockout) with a real authenticator. Every refusal is one reason in the audit, none reaches the
// client; a counter that goes backwards disables the passkey.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHALLENGE_TTL_MICROS } from '../../../src/core/passkeys/challenges.js';
import type { User } from '../../../src/core/accounts.js';
import type { RelyingParty } from '../../../src/core/passkeys/index.js';
import type { PasskeyClient } from '../../helpers/webauthn.js';
import { type PasskeyFixture, clientDataOf, meta, rewriteClientData, startPasskeyFixture } from './fixture.js';

let f: PasskeyFixture;
beforeAll(async () => {
  f = await startPasskeyFixture();
});
afterAll(async () => {
  await f?.close();
});

function verify(challengeId: unknown, credential: unknown, rp: RelyingParty = f.rp) {
  return f.passkeys.authentication.verify({ challengeId, credential, rp, meta });
}

/** A user with one registered passkey on its own authenticator. */
async function enrolled(name: string): Promise<{ user: User; client: PasskeyClient; passkeyId: string }> {
  const user = await f.newUser(name);
  const client = await f.client();
  const passkey = await f.register(client, user);
  return { user, client, passkeyId: passkey.id };
}

async function row(passkeyId: string) {
  return f.t.ctx.db.selectFrom('passkeys').selectAll().where('id', '=', passkeyId).executeTakeFirstOrThrow();
}

describe('login options (§3.1)', () => {
  it('name nobody: a challenge id, a fresh challenge, the RP ID, UV required', async () => {
    const a = await f.passkeys.authentication.options(f.rp);
    const b = await f.passkeys.authentication.options(f.rp);
    expect(Object.keys(a)).toEqual(['challenge_id', 'options']);
    expect(a.challenge_id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.options).toEqual({ challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), timeout: 300000, rpId: 'localhost', allowCredentials: [], userVerification: 'required' });
    expect(b.challenge_id).not.toBe(a.challenge_id);
    expect(b.options.challenge).not.toBe(a.options.challenge);
    expect(a.challenge_id).not.toBe(a.options.challenge);
    // Only a digest of the challenge id is kept.
    const ids = (await f.t.ctx.db.selectFrom('webauthn_challenges').select('id').execute()).map((r) => r.id);
    expect(ids.join()).not.toContain(a.challenge_id);
  });
});

describe('a passkey login (§3.2)', () => {
  it('returns the owner, moves the counter and last_used, and leaves the lockout alone', async () => {
    const { user, client, passkeyId } = await enrolled('login1');
    const before = await row(passkeyId);
    const { challengeId, credential } = await f.assert(client);
    const r = await verify(challengeId, credential);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.user.id).toBe(user.id);
    expect(r.passkey.id).toBe(passkeyId);
    expect(r.passkey.last_used).toMatch(/Z$/);
    const after = await row(passkeyId);
    const [onAuthenticator] = await client.authenticator.credentials();
    expect(after.sign_count).toBe(onAuthenticator.signCount);
    expect(after.sign_count).toBeGreaterThan(before.sign_count);
    expect(after.last_used).not.toBeNull();
    expect(await f.audit('login.failure', user.id)).toEqual([]);
  });

  it('returns an inactive owner as is: the account checks are the login action’s', async () => {
    const { user, client } = await enrolled('inactive1');
    await f.t.ctx.accounts.update(user.number, { isActive: false });
    const { challengeId, credential } = await f.assert(client);
    const r = await verify(challengeId, credential);
    expect(r.ok && r.user.is_active).toBe(0);
  });
});

describe('refusals: one answer, a distinct reason in the audit (§3.2)', () => {
  let user: User;
  let client: PasskeyClient;
  let passkeyId: string;
  beforeAll(async () => {
    ({ user, client, passkeyId } = await enrolled('refused'));
  });

  async function refusedAs(reason: string, result: Promise<unknown>) {
    expect(await result).toEqual({ ok: false, reason });
    const entries = await f.audit('login.failure');
    const last = entries[entries.length - 1];
    expect(last.details).toMatchObject({ method: 'passkey', reason });
  }

  it('the challenge is single-use', async () => {
    const { challengeId, credential } = await f.assert(client);
    expect((await verify(challengeId, credential)).ok).toBe(true);
    await refusedAs('challenge', verify(challengeId, credential));
  });

  it('an unknown or malformed challenge id', async () => {
    const { credential } = await f.assert(client);
    await refusedAs('challenge', verify(randomBytes(32).toString('base64url'), credential));
    await refusedAs('challenge', verify('short', credential));
    await refusedAs('challenge', verify(12345, credential));
  });

  it('an expired challenge (after 5 minutes)', async () => {
    const { challengeId, credential } = await f.assert(client);
    f.advance(CHALLENGE_TTL_MICROS + 1);
    await refusedAs('challenge', verify(challengeId, credential));
  });

  it('an assertion signed over another challenge than the one named', async () => {
    const { credential } = await f.assert(client);
    const other = await f.passkeys.authentication.options(f.rp);
    await refusedAs('challenge', verify(other.challenge_id, credential));
  });

  it('an origin that is not allowed', async () => {
    await client.goto(f.otherPage.origin);
    try {
      const { challengeId, credential } = await f.assert(client);
      expect(clientDataOf(credential).origin).toBe(f.otherPage.origin);
      await refusedAs('origin', verify(challengeId, credential));
    } finally {
      await client.goto(f.page.origin);
    }
  });

  it('a passkey of another RP ID', async () => {
    const { challengeId, credential } = await f.assert(client);
    const elsewhere: RelyingParty = { ...f.rp, rpId: 'app.localhost' };
    await refusedAs('rp_id', verify(challengeId, credential, elsewhere));
  });

  it('client data of another ceremony type', async () => {
    const { challengeId, credential } = await f.assert(client);
    credential.response.clientDataJSON = rewriteClientData(credential.response.clientDataJSON, (cd) => {
      cd.type = 'webauthn.create';
    });
    await refusedAs('type', verify(challengeId, credential));
  });

  it('no user verification (the client asked for none, the authenticator did none)', async () => {
    await client.authenticator.setUserVerified(false);
    try {
      const { challengeId, credential } = await f.assert(client, f.rp, (o) => {
        o.userVerification = 'discouraged';
      });
      await refusedAs('user_verification', verify(challengeId, credential));
    } finally {
      await client.authenticator.setUserVerified(true);
    }
  });

  it('an unknown credential', async () => {
    const stranger = await f.client();
    const outsider = await f.newUser('outsider');
    await f.register(stranger, outsider);
    const { challengeId, credential } = await f.assert(stranger);
    // The server forgets the passkey; the authenticator still has it.
    expect(await f.passkeys.management.remove(outsider, (await f.passkeys.management.list(outsider.number))[0].id, meta)).toEqual({ ok: true });
    await refusedAs('unknown_credential', verify(challengeId, credential));
  });

  it("another user's handle, or none", async () => {
    const other = await f.newUser('otherhandle');
    const theirs = (await f.passkeys.registration.options(other, f.rp)) as { ok: true; options: { user: { id: string } } };
    const { challengeId, credential } = await f.assert(client);
    credential.response.userHandle = theirs.options.user.id;
    await refusedAs('user_handle', verify(challengeId, credential));
    const second = await f.assert(client);
    delete second.credential.response.userHandle;
    await refusedAs('user_handle', verify(second.challengeId, second.credential));
  });

  it('a bad signature, or signed data changed after signing', async () => {
    const a = await f.assert(client);
    const sig = Buffer.from(a.credential.response.signature, 'base64url');
    sig[sig.length - 3] ^= 0x01;
    a.credential.response.signature = sig.toString('base64url');
    await refusedAs('signature', verify(a.challengeId, a.credential));

    const b = await f.assert(client);
    const authData = Buffer.from(b.credential.response.authenticatorData, 'base64url');
    authData[36] = (authData[36] + 100) & 0xff; // the counter's low byte: signed, so the signature breaks
    b.credential.response.authenticatorData = authData.toString('base64url');
    await refusedAs('signature', verify(b.challengeId, b.credential));
    expect((await row(passkeyId)).disabled_at).toBeNull();
  });

  it('a forged response with a lower counter never disables the passkey', async () => {
    const a = await f.assert(client);
    const authData = Buffer.from(a.credential.response.authenticatorData, 'base64url');
    authData.writeUInt32BE(0, 33); // counter 0, below the stored one; the signature no longer matches
    a.credential.response.authenticatorData = authData.toString('base64url');
    await refusedAs('signature', verify(a.challengeId, a.credential));
    expect((await row(passkeyId)).disabled_at).toBeNull();
    expect(await f.audit('passkey.clone_suspected', user.id)).toEqual([]);
  });

  it('malformed credentials', async () => {
    const { challengeId, credential } = await f.assert(client);
    for (const broken of [null, {}, { ...credential, response: { ...credential.response, signature: undefined } }, { ...credential, rawId: 'AAAA' }]) {
      await refusedAs('malformed', verify(challengeId, broken));
    }
  });

  it('none of these counted toward the lockout streak (v1.md §0.7)', async () => {
    const fresh = await f.t.ctx.accounts.byNumber(user.number);
    expect(fresh?.failed_logins).toBe(0);
    expect(fresh?.locked_until).toBeNull();
    expect((await f.audit('login.failure', user.id)).length).toBeGreaterThan(5);
  });
});

describe('a counter that goes backwards (§3.2)', () => {
  it('refuses the older assertion, disables the passkey and audits passkey.clone_suspected', async () => {
    const { user, client, passkeyId } = await enrolled('clone1');
    const earlier = await f.assert(client);
    const later = await f.assert(client);
    expect((await verify(later.challengeId, later.credential)).ok).toBe(true);
    expect(await verify(earlier.challengeId, earlier.credential)).toEqual({ ok: false, reason: 'clone' });

    const disabled = await row(passkeyId);
    expect(disabled.disabled_at).not.toBeNull();
    const [audit] = await f.audit('passkey.clone_suspected', user.id);
    const laterCount = Buffer.from(later.credential.response.authenticatorData, 'base64url').readUInt32BE(33);
    const earlierCount = Buffer.from(earlier.credential.response.authenticatorData, 'base64url').readUInt32BE(33);
    expect(audit.details).toMatchObject({ id: passkeyId, stored_counter: laterCount, received_counter: earlierCount });

    // A disabled passkey logs in no more, even with a perfectly good assertion.
    const next = await f.assert(client);
    expect(await verify(next.challengeId, next.credential)).toEqual({ ok: false, reason: 'disabled' });
  });
});

describe('concurrency', () => {
  it('one assertion verified in parallel: exactly one success', async () => {
    const { client } = await enrolled('parallel1');
    const { challengeId, credential } = await f.assert(client);
    const results = await Promise.all(Array.from({ length: 8 }, () => verify(challengeId, structuredClone(credential))));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(7).fill('challenge'));
  });
});
