// Registering passkeys (passkeys.md §1, §2.1, §2.2) with a real authenticator: Chromium's
// virtual CTAP2 platform authenticator, driven through the page a front end would use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoBase64URL, isoCBOR } from '@simplewebauthn/server/helpers';
import { CHALLENGE_TTL_MICROS } from '../../../src/core/passkeys/challenges.js';
import { REGISTRATION_FAILURE_SENTENCES, type RelyingParty } from '../../../src/core/passkeys/index.js';
import { type PasskeyFixture, clientDataOf, meta, rewriteClientData, startPasskeyFixture } from './fixture.js';

let f: PasskeyFixture;
beforeAll(async () => {
  f = await startPasskeyFixture();
});
afterAll(async () => {
  await f?.close();
});

const B64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;

async function optionsFor(user: Parameters<PasskeyFixture['passkeys']['registration']['options']>[0], rp: RelyingParty = f.rp) {
  const o = await f.passkeys.registration.options(user, rp);
  if (!o.ok) throw new Error(o.reason);
  return o.options;
}

function register(user: any, credential: unknown, extra: { name?: string; rp?: RelyingParty } = {}) {
  return f.passkeys.registration.register({ user, credential, name: extra.name, rp: extra.rp ?? f.rp, meta });
}

describe('registration options (§2.1)', () => {
  it('are PublicKeyCredentialCreationOptionsJSON as the spec gives them', async () => {
    const user = await f.newUser('opt1', { fullName: 'Ann Example' });
    const o = await optionsFor(user);
    expect(Object.keys(o).sort()).toEqual(['attestation', 'authenticatorSelection', 'challenge', 'excludeCredentials', 'pubKeyCredParams', 'rp', 'timeout', 'user']);
    expect(o.challenge).toMatch(B64URL_32_BYTES);
    expect(o.rp).toEqual({ name: 'Gatehouse', id: 'localhost' });
    expect(o.user.name).toBe('opt1@example.com');
    expect(o.user.displayName).toBe('Ann Example');
    expect(o.pubKeyCredParams).toEqual([
      { type: 'public-key', alg: -7 },
      { type: 'public-key', alg: -8 },
      { type: 'public-key', alg: -257 },
    ]);
    expect(o.timeout).toBe(300000);
    expect(o.attestation).toBe('none');
    expect(o.authenticatorSelection).toEqual({ residentKey: 'required', userVerification: 'preferred' });
    expect(o.excludeCredentials).toEqual([]);
  });

  it('the user id is a random 32-byte handle, not the UUID, made once and kept', async () => {
    const a = await f.newUser('handle1');
    const b = await f.newUser('handle2');
    const [first, again, other] = [await optionsFor(a), await optionsFor(a), await optionsFor(b)];
    expect(first.user.id).toMatch(B64URL_32_BYTES);
    expect(Buffer.from(first.user.id, 'base64url')).toHaveLength(32);
    expect(first.user.id).not.toContain(a.id.replaceAll('-', '').slice(0, 8));
    expect(again.user.id).toBe(first.user.id);
    expect(other.user.id).not.toBe(first.user.id);
    expect(again.challenge).not.toBe(first.challenge);
  });

  it('parallel first uses agree on one handle', async () => {
    const u = await f.newUser('handle3');
    const all = await Promise.all(Array.from({ length: 8 }, () => optionsFor(u)));
    expect(new Set(all.map((o) => o.user.id)).size).toBe(1);
  });

  it('name falls back to the username, displayName to the name', async () => {
    const r = await f.t.ctx.accounts.create({ username: 'noemail', password: null });
    if (!r.ok) throw new Error('create');
    const o = await optionsFor(r.user);
    expect(o.user.name).toBe('noemail');
    expect(o.user.displayName).toBe('noemail');
  });
});

describe('registering a passkey (§2.2)', () => {
  it('stores the credential, answers the passkey object, audits and mails', async () => {
    const user = await f.newUser('reg1');
    const client = await f.client();
    const options = await optionsFor(user);
    const credential = await client.create(options);
    const r = await register(user, credential, { name: '  Work laptop  ' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.passkey)).toEqual(['id', 'name', 'created', 'last_used', 'transports', 'backed_up', 'device_type']);
    expect(r.passkey.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.passkey.name).toBe('Work laptop');
    expect(r.passkey.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(r.passkey.last_used).toBeNull();
    expect(r.passkey.transports).toEqual(['internal']);
    expect(r.passkey.backed_up).toBe(false);
    expect(r.passkey.device_type).toBe('single_device');

    const row = await f.t.ctx.db.selectFrom('passkeys').selectAll().where('id', '=', r.passkey.id).executeTakeFirstOrThrow();
    expect(row.user_number).toBe(user.number);
    expect(row.credential_id).toBe(credential.id);
    const [onAuthenticator] = await client.authenticator.credentials();
    expect(row.sign_count).toBe(onAuthenticator.signCount);
    expect(isoBase64URL.toBuffer(row.public_key).length).toBeGreaterThan(64); // a COSE EC2 key
    expect(row.aaguid).toMatch(/^[0-9a-f-]{36}$/);
    // The authenticator keeps the handle the options gave, not the user's UUID.
    expect(Buffer.from(onAuthenticator.userHandle!, 'base64').toString('base64url')).toBe(options.user.id);

    const [audit] = await f.audit('passkey.add', user.id);
    expect(audit.details).toMatchObject({ id: r.passkey.id, name: 'Work laptop' });
    expect(JSON.stringify(audit.details)).not.toContain(credential.id);
    const mail = (await f.mails()).find((m) => m.to.includes('reg1@example.com'));
    expect(mail?.subject).toBe('A passkey was added to your account');
    expect(mail?.text).toContain('Work laptop');

    // The next options exclude it, so the same authenticator is not registered twice.
    const next = await optionsFor(user);
    expect(next.excludeCredentials).toEqual([{ id: credential.id, type: 'public-key', transports: ['internal'] }]);
    await expect(client.create(next)).rejects.toThrow(/InvalidStateError/);
  });

  it('a missing or blank name is "Passkey"; a name over 64 characters is refused', async () => {
    const user = await f.newUser('reg2');
    const client = await f.client();
    const r = await register(user, await client.create(await optionsFor(user)), { name: '   ' });
    expect(r.ok && r.passkey.name).toBe('Passkey');
    await client.replaceAuthenticator();
    const long = await register(user, await client.create(await optionsFor(user)), { name: 'é'.repeat(65) });
    expect(long).toEqual({ ok: false, reason: 'name_too_long' });
  });

  it('the challenge is single-use: the same response again is refused', async () => {
    const user = await f.newUser('reuse1');
    const client = await f.client();
    const credential = await client.create(await optionsFor(user));
    expect((await register(user, credential)).ok).toBe(true);
    expect(await register(user, credential)).toEqual({ ok: false, reason: 'challenge' });
  });

  it('parallel submissions of one response: one passkey, the others refused', async () => {
    const user = await f.newUser('reuse2');
    const client = await f.client();
    const credential = await client.create(await optionsFor(user));
    const results = await Promise.all(Array.from({ length: 6 }, () => register(user, credential)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(5).fill('challenge'));
    expect(await f.passkeys.management.count(user.number)).toBe(1);
  });

  it('a challenge issued to another user is refused, and stays usable by its owner', async () => {
    const owner = await f.newUser('bound1');
    const thief = await f.newUser('bound2');
    const client = await f.client();
    const credential = await client.create(await optionsFor(owner));
    expect(await register(thief, credential)).toEqual({ ok: false, reason: 'challenge' });
    expect((await register(owner, credential)).ok).toBe(true);
  });

  it('an expired challenge (after 5 minutes) is refused', async () => {
    const user = await f.newUser('expiry1');
    const client = await f.client();
    const credential = await client.create(await optionsFor(user));
    f.advance(CHALLENGE_TTL_MICROS + 1);
    expect(await register(user, credential)).toEqual({ ok: false, reason: 'challenge' });
  });

  it('a response made on an origin that is not allowed is refused', async () => {
    const user = await f.newUser('origin1');
    const client = await f.client(f.otherPage.origin);
    const credential = await client.create(await optionsFor(user));
    expect(clientDataOf(credential).origin).toBe(f.otherPage.origin);
    expect(await register(user, credential)).toEqual({ ok: false, reason: 'origin' });
  });

  it('a passkey made for another RP ID is refused, even from an allowed origin', async () => {
    const user = await f.newUser('rpid1');
    const sibling = f.page.origin.replace('//localhost', '//app.localhost');
    const rp: RelyingParty = { ...f.rp, origins: [f.page.origin, sibling] };
    const client = await f.client(sibling);
    const options = await optionsFor(user, rp);
    const credential = await client.create({ ...options, rp: { ...options.rp, id: 'app.localhost' } });
    expect(await register(user, credential, { rp })).toEqual({ ok: false, reason: 'rp_id' });
  });

  it('client data of another ceremony type is refused', async () => {
    const user = await f.newUser('type1');
    const client = await f.client();
    const credential = await client.create(await optionsFor(user));
    credential.response.clientDataJSON = rewriteClientData(credential.response.clientDataJSON, (cd) => {
      cd.type = 'webauthn.get';
    });
    expect(await register(user, credential)).toEqual({ ok: false, reason: 'type' });
  });

  it('an attestation without the user-present flag is refused', async () => {
    const user = await f.newUser('up1');
    const client = await f.client();
    const credential = await client.create(await optionsFor(user));
    const att = isoCBOR.decodeFirst<Map<string, unknown>>(isoBase64URL.toBuffer(credential.response.attestationObject));
    const authData = Uint8Array.from(att.get('authData') as Uint8Array);
    authData[32] &= ~0x01; // flags byte, after the 32-byte RP ID hash: clear UP
    att.set('authData', authData);
    credential.response.attestationObject = isoBase64URL.fromBuffer(isoCBOR.encode(att as any));
    expect(await register(user, credential)).toEqual({ ok: false, reason: 'user_presence' });
  });

  it('malformed credentials are "malformed" and do not spend the challenge', async () => {
    const user = await f.newUser('malformed1');
    const client = await f.client();
    const credential = await client.create(await optionsFor(user));
    const broken: unknown[] = [
      null,
      'credential',
      [],
      {},
      { ...credential, type: 'password' },
      { ...credential, rawId: 'AAAA' },
      { ...credential, id: 'not base64url!' },
      { ...credential, response: 'x' },
      { ...credential, response: { ...credential.response, attestationObject: undefined } },
      { ...credential, response: { ...credential.response, attestationObject: 'AAAA' } },
      { ...credential, response: { ...credential.response, clientDataJSON: Buffer.from('not json').toString('base64url') } },
    ];
    // (Client data that decodes to an object is judged instead: a missing or odd type is a wrong type.)
    for (const b of broken) expect(await register(user, b), JSON.stringify(b)?.slice(0, 80)).toEqual({ ok: false, reason: 'malformed' });
    expect((await register(user, credential)).ok).toBe(true);
  });

  it("another account's credential id is refused as already registered", async () => {
    const owner = await f.newUser('dup1');
    const other = await f.newUser('dup2');
    const client = await f.client();
    const credential = await client.create(await optionsFor(owner));
    expect((await register(owner, credential)).ok).toBe(true);
    // The same authenticator response, re-aimed at another account's fresh challenge.
    const theirs = await optionsFor(other);
    credential.response.clientDataJSON = rewriteClientData(credential.response.clientDataJSON, (cd) => {
      cd.challenge = theirs.challenge;
    });
    expect(await register(other, credential)).toEqual({ ok: false, reason: 'already_registered' });
    expect(REGISTRATION_FAILURE_SENTENCES.already_registered).toBe('This passkey is already registered.');
  });

  it('two accounts racing for one credential id: the unique index gives it to one', async () => {
    const users = [await f.newUser('race1'), await f.newUser('race2'), await f.newUser('race3')];
    const client = await f.client();
    const credential = await client.create(await optionsFor(users[0]));
    const attempts = await Promise.all(
      users.map(async (u, i) => {
        if (i === 0) return register(u, credential);
        const o = await optionsFor(u);
        const copy = structuredClone(credential);
        copy.response.clientDataJSON = rewriteClientData(copy.response.clientDataJSON, (cd) => {
          cd.challenge = o.challenge;
        });
        return register(u, copy);
      }),
    );
    expect(attempts.filter((r) => r.ok)).toHaveLength(1);
    expect(attempts.filter((r) => !r.ok && r.reason === 'already_registered')).toHaveLength(2);
    const rows = await f.t.ctx.db.selectFrom('passkeys').select('id').where('credential_id', '=', credential.id).execute();
    expect(rows).toHaveLength(1);
  });
});

describe('at most 10 passkeys per user (§2.1)', () => {
  it('the 11th is refused at the options, and parallel registrations never pass 10', async () => {
    const user = await f.newUser('limit1');
    const client = await f.client();
    for (let i = 0; i < 8; i++) {
      await f.register(client, user, `key ${i}`);
      await client.replaceAuthenticator();
    }
    // Three ceremonies started at 8 passkeys, verified at once: two fit.
    const credentials = [];
    for (let i = 0; i < 3; i++) {
      credentials.push(await client.create(await optionsFor(user)));
      await client.replaceAuthenticator();
    }
    const results = await Promise.all(credentials.map((c) => register(user, c)));
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['limit']);
    expect(await f.passkeys.management.count(user.number)).toBe(10);
    expect(await f.passkeys.registration.options(user, f.rp)).toEqual({ ok: false, reason: 'limit' });
  });
});
