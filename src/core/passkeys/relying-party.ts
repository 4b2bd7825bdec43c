// Who we are to an authenticator (passkeys.md §1): the RP ID that credentials are scoped to, the
// origins whose client data we accept, and the name authenticators show. Configured values win;
// otherwise PUBLIC_URL decides; only when neither is set does the request's own origin (which the
// route layer passes in, built from its scheme and Host) decide, for development.
import type { Config } from '../../config.js';

export interface RelyingParty {
  /** The RP ID: a domain; credentials are bound to it (its SHA-256 is in every authenticator response). */
  rpId: string;
  rpName: string;
  /** Exact origins (`scheme://host[:port]`) allowed in `clientDataJSON.origin`. */
  origins: string[];
}

export type RelyingPartySettings = Pick<Config, 'webauthnRpId' | 'webauthnOrigins' | 'webauthnRpName' | 'publicUrl'>;

export type RelyingPartyResult = { ok: true; rp: RelyingParty } | { ok: false; reason: 'no_origin' };

/** `scheme://host[:port]` of an http(s) URL, or null for anything else. */
function originOf(text: string | null | undefined): URL | null {
  if (!text) return null;
  try {
    const u = new URL(text);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : null;
  } catch {
    return null;
  }
}

/**
 * Pure: the same inputs always give the same RP. `requestOrigin` is used only for what the
 * settings leave open; when it is needed and is not an http(s) origin, there is no RP
 * (`no_origin`), which the route answers as a refused origin.
 */
export function resolveRelyingParty(settings: RelyingPartySettings, requestOrigin: string | null): RelyingPartyResult {
  const publicUrl = originOf(settings.publicUrl);
  const request = originOf(requestOrigin);
  const rpId = settings.webauthnRpId ?? publicUrl?.hostname ?? request?.hostname ?? null;
  const origins = settings.webauthnOrigins.length > 0
    ? [...settings.webauthnOrigins]
    : publicUrl
      ? [publicUrl.origin]
      : request
        ? [request.origin]
        : [];
  if (rpId === null || origins.length === 0) return { ok: false, reason: 'no_origin' };
  return { ok: true, rp: { rpId, rpName: settings.webauthnRpName, origins } };
}
