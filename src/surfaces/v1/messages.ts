// Every fixed answer of the v1 surface, created once (v1.md §1.3–§5). Errors are bare JSON
// strings, or an array of them when a validation finds two or more; a few keep the object
// shapes DRF and simplejwt sent.
import type { GenericReply } from '../../http/surface.js';

export const TEXT = {
  notFound: 'Not found.',
  tooLarge: 'Request body too large.',
  internal: 'Internal server error.',
  unavailable: 'Service temporarily unavailable.',
  noCredentials: 'Authentication credentials were not provided.',
  invalidToken: 'Invalid token.',
  badCredentials: 'No active account found with the given credentials.',
  lockedOut: 'Locked out due to too many login failures.',
  loggedOut: 'User logged out successfully.',
  batchLogout: 'Batch logout successful.',
  helloWorld: 'Hello world.',
  invalidOrExpired: 'Token is invalid or expired',
  blacklisted: 'Token is blacklisted',
  userNotFound: 'User not found',
  badUuid: 'Badly formed hexadecimal uuid string',
  profileMissing: 'Profile does not exist.',
  notOwner: "You are not allowed to operate on another user's profile.",
  badLimit: 'Limit error. Ensure this value is an integer between 1 and 1000.',
  badCursor: 'Before error. Invalid cursor.',
  incorrectPassword: 'Password error. Incorrect password.',
  incorrectOldPassword: 'Old_Password error. Incorrect password.',
  passwordChanged: 'Password changed successfully.',
  resetSent: 'If an account with that email exists, a password reset link has been sent.',
  resetDone: 'Password reset successful.',
  resetTokenInvalid: 'Token error. Invalid or expired token.',
  noEmail: 'Email error. This account has no email address.',
  alreadyVerified: 'Email already verified.',
  verificationSent: 'Verification email sent.',
  emailVerified: 'Email verified.',
  verifyTokenInvalid: 'Invalid or expired token.',
  sessionMissing: 'Session does not exist.',
  avatarRequired: 'Avatar field is required.',
  avatarNotFile: 'Avatar error. The submitted data was not a file. Check the encoding type on the form.',
  avatarEmpty: 'The submitted file is empty.',
  avatarTooBig: 'File size exceeds the limit 5 MB.',
  avatarInvalid: 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.',
  avatarTooManyPixels: 'Image dimensions exceed the limit of 40 megapixels.',
} as const;

export const USER_INACTIVE = { detail: 'User is inactive', code: 'user_inactive' } as const;

/** WWW-Authenticate values (v1.md §1.5): `Token` everywhere but the two JWT routes. */
export type Challenge = 'Token' | 'Bearer realm="api"';

export function json(status: number, body: unknown, headers?: Record<string, string>): GenericReply {
  return headers ? { status, body, headers } : { status, body };
}

/** 400 with one message as a bare string, or several as an array (v1.md §1.3). */
export function invalid(messages: readonly string[]): GenericReply {
  return { status: 400, body: messages.length === 1 ? messages[0] : messages };
}

export function unauthorized(body: unknown, challenge: Challenge): GenericReply {
  return { status: 401, body, headers: { 'WWW-Authenticate': challenge } };
}

export function throttled(retryAfterSec: number, message: string): GenericReply {
  return { status: 429, body: message, headers: { 'Retry-After': String(retryAfterSec) } };
}

export const NO_CONTENT: GenericReply = { status: 204 };
export const NOT_FOUND: GenericReply = { status: 404, body: TEXT.notFound };
export const TOO_LARGE: GenericReply = { status: 413, body: TEXT.tooLarge };
export const INTERNAL: GenericReply = { status: 500, body: TEXT.internal };
/** v1.md §0.13: the database or Redis is down; the client may retry shortly. */
export const UNAVAILABLE: GenericReply = { status: 503, body: TEXT.unavailable, headers: { 'Retry-After': '5' } };
/** The denylist answer (§1.6) carries no WWW-Authenticate. */
export const DENYLISTED: GenericReply = { status: 401, body: TEXT.invalidToken };
export const LOCKED: GenericReply = { status: 403, body: TEXT.lockedOut };
export const BAD_UUID: GenericReply = { status: 400, body: TEXT.badUuid };

/** Responses carrying a credential or a reset form are never stored (v1.md §0.13). */
export const NO_STORE = { 'Cache-Control': 'no-store' } as const;
