// Server-side records of a provider sign-in: the authorization request in flight (state,
// nonce, PKCE verifier, where to return, the cookie it is bound to) and the one-time login
// code handed to the browser afterwards. Only digests of the state, the cookie value and the
// code are stored; the nonce and verifier are sealed with a key derived from SECRET_KEY, so a
// copy of the database cannot finish someone's sign-in. Each record is taken by one DELETE …
// RETURNING, so of two concurrent uses exactly one gets it.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { SecretKeys } from '../secrets.js';
import { sha256Hex } from '../secrets.js';
import { MICROS_PER_SECOND, nowMicros } from '../time.js';

export type LoginKind = 'knox' | 'jwt';

/** An authorization request lives 10 minutes (social.md §2.2). */
export const STATE_TTL_MICROS = 600 * MICROS_PER_SECOND;
/** A login code lives 60 seconds (§2.4). */
export const LOGIN_CODE_TTL_MICROS = 60 * MICROS_PER_SECOND;

const SEAL_INFO = 'gatehouse/oauth-state';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** 32 random bytes, base64url: the shape of state, the cookie value and the login code. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Cheap refusal of anything that cannot be one of ours, before any database work. */
export function isTokenShaped(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SHAPE.test(value);
}

export interface NewFlow {
  state: string;
  cookie: string;
  provider: string;
  nonce: string;
  verifier: string;
  next: string;
  kind: LoginKind | null;
  linkUser: number | null;
  redirectUri: string;
}

export interface PendingFlow {
  provider: string;
  nonce: string;
  verifier: string;
  next: string;
  kind: LoginKind | null;
  linkUser: number | null;
  redirectUri: string;
}

export interface IssuedCode {
  userNumber: number;
  provider: string;
  kind: LoginKind;
}

interface Sealed {
  s: string; // digest of the state it belongs to: a sealed blob moved to another row is refused
  n: string;
  v: string;
}

export class OAuthFlows {
  constructor(private readonly db: Kysely<Database>, private readonly secrets: SecretKeys) {}

  async save(flow: NewFlow): Promise<void> {
    const now = nowMicros();
    const stateDigest = sha256Hex(flow.state);
    const sealed: Sealed = { s: stateDigest, n: flow.nonce, v: flow.verifier };
    await this.db
      .insertInto('oauth_states')
      .values({
        state_digest: stateDigest,
        provider: flow.provider,
        binding_digest: sha256Hex(flow.cookie),
        sealed: this.secrets.seal(SEAL_INFO, JSON.stringify(sealed)),
        next: flow.next,
        kind: flow.kind,
        link_user: flow.linkUser,
        redirect_uri: flow.redirectUri,
        created: now,
        expires: now + STATE_TTL_MICROS,
      })
      .execute();
  }

  /**
   * Takes the request named by `state`, once: only for the provider it was made for, only with
   * the cookie it was bound to, only before it expires. A state presented without its cookie
   * (or to another provider) is left alone, so someone who merely saw it cannot spend it.
   */
  async take(state: unknown, provider: string, cookie: unknown): Promise<PendingFlow | null> {
    if (!isTokenShaped(state) || !isTokenShaped(cookie)) return null;
    const stateDigest = sha256Hex(state);
    const row = await this.db
      .deleteFrom('oauth_states')
      .where('state_digest', '=', stateDigest)
      .where('provider', '=', provider)
      .where('binding_digest', '=', sha256Hex(cookie))
      .where('expires', '>', nowMicros())
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    const opened = this.secrets.unseal(SEAL_INFO, row.sealed);
    if (opened === null) return null;
    const sealed = JSON.parse(opened) as Sealed;
    if (sealed.s !== stateDigest) return null;
    return {
      provider: row.provider,
      nonce: sealed.n,
      verifier: sealed.v,
      next: row.next,
      kind: row.kind === 'jwt' ? 'jwt' : row.kind === 'knox' ? 'knox' : null,
      linkUser: row.link_user,
      redirectUri: row.redirect_uri,
    };
  }

  /** A new one-time login code for the user (43 characters); only its digest is kept. */
  async issueCode(userNumber: number, provider: string, kind: LoginKind): Promise<string> {
    const code = randomToken();
    const now = nowMicros();
    await this.db
      .insertInto('oauth_login_codes')
      .values({ code_digest: sha256Hex(code), user_number: userNumber, provider, kind, created: now, expires: now + LOGIN_CODE_TTL_MICROS })
      .execute();
    return code;
  }

  /** Spends a login code: null when it is unknown, expired or already spent. */
  async takeCode(code: unknown): Promise<IssuedCode | null> {
    if (!isTokenShaped(code)) return null;
    const row = await this.db
      .deleteFrom('oauth_login_codes')
      .where('code_digest', '=', sha256Hex(code))
      .where('expires', '>', nowMicros())
      .returning(['user_number', 'provider', 'kind'])
      .executeTakeFirst();
    if (!row) return null;
    return { userNumber: row.user_number, provider: row.provider, kind: row.kind === 'jwt' ? 'jwt' : 'knox' };
  }

  /** Drops requests and codes past their expiry (they are refused anyway; this keeps tables small). */
  async sweep(): Promise<void> {
    const now = nowMicros();
    await this.db.deleteFrom('oauth_states').where('expires', '<=', now).execute();
    await this.db.deleteFrom('oauth_login_codes').where('expires', '<=', now).execute();
  }
}
