// The checks both ceremonies make on what the client signed or reported, each with its own
// reason, made before the WebAuthn library's full verification so that a refusal can say which
// rule failed (the library repeats them; it only ever adds the cryptographic verdict).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientData } from './credential-json.js';
import type { RelyingParty } from './relying-party.js';

export type ClientDataProblem = 'type' | 'challenge' | 'origin';

/**
 * `expectedChallenge` null: the caller has already matched the challenge (registration looks
 * the challenge up by the value in the client data).
 */
export function checkClientData(cd: ClientData, expectedType: 'webauthn.create' | 'webauthn.get', expectedChallenge: string | null, rp: RelyingParty): ClientDataProblem | null {
  if (cd.type !== expectedType) return 'type';
  if (expectedChallenge !== null && cd.challenge !== expectedChallenge) return 'challenge';
  // A ceremony run inside another site's iframe is refused: Gatehouse is never embedded.
  if (!rp.origins.includes(cd.origin) || cd.crossOrigin) return 'origin';
  return null;
}

/** The authenticator data names our RP ID (its SHA-256 hash). */
export function rpIdMatches(rpIdHash: Uint8Array, rp: RelyingParty): boolean {
  const expected = createHash('sha256').update(rp.rpId, 'utf8').digest();
  return rpIdHash.length === expected.length && timingSafeEqual(Buffer.from(rpIdHash), expected);
}
