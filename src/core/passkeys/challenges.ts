// WebAuthn challenges (passkeys.md §2.1, §3.1): 32 random bytes, kept server-side for 5 minutes
// and good for one verification. Rows are keyed by a digest of what the client will present (the
// challenge itself for a registration, the `challenge_id` for a login), so the table never
// holds a login's bearer value. Taking a challenge is one DELETE … RETURNING: of any number of
// parallel attempts with the same challenge, exactly one gets the row.
import { randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import { sha256Hex } from '../secrets.js';
import { MICROS_PER_MINUTE } from '../time.js';

export const CHALLENGE_TTL_MICROS = 5 * MICROS_PER_MINUTE;

export type ChallengePurpose = 'register' | 'login';

export interface IssuedChallenge {
  /** base64url of 32 random bytes: goes into the options. */
  challenge: string;
  /** Login only: 43 base64url characters naming the challenge (never stored as such). */
  challengeId: string | null;
}

function keyOf(purpose: ChallengePurpose, handle: string): string {
  return sha256Hex(`${purpose}:${handle}`);
}

export class WebAuthnChallenges {
  constructor(private readonly db: Kysely<Database>, private readonly clock: () => number) {}

  /**
   * A fresh challenge. A registration challenge is bound to `userNumber`; a login challenge to
   * nobody (usernameless login), and is named by a separate random `challengeId`.
   * Expired rows are swept on the way, so the table holds at most 5 minutes of issues.
   */
  async issue(purpose: ChallengePurpose, userNumber: number | null): Promise<IssuedChallenge> {
    const now = this.clock();
    const challenge = randomBytes(32).toString('base64url');
    const challengeId = purpose === 'login' ? randomBytes(32).toString('base64url') : null;
    await this.db.deleteFrom('webauthn_challenges').where('expires', '<=', now).execute();
    await this.db
      .insertInto('webauthn_challenges')
      .values({
        id: keyOf(purpose, challengeId ?? challenge),
        purpose,
        user_number: purpose === 'register' ? userNumber : null,
        challenge,
        created: now,
        expires: now + CHALLENGE_TTL_MICROS,
      })
      .execute();
    return { challenge, challengeId };
  }

  /**
   * Spends the registration challenge `challenge` if it was issued to `userNumber`, is unused
   * and unexpired. Another user's challenge is left alone (nobody can burn it for them).
   */
  async takeRegistration(challenge: string, userNumber: number): Promise<boolean> {
    const row = await this.db
      .deleteFrom('webauthn_challenges')
      .where('id', '=', keyOf('register', challenge))
      .where('purpose', '=', 'register')
      .where('user_number', '=', userNumber)
      .where('expires', '>', this.clock())
      .returning('challenge')
      .executeTakeFirst();
    return row !== undefined && row.challenge === challenge;
  }

  /** Spends the login challenge named `challengeId`: its challenge, or null when unknown, spent or expired. */
  async takeLogin(challengeId: string): Promise<string | null> {
    const row = await this.db
      .deleteFrom('webauthn_challenges')
      .where('id', '=', keyOf('login', challengeId))
      .where('purpose', '=', 'login')
      .where('expires', '>', this.clock())
      .returning('challenge')
      .executeTakeFirst();
    return row?.challenge ?? null;
  }

  /** Forgets the user's pending registrations (their passkeys were reset). */
  async dropRegistrationsOf(userNumber: number, db: Kysely<Database> | Transaction<Database> = this.db): Promise<void> {
    await db.deleteFrom('webauthn_challenges').where('user_number', '=', userNumber).execute();
  }
}
