// RFC 6238 TOTP as authenticator apps know it (mfa.md §1): HMAC-SHA1, 6 digits, 30-second
// steps, a 20-byte secret shown as unpadded upper-case base32. The arithmetic is otplib's; this
// module only fixes the parameters, the window (the current step and one either side) and the
// replay floor, and builds what an app scans.
import { generateSecret, verify } from 'otplib';
import { renderSVG } from 'uqr';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
const SECRET_BYTES = 20;

/** A fresh secret: 20 random bytes, base32 (32 characters, A-Z and 2-7, no padding). */
export function newTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/** The RFC 6238 time step of a Unix time in seconds. */
export function timeStep(epochSeconds: number): number {
  return Math.floor(epochSeconds / TOTP_PERIOD_SECONDS);
}

/**
 * The step whose code `code` is, among the current step and its two neighbours, counting only
 * steps after `afterStep` (the highest step already accepted); null when none matches.
 * `code` must already be normalised (see classifyCode): anything but six digits never matches.
 */
export async function matchTotp(secret: string, code: string, epochSeconds: number, afterStep: number | null): Promise<number | null> {
  if (!/^\d{6}$/.test(code)) return null;
  // otplib refuses a floor beyond its window; such a floor leaves no step to accept anyway.
  if (afterStep !== null && afterStep >= timeStep(epochSeconds) + 1) return null;
  const result = await verify({
    secret,
    token: code,
    epoch: epochSeconds,
    period: TOTP_PERIOD_SECONDS,
    digits: TOTP_DIGITS,
    algorithm: 'sha1',
    // One period either way from now spans exactly the previous, current and next steps.
    epochTolerance: TOTP_PERIOD_SECONDS,
    afterTimeStep: afterStep ?? undefined,
  });
  // The functional API types TOTP and HOTP results as one union; a TOTP match carries its step.
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** What the user's app is told to show: their email, else username, else id (mfa.md §2.2). */
export function accountLabel(user: { email: string | null; username: string | null; id: string }): string {
  return user.email || user.username || user.id;
}

/**
 * `otpauth://totp/<issuer>:<label>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30`, issuer
 * and label percent-encoded (Key URI format). Built here rather than by otplib, which leaves
 * out the parameters that equal their defaults; the spec shows them all.
 */
export function otpauthUrl(issuer: string, label: string, secret: string): string {
  const i = encodeURIComponent(issuer);
  return `otpauth://totp/${i}:${encodeURIComponent(label)}?secret=${secret}&issuer=${i}&algorithm=SHA1&digits=${TOTP_DIGITS}&period=${TOTP_PERIOD_SECONDS}`;
}

/** The otpauth URL as a QR code, an SVG document (the admin UI has no JavaScript to draw one). */
export function qrSvg(url: string): string {
  return renderSVG(url, { ecc: 'M', border: 4 });
}
