// Logging in with a passkey (passkeys.md §3). Usernameless: the options name no credential, so
// they tell nothing about who exists. The verification spends the challenge first (so of two
// parallel uses of one assertion exactly one proceeds), checks each rule with its own reason
// (kept for the audit; the client gets one answer), has @simplewebauthn/server verify the
// signature, and only then moves the counter, in one conditional UPDATE: a counter that did
// not increase means a cloned authenticator, and the passkey is disabled.
//
// Account checks (locked, inactive), credentials, last_login and login.success belong to the
// login action that calls this: it gets the user back. A failed assertion never touches the
// lockout streak (v1.md §0.7).
import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Database } from '../../store/schema.js';
import { type Accounts, type User, person } from '../accounts.js';
import type { Audit, AuditPerson, RequestMeta } from '../audit.js';
import type { Lockout } from '../lockout.js';
import type { Metrics } from '../metrics.js';
import type { WebAuthnChallenges } from './challenges.js';
import { checkClientData, rpIdMatches } from './checks.js';
import { parseAuthenticationResponse } from './credential-json.js';
import type { PasskeyMetrics } from './metrics.js';
import { CEREMONY_TIMEOUT_MS } from './registration.js';
import type { RelyingParty } from './relying-party.js';
import { type PasskeyObject, type PasskeyRow, handleOf, toPasskeyObject } from './store.js';

export interface LoginOptions {
  /** 43 base64url characters; the client sends it back with the assertion. */
  challenge_id: string;
  options: PublicKeyCredentialRequestOptionsJSON;
}

export type AssertionFailure =
  | 'malformed' // not an AuthenticationResponseJSON that decodes
  | 'challenge' // unknown, expired or spent challenge_id, or client data naming another challenge
  | 'unknown_credential'
  | 'disabled' // the passkey was disabled after a suspected clone
  | 'user_handle' // missing, or not the owner's
  | 'type' // clientDataJSON.type is not webauthn.get
  | 'origin'
  | 'rp_id'
  | 'user_presence'
  | 'user_verification' // UV flag missing: a passkey login must verify the user
  | 'signature' // the signature does not verify with the stored key
  | 'clone'; // the counter did not increase; the passkey is now disabled

export type AssertionResult =
  | { ok: true; user: User; passkey: PasskeyObject }
  | { ok: false; reason: AssertionFailure };

/** `verify`, then the account checks of a login: a locked or inactive owner gets no credential. */
export type PasskeyLoginResult =
  | AssertionResult
  | { ok: false; reason: 'locked' | 'inactive'; user: User };

export interface AuthenticationDeps {
  db: Kysely<Database>;
  accounts: Pick<Accounts, 'byNumber'>;
  challenges: WebAuthnChallenges;
  audit: Audit;
  metrics: PasskeyMetrics;
  /** The app's login counter (`gatehouse_logins_total`), for the account refusals. */
  logins: Pick<Metrics['logins'], 'inc'>;
  lockout: Pick<Lockout, 'lockedUntil'>;
  clock: () => number;
}

export interface VerifyLoginInput {
  /** As received; anything but the 43-character id of a live challenge fails as `challenge`. */
  challengeId: unknown;
  /** The client's `credential.toJSON()`, as received. */
  credential: unknown;
  rp: RelyingParty;
  meta: RequestMeta;
}

const CHALLENGE_ID = /^[A-Za-z0-9_-]{43}$/;

/** What a failed check knows: the reason, and the passkey when one was found (for the audit). */
type Refusal = { reason: AssertionFailure; passkey?: PasskeyRow; owner?: AuditPerson };

export class PasskeyAuthentication {
  constructor(private readonly d: AuthenticationDeps) {}

  async options(rp: RelyingParty): Promise<LoginOptions> {
    const { challenge, challengeId } = await this.d.challenges.issue('login', null);
    return {
      challenge_id: challengeId!,
      options: { challenge, timeout: CEREMONY_TIMEOUT_MS, rpId: rp.rpId, allowCredentials: [], userVerification: 'required' },
    };
  }

  /**
   * POST login-passkey/ up to the credential: the assertion (`verify`), then the owner's account.
   * Locked (v1.md §0.7: every login of a locked account gets the locked answer; it does not
   * extend the lock) → `locked`, audit `login.locked`; inactive → `inactive`, audit
   * `login.failure`. Neither counts toward the streak: the passkey proved nothing about the
   * password. Only a valid assertion learns either, so they reveal nothing to anyone else.
   * On `ok` the caller settles the login (Login.recordSuccess) and issues the credential.
   */
  async login(input: VerifyLoginInput): Promise<PasskeyLoginResult> {
    const verified = await this.verify(input);
    if (!verified.ok) return verified;
    const { user, passkey } = verified;
    const surface = input.meta.surface;
    if (this.d.lockout.lockedUntil(user) !== null) {
      this.d.logins.inc({ surface, result: 'locked' });
      await this.d.audit.record({ event: 'login.locked', meta: input.meta, user: person(user), details: { method: 'passkey', authenticator: passkey.id } });
      return { ok: false, reason: 'locked', user };
    }
    if (user.is_active !== 1) {
      this.d.logins.inc({ surface, result: 'inactive' });
      await this.d.audit.record({ event: 'login.failure', meta: input.meta, user: person(user), details: { method: 'passkey', reason: 'inactive', authenticator: passkey.id } });
      return { ok: false, reason: 'inactive', user };
    }
    return verified;
  }

  /**
   * The user whose passkey signed, or the failure. Every failure is recorded as `login.failure`
   * (`method` passkey, `reason`); a suspected clone also as `passkey.clone_suspected`.
   */
  async verify(input: VerifyLoginInput): Promise<AssertionResult> {
    const outcome = await this.check(input);
    if ('user' in outcome) {
      this.d.metrics.assertions.inc({ result: 'verified' });
      return { ok: true, user: outcome.user, passkey: outcome.passkey };
    }
    this.d.metrics.assertions.inc({ result: outcome.reason });
    await this.d.audit.record({
      event: 'login.failure',
      meta: input.meta,
      user: outcome.owner ?? null,
      details: { method: 'passkey', reason: outcome.reason, ...(outcome.passkey ? { authenticator: outcome.passkey.id } : {}) },
    });
    return { ok: false, reason: outcome.reason };
  }

  private async check(input: VerifyLoginInput): Promise<Refusal | { user: User; passkey: PasskeyObject }> {
    const { d } = this;
    const parsed = parseAuthenticationResponse(input.credential);
    if (!parsed) return { reason: 'malformed' };
    if (typeof input.challengeId !== 'string' || !CHALLENGE_ID.test(input.challengeId)) return { reason: 'challenge' };
    const challenge = await d.challenges.takeLogin(input.challengeId);
    if (challenge === null) return { reason: 'challenge' };

    const passkey = await d.db.selectFrom('passkeys').selectAll().where('credential_id', '=', parsed.json.id).executeTakeFirst();
    if (!passkey) return { reason: 'unknown_credential' };
    const ownerUser = await d.accounts.byNumber(passkey.user_number);
    if (!ownerUser) return { reason: 'unknown_credential' }; // deleted meanwhile
    const refuse = (reason: AssertionFailure): Refusal => ({ reason, passkey, owner: person(ownerUser) });
    if (passkey.disabled_at !== null) return refuse('disabled');

    // Usernameless: the handle the authenticator stored must be the owner's (WebAuthn L3 §7.2 step 6).
    const handle = await handleOf(d.db, passkey.user_number);
    if (parsed.userHandle === null || handle === null || !sameBytes(parsed.userHandle, handle)) return refuse('user_handle');

    const problem = checkClientData(parsed.clientData, 'webauthn.get', challenge, input.rp);
    if (problem) return refuse(problem);
    if (!rpIdMatches(parsed.authData.rpIdHash, input.rp)) return refuse('rp_id');
    if (!parsed.authData.flags.up) return refuse('user_presence');
    if (!parsed.authData.flags.uv) return refuse('user_verification');

    let newCounter: number;
    let backedUp: boolean;
    try {
      const verdict = await verifyAuthenticationResponse({
        response: parsed.json,
        expectedChallenge: challenge,
        expectedOrigin: input.rp.origins,
        expectedRPID: input.rp.rpId,
        expectedType: 'webauthn.get',
        requireUserVerification: true,
        // The library compares counters before it checks the signature; the comparison is made
        // below, after a valid signature, so a forged response can never disable a passkey.
        credential: { id: passkey.credential_id, publicKey: isoBase64URL.toBuffer(passkey.public_key), counter: 0 },
      });
      if (!verdict.verified) return refuse('signature');
      newCounter = verdict.authenticationInfo.newCounter;
      backedUp = verdict.authenticationInfo.credentialBackedUp;
    } catch {
      return refuse('signature');
    }

    const now = d.clock();
    const moved = await d.db
      .updateTable('passkeys')
      .set({ sign_count: newCounter, last_used: now, backed_up: backedUp ? 1 : 0 })
      .where('id', '=', passkey.id)
      .where('disabled_at', 'is', null)
      // Either counter non-zero: it must increase. Both zero: the authenticator keeps none.
      .where((eb) => (newCounter > 0 ? eb('sign_count', '<', newCounter) : eb('sign_count', '=', 0)))
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) === 0) return this.suspectClone(passkey, ownerUser, newCounter, input.meta);

    const updated = { ...passkey, sign_count: newCounter, last_used: now, backed_up: backedUp ? 1 : 0 };
    return { user: ownerUser, passkey: toPasskeyObject(updated) };
  }

  /** The counter went backwards (or stood still): disable the passkey, once, and say so. */
  private async suspectClone(passkey: PasskeyRow, owner: User, received: number, meta: RequestMeta): Promise<Refusal> {
    const disabled = await this.d.db
      .updateTable('passkeys')
      .set({ disabled_at: this.d.clock() })
      .where('id', '=', passkey.id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (Number(disabled.numUpdatedRows) === 0) return { reason: 'disabled', passkey, owner: person(owner) };
    const current = await this.d.db.selectFrom('passkeys').select('sign_count').where('id', '=', passkey.id).executeTakeFirst();
    await this.d.audit.record({
      event: 'passkey.clone_suspected',
      meta,
      user: person(owner),
      details: { id: passkey.id, name: passkey.name, stored_counter: current?.sign_count ?? passkey.sign_count, received_counter: received },
    });
    return { reason: 'clone', passkey, owner: person(owner) };
  }
}

/** Two base64url strings (with or without padding) name the same bytes. */
function sameBytes(a: string, b: string): boolean {
  const x = Buffer.from(a, 'base64url');
  const y = Buffer.from(b, 'base64url');
  return x.length === y.length && timingSafeEqual(x, y);
}
