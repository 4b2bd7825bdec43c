// Reading what a browser sends back (`credential.toJSON()`, W3C WebAuthn L3 §5.1): the shape is
// checked here, the bytes are decoded with the WebAuthn library's own helpers, and a clean copy
// holding only the known fields is what goes on to verification. Anything that does not decode
// is "malformed"; judging what decodes is the verifiers' business.
import type { AuthenticationResponseJSON, AuthenticatorTransportFuture, RegistrationResponseJSON } from '@simplewebauthn/server';
import { decodeAttestationObject, decodeClientDataJSON, isoBase64URL, parseAuthenticatorData } from '@simplewebauthn/server/helpers';

type ParsedAuthenticatorData = ReturnType<typeof parseAuthenticatorData>;

export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin: boolean;
}

export interface ParsedRegistration {
  json: RegistrationResponseJSON;
  clientData: ClientData;
  authData: ParsedAuthenticatorData;
  transports: AuthenticatorTransportFuture[];
}

export interface ParsedAssertion {
  json: AuthenticationResponseJSON;
  clientData: ClientData;
  authData: ParsedAuthenticatorData;
  /** base64url without padding, or null when the authenticator sent none. */
  userHandle: string | null;
}

const TRANSPORTS: readonly AuthenticatorTransportFuture[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];

// Credential ids are at most 1023 bytes (L3 §4); the other caps only bound the decoding work.
const MAX_ID = 1366;
const MAX_CLIENT_DATA = 16 * 1024;
const MAX_AUTHENTICATOR_DATA = 64 * 1024;
const MAX_ATTESTATION_OBJECT = 256 * 1024;
const MAX_SIGNATURE = 2048;
const MAX_USER_HANDLE = 88; // 64 bytes

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** base64url without padding, or null when `v` is not a non-empty base64url string within `max`. */
function b64u(v: unknown, max: number): string | null {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || !BASE64URL.test(v)) return null;
  const bare = v.replace(/=+$/, '');
  return bare.length % 4 === 1 ? null : bare; // no whole byte fits in one leftover character
}

function readClientData(encoded: string): ClientData | null {
  let cd: unknown;
  try {
    cd = decodeClientDataJSON(encoded);
  } catch {
    return null;
  }
  if (!isRecord(cd)) return null;
  // Client data that decodes is judged, not "malformed": a missing or odd type, challenge or
  // origin is a wrong one (passkeys.md: the login's one 401, the registration's "Passkey error").
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { type: text(cd.type), challenge: text(cd.challenge), origin: text(cd.origin), crossOrigin: cd.crossOrigin === true };
}

function readAuthData(bytes: Uint8Array): ParsedAuthenticatorData | null {
  try {
    return parseAuthenticatorData(bytes as any);
  } catch {
    return null;
  }
}

/** The common frame: `id` equal to `rawId`, `type` "public-key", a `response` object. */
function readFrame(input: unknown): { id: string; response: Record<string, unknown>; attachment: unknown } | null {
  if (!isRecord(input) || input.type !== 'public-key' || !isRecord(input.response)) return null;
  const id = b64u(input.id, MAX_ID);
  if (id === null || b64u(input.rawId, MAX_ID) !== id) return null;
  return { id, response: input.response, attachment: input.authenticatorAttachment };
}

function attachmentOf(v: unknown): 'platform' | 'cross-platform' | undefined {
  return v === 'platform' || v === 'cross-platform' ? v : undefined;
}

/** A `RegistrationResponseJSON` that decodes, or null. */
export function parseRegistrationResponse(input: unknown): ParsedRegistration | null {
  const frame = readFrame(input);
  if (!frame) return null;
  const clientDataJSON = b64u(frame.response.clientDataJSON, MAX_CLIENT_DATA);
  const attestationObject = b64u(frame.response.attestationObject, MAX_ATTESTATION_OBJECT);
  if (clientDataJSON === null || attestationObject === null) return null;
  const clientData = readClientData(clientDataJSON);
  if (!clientData) return null;
  let authDataBytes: Uint8Array;
  try {
    const decoded = decodeAttestationObject(isoBase64URL.toBuffer(attestationObject));
    authDataBytes = decoded.get('authData');
    if (!(authDataBytes instanceof Uint8Array) || typeof decoded.get('fmt') !== 'string') return null;
  } catch {
    return null;
  }
  const authData = readAuthData(authDataBytes);
  // A registration carries the new credential; its id must be the one the client names.
  if (!authData || !authData.credentialID || !authData.credentialPublicKey) return null;
  if (isoBase64URL.fromBuffer(authData.credentialID as any) !== frame.id) return null;
  const rawTransports = Array.isArray(frame.response.transports) ? frame.response.transports : [];
  const transports = TRANSPORTS.filter((t) => rawTransports.includes(t));
  return {
    json: {
      id: frame.id,
      rawId: frame.id,
      type: 'public-key',
      response: { clientDataJSON, attestationObject, transports },
      authenticatorAttachment: attachmentOf(frame.attachment),
      clientExtensionResults: {},
    },
    clientData,
    authData,
    transports,
  };
}

/** An `AuthenticationResponseJSON` that decodes, or null. */
export function parseAuthenticationResponse(input: unknown): ParsedAssertion | null {
  const frame = readFrame(input);
  if (!frame) return null;
  const r = frame.response;
  const clientDataJSON = b64u(r.clientDataJSON, MAX_CLIENT_DATA);
  const authenticatorData = b64u(r.authenticatorData, MAX_AUTHENTICATOR_DATA);
  const signature = b64u(r.signature, MAX_SIGNATURE);
  if (clientDataJSON === null || authenticatorData === null || signature === null) return null;
  let userHandle: string | null = null;
  if (r.userHandle !== undefined && r.userHandle !== null && r.userHandle !== '') {
    userHandle = b64u(r.userHandle, MAX_USER_HANDLE);
    if (userHandle === null) return null;
  }
  const clientData = readClientData(clientDataJSON);
  if (!clientData) return null;
  const authData = readAuthData(isoBase64URL.toBuffer(authenticatorData));
  if (!authData) return null;
  return {
    json: {
      id: frame.id,
      rawId: frame.id,
      type: 'public-key',
      response: { clientDataJSON, authenticatorData, signature, ...(userHandle === null ? {} : { userHandle }) },
      authenticatorAttachment: attachmentOf(frame.attachment),
      clientExtensionResults: {},
    },
    clientData,
    authData,
    userHandle,
  };
}
