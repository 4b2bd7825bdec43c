// Decoding an access token in the stages, and with the reasons, of the original
// (flask-jwt-extended on PyJWT), because the reason is the 422 body (user-account.md §2.4):
//   1. split: "Not enough segments"
//   2. header: "Invalid header padding", "Invalid header string: <detail>"
//   3. payload and signature bytes: "Invalid payload padding", "Invalid crypto padding"
//   4. payload JSON, read before any check of the signature: "Invalid payload string: <detail>"
//   5. algorithm, then signature: "The specified alg value is not allowed", "Signature verification failed"
//   6. claims: iat, nbf ("The token is not yet valid (nbf)"), then exp.
// An expired token is reported as `expired` and not as a failure, because the caller still
// runs the checks that the original ran after re-decoding it with expiry ignored (missing
// claims, CSRF), and those win over "Token has expired".
import { createHmac, timingSafeEqual } from 'node:crypto';
import { base64urlDecode } from './py-base64.js';
import { pyJsonLoads } from './py-json.js';

export type Claims = Record<string, unknown>;
export type DecodeResult = { ok: true; claims: Claims; expired: boolean } | { ok: false; reason: string };

const DOT = 0x2e;

function fail(reason: string): DecodeResult {
  return { ok: false, reason };
}

/** `token` as PyJWT sees it: the str encoded as UTF-8. `nowSec` may have a fraction. */
export function decodeAccessToken(token: Buffer, key: Buffer, nowSec: number): DecodeResult {
  const lastDot = token.lastIndexOf(DOT);
  const firstDot = lastDot < 0 ? -1 : token.subarray(0, lastDot).indexOf(DOT);
  if (firstDot < 0) return fail('Not enough segments');
  const signingInput = token.subarray(0, lastDot);

  const headerBytes = base64urlDecode(token.subarray(0, firstDot));
  if (!headerBytes) return fail('Invalid header padding');
  const header = jsonObject(headerBytes, 'header');
  if (typeof header === 'string') return fail(header);
  const payloadBytes = base64urlDecode(token.subarray(firstDot + 1, lastDot));
  if (!payloadBytes) return fail('Invalid payload padding');
  const signature = base64urlDecode(token.subarray(lastDot + 1));
  if (!signature) return fail('Invalid crypto padding');
  const claims = jsonObject(payloadBytes, 'payload');
  if (typeof claims === 'string') return fail(claims);

  if (header.alg !== 'HS256') return fail('The specified alg value is not allowed');
  if (!signatureMatches(signingInput, signature, key)) return fail('Signature verification failed');
  return checkTimes(claims, nowSec);
}

/** The parsed object, or the failure text ("Invalid header string: …"). */
function jsonObject(bytes: Buffer, part: 'header' | 'payload'): Claims | string {
  const r = pyJsonLoads(bytes);
  if (!r.ok) return `Invalid ${part} string: ${r.detail}`;
  if (typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) return `Invalid ${part} string: must be a json object`;
  return r.value as Claims;
}

function hs256(data: Uint8Array, key: Buffer): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function signatureMatches(signingInput: Buffer, signature: Buffer, key: Buffer): boolean {
  const expected = hs256(signingInput, key);
  return signature.length === expected.length && timingSafeEqual(signature, expected);
}

/** PyJWT's _validate_iat, _validate_nbf and _validate_exp, in that order, without leeway. */
function checkTimes(claims: Claims, nowSec: number): DecodeResult {
  if ('iat' in claims && pyInt(claims.iat) === null) return fail('Issued At claim (iat) must be an integer.');
  if ('nbf' in claims) {
    const nbf = pyInt(claims.nbf);
    if (nbf === null) return fail('Not Before claim (nbf) must be an integer.');
    if (nbf > nowSec) return fail('The token is not yet valid (nbf)');
  }
  let expired = false;
  if ('exp' in claims) {
    const exp = pyInt(claims.exp);
    if (exp === null) return fail('Expiration Time claim (exp) must be an integer.');
    expired = exp <= nowSec;
  }
  return { ok: true, claims, expired };
}

/**
 * Python's int() of a claim: numbers truncate, booleans are 0/1, decimal strings parse.
 * Everything else is "not an integer" (Python raised TypeError or OverflowError there, a 500).
 */
export function pyInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const m = /^\s*([+-]?\d+(?:_\d+)*)\s*$/.exec(v);
    return m ? Number(m[1].replace(/_/g, '')) : null;
  }
  return null;
}
