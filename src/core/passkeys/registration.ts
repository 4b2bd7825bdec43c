// Adding a passkey (passkeys.md §2.1, §2.2). Options carry a fresh challenge bound to the user;
// the response is read, its challenge spent, each rule checked in the spec's order with its own
// reason, then the attestation verified by @simplewebauthn/server and the credential stored
// under the per-user lock that keeps the 10-passkey limit under parallel registrations.
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { cose, decodeCredentialPublicKey, isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Database } from '../../store/schema.js';
import { uniqueViolation } from '../../store/db.js';
import { type User, person } from '../accounts.js';
import type { Outbox } from '../events/outbox.js';
import type { Audit, RequestMeta } from '../audit.js';
import type { WebAuthnChallenges } from './challenges.js';
import { checkClientData, rpIdMatches } from './checks.js';
import { parseRegistrationResponse } from './credential-json.js';
import type { PasskeyMetrics } from './metrics.js';
import { normalizePasskeyName } from './names.js';
import type { PasskeyMail } from './passkey-mail.js';
import type { RelyingParty } from './relying-party.js';
import { MAX_PASSKEYS_PER_USER, type PasskeyObject, type PasskeyRow, type Within, countPasskeys, ensureHandle, lockPasskeysOf, toPasskeyObject, transportsOf } from './store.js';

/** ES256, EdDSA, RS256, in the order offered (passkeys.md §1). */
export const PASSKEY_ALGORITHMS = [-7, -8, -257] as const;
export const CEREMONY_TIMEOUT_MS = 300_000;

export type RegistrationOptionsResult =
  | { ok: true; options: PublicKeyCredentialCreationOptionsJSON }
  | { ok: false; reason: 'limit' };

export type RegistrationFailure =
  | 'malformed' // not a RegistrationResponseJSON that decodes
  | 'challenge' // not issued to this user, spent or expired
  | 'type' // clientDataJSON.type is not webauthn.create
  | 'origin' // clientDataJSON.origin not allowed (or a cross-origin iframe)
  | 'rp_id' // authenticator data names another RP ID
  | 'user_presence' // UP flag not set
  | 'algorithm' // a key type that was not offered
  | 'attestation' // the library refused the response
  | 'already_registered' // the credential id belongs to a passkey already (anyone's)
  | 'limit' // the user reached 10 passkeys meanwhile
  | 'name_too_long';

export type RegistrationResult = { ok: true; passkey: PasskeyObject } | { ok: false; reason: RegistrationFailure };

/**
 * The sentence after "Passkey error. " for each refusal (passkeys.md §2.2); `malformed` is
 * "Credential error. Invalid credential.", `limit` the §2.1 message, `name_too_long` a field error.
 */
export const REGISTRATION_FAILURE_SENTENCES: Record<Exclude<RegistrationFailure, 'malformed' | 'limit' | 'name_too_long'>, string> = {
  challenge: 'Challenge is invalid or expired.',
  type: 'The response is not a passkey registration.',
  origin: 'Origin is not allowed.',
  rp_id: 'The passkey was made for another site.',
  user_presence: 'User presence was not confirmed.',
  algorithm: 'The passkey uses an unsupported algorithm.',
  attestation: 'The passkey could not be verified.',
  already_registered: 'This passkey is already registered.',
};

export interface RegistrationDeps {
  db: Kysely<Database>;
  challenges: WebAuthnChallenges;
  audit: Audit;
  outbox: Outbox;
  mail: PasskeyMail;
  metrics: PasskeyMetrics;
  clock: () => number;
}

export interface RegisterInput {
  user: User;
  /** The client's `credential.toJSON()`, as received. */
  credential: unknown;
  /** Optional; trimmed, at most 64 characters, "Passkey" when missing or blank. */
  name?: string | null;
  rp: RelyingParty;
  meta: RequestMeta;
  /** Runs in the transaction that stores the passkey, after it and its audit entry (e.g. a domain event). */
  within?: Within;
}

export class PasskeyRegistration {
  constructor(private readonly d: RegistrationDeps) {}

  /** `PublicKeyCredentialCreationOptionsJSON` for `user`, or `limit` at 10 passkeys. */
  async options(user: User, rp: RelyingParty): Promise<RegistrationOptionsResult> {
    const { db, clock } = this.d;
    const existing = await db.selectFrom('passkeys').select(['credential_id', 'transports']).where('user_number', '=', user.number).orderBy('created').execute();
    if (existing.length >= MAX_PASSKEYS_PER_USER) return { ok: false, reason: 'limit' };
    const handle = await ensureHandle(db, user.number, clock());
    const { challenge } = await this.d.challenges.issue('register', user.number);
    const name = user.email ?? user.username ?? user.id;
    return {
      ok: true,
      options: {
        challenge,
        rp: { name: rp.rpName, id: rp.rpId },
        user: { id: handle, name, displayName: user.full_name || name },
        pubKeyCredParams: PASSKEY_ALGORITHMS.map((alg) => ({ type: 'public-key' as const, alg })),
        timeout: CEREMONY_TIMEOUT_MS,
        attestation: 'none',
        excludeCredentials: existing.map((p) => {
          const transports = transportsOf(p);
          return { id: p.credential_id, type: 'public-key' as const, ...(transports.length ? { transports } : {}) };
        }),
        authenticatorSelection: { residentKey: 'required', userVerification: 'preferred' },
      },
    };
  }

  /** Verifies and stores a new passkey of `input.user`. */
  async register(input: RegisterInput): Promise<RegistrationResult> {
    const result = await this.attempt(input);
    this.d.metrics.registrations.inc({ result: result.ok ? 'success' : result.reason });
    return result;
  }

  private async attempt(input: RegisterInput): Promise<RegistrationResult> {
    const { user, rp } = input;
    const named = normalizePasskeyName(input.name, false);
    if (!named.ok) return { ok: false, reason: 'name_too_long' };
    const parsed = parseRegistrationResponse(input.credential);
    if (!parsed) return { ok: false, reason: 'malformed' };
    const { clientData, authData } = parsed;

    // Spent now, whatever follows: one response per challenge.
    if (!(await this.d.challenges.takeRegistration(clientData.challenge, user.number))) return { ok: false, reason: 'challenge' };
    const problem = checkClientData(clientData, 'webauthn.create', null, rp);
    if (problem) return { ok: false, reason: problem };
    if (!rpIdMatches(authData.rpIdHash, rp)) return { ok: false, reason: 'rp_id' };
    if (!authData.flags.up) return { ok: false, reason: 'user_presence' };
    if (!offeredAlgorithm(authData.credentialPublicKey!)) return { ok: false, reason: 'algorithm' };

    let info;
    try {
      const verdict = await verifyRegistrationResponse({
        response: parsed.json,
        expectedChallenge: clientData.challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.rpId,
        expectedType: 'webauthn.create',
        requireUserPresence: true,
        requireUserVerification: false, // "preferred" at registration (passkeys.md §1)
        supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
      });
      if (!verdict.verified) return { ok: false, reason: 'attestation' };
      info = verdict.registrationInfo;
    } catch {
      return { ok: false, reason: 'attestation' };
    }

    const now = this.d.clock();
    const row: PasskeyRow = {
      id: randomUUID(),
      user_number: user.number,
      credential_id: info.credential.id,
      public_key: isoBase64URL.fromBuffer(info.credential.publicKey),
      sign_count: info.credential.counter,
      transports: JSON.stringify(parsed.transports),
      backed_up: info.credentialBackedUp ? 1 : 0,
      device_type: info.credentialDeviceType === 'multiDevice' ? 'multi_device' : 'single_device',
      aaguid: info.aaguid,
      name: named.name,
      created: now,
      last_used: null,
      disabled_at: null,
    };
    const passkey = toPasskeyObject(row);
    const stored = await this.store(row, async (trx) => {
      await this.d.audit.record({
        event: 'passkey.add',
        meta: input.meta,
        actor: person(user),
        user: person(user),
        details: { id: row.id, name: row.name, device_type: passkey.device_type, backed_up: passkey.backed_up, aaguid: row.aaguid },
      }, trx);
      await this.d.outbox.record(trx, { type: 'passkey.added', user });
      await input.within?.(trx);
    });
    if (stored !== 'stored') return { ok: false, reason: stored };
    this.d.mail.added(user, row.name);
    return { ok: true, passkey };
  }

  /** Under the user's lock: the limit, then the unique credential id; `after` commits with the row. */
  private async store(row: PasskeyRow, after: Within): Promise<'stored' | 'limit' | 'already_registered'> {
    const { db, clock } = this.d;
    await ensureHandle(db, row.user_number, clock());
    try {
      return await db.transaction().execute(async (trx) => {
        await lockPasskeysOf(trx, row.user_number);
        if ((await countPasskeys(trx, row.user_number)) >= MAX_PASSKEYS_PER_USER) return 'limit' as const;
        await trx.insertInto('passkeys').values(row).execute();
        await after(trx);
        return 'stored' as const;
      });
    } catch (err) {
      if (uniqueViolation(err) !== null) return 'already_registered';
      throw err;
    }
  }
}

function offeredAlgorithm(publicKey: Uint8Array): boolean {
  try {
    const alg = decodeCredentialPublicKey(publicKey as any).get(cose.COSEKEYS.alg);
    return typeof alg === 'number' && (PASSKEY_ALGORITHMS as readonly number[]).includes(alg);
  } catch {
    return false;
  }
}
