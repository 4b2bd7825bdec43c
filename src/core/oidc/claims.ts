// What Gatehouse takes from a provider about the person (social.md §3): `sub`, and `email`,
// `email_verified`, `name` from the ID token, completed from userinfo where the ID token lacks
// them. Values the service could not store as a user's own are dropped, never trimmed into
// something else: an address must pass the same check as a registration.
import type { IDToken, UserInfoResponse } from 'openid-client';
import { isValidEmail, normalizeEmailDomain } from '../validators.js';

export interface ProviderClaims {
  sub: string;
  /** A well-formed address, domain lower-cased as registrations store it; null when none. */
  email: string | null;
  emailVerified: boolean;
  /** Display name for full_name ('' when none). */
  name: string;
}

/** The longest address v1 registration accepts. */
const EMAIL_MAX_LENGTH = 200;
/** The longest full_name any surface accepts. */
const NAME_MAX_LENGTH = 250;
/** OpenID Connect Core §2: `sub` is at most 255 ASCII characters. */
const SUB_MAX_LENGTH = 255;

/** True when the ID token leaves a claim of interest for userinfo to supply. */
export function needsUserinfo(idToken: IDToken): boolean {
  return idToken.email === undefined || idToken.email_verified === undefined || idToken.name === undefined;
}

/**
 * Merges the two sources; the ID token wins. `email_verified` from userinfo is taken only when
 * it speaks of the same address as the one used, so a verified flag can never be carried over
 * to a different address.
 */
export function readClaims(idToken: IDToken, userinfo: UserInfoResponse | null): ProviderClaims | null {
  const sub = idToken.sub;
  if (typeof sub !== 'string' || sub === '' || sub.length > SUB_MAX_LENGTH) return null;
  const fromIdToken = idToken.email !== undefined;
  const rawEmail = fromIdToken ? idToken.email : userinfo?.email;
  let rawVerified = idToken.email_verified;
  if (rawVerified === undefined && userinfo && (!fromIdToken || userinfo.email === idToken.email)) rawVerified = userinfo.email_verified;
  const rawName = idToken.name !== undefined ? idToken.name : userinfo?.name;

  const email = typeof rawEmail === 'string' && rawEmail.length <= EMAIL_MAX_LENGTH && isValidEmail(rawEmail) ? normalizeEmailDomain(rawEmail) : null;
  // Some providers send the flag as a string; anything but an explicit true is "not verified".
  const emailVerified = email !== null && (rawVerified === true || rawVerified === 'true');
  const name = typeof rawName === 'string' ? [...rawName.trim()].slice(0, NAME_MAX_LENGTH).join('') : '';
  return { sub, email, emailVerified, name };
}
