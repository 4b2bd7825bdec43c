// The one server-side browser session behind the `sessionid` cookie (v1.md §0.4), shared by
// v1 (refresh slot), `users` and the admin UI (login slot). Only a digest of the cookie value
// is stored, so a leaked database does not hand out live sessions.
//
// The admin UI's second login step (mfa.md §4) waits in the session too: the `mfa_token` of
// the step, for 5 minutes. It is stored sealed with a key derived from the cookie value itself,
// of which the store keeps only the digest, so a copy of the store holds no usable token.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { SecretKeys, sha256Hex } from './secrets.js';
import { MICROS_PER_MINUTE, MICROS_PER_SECOND, nowMicros } from './time.js';

export const LOGIN_SLOT_MICROS = 2 * 3600 * MICROS_PER_SECOND;
export const REFRESH_SLOT_MICROS = 14 * 86400 * MICROS_PER_SECOND;
/** The admin's pending second step lives as long as its `mfa_token` (mfa.md §3.1, §4). */
export const MFA_STEP_MICROS = 5 * MICROS_PER_MINUTE;

export interface SessionSlots {
  loginUser: number | null;
  loginExpires: number | null;
  refreshJti: string | null;
  refreshExpires: number | null;
  /** The admin login's pending second step: its `mfa_token` (in clear here; sealed in the store). */
  mfaToken?: string | null;
  mfaExpires?: number | null;
}

const STEP_SEAL_INFO = 'gatehouse/session/mfa-step';

/** The pending step's token as the store keeps it: sealed under the session's own key. */
export function sealStep(sessionKey: string, token: string): string {
  return new SecretKeys(sessionKey).seal(STEP_SEAL_INFO, token);
}

/** null when it was sealed under another session's key or tampered with. */
export function unsealStep(sessionKey: string, sealed: string): string | null {
  return new SecretKeys(sessionKey).unseal(STEP_SEAL_INFO, sealed);
}

export interface Session extends SessionSlots {
  /** The cookie value. */
  key: string;
}

export const EMPTY_SLOTS: SessionSlots = { loginUser: null, loginExpires: null, refreshJti: null, refreshExpires: null, mfaToken: null, mfaExpires: null };

/** Drops the slots that have run out. */
export function liveSlots(s: SessionSlots, now = nowMicros()): SessionSlots {
  const login = s.loginUser !== null && s.loginExpires !== null && s.loginExpires > now;
  const refresh = s.refreshJti !== null && s.refreshExpires !== null && s.refreshExpires > now;
  const step = hasStep(s) && s.mfaExpires! > now;
  return {
    loginUser: login ? s.loginUser : null,
    loginExpires: login ? s.loginExpires : null,
    refreshJti: refresh ? s.refreshJti : null,
    refreshExpires: refresh ? s.refreshExpires : null,
    mfaToken: step ? s.mfaToken : null,
    mfaExpires: step ? s.mfaExpires : null,
  };
}

function hasStep(s: SessionSlots): boolean {
  return s.mfaToken != null && s.mfaExpires != null;
}

export function hasSlots(s: SessionSlots): boolean {
  return s.loginUser !== null || s.refreshJti !== null || hasStep(s);
}

/** The end of the longest-lived slot (µs). */
export function sessionEnd(s: SessionSlots): number {
  return Math.max(s.loginExpires ?? 0, s.refreshExpires ?? 0, hasStep(s) ? s.mfaExpires! : 0);
}

/** Seconds until the longest-lived slot ends; the cookie's Max-Age. */
export function remainingSeconds(s: SessionSlots, now = nowMicros()): number {
  const end = sessionEnd(s);
  // Rounded: a slot set a few microseconds ago still has its full 7200 s.
  return Math.max(0, Math.round((end - now) / MICROS_PER_SECOND));
}

/** Where sessions live: the database, or Redis when REDIS_URL is set (v1.md §0.4). */
export interface SessionStore {
  newKey(): string;
  /** The live session for a cookie value, or null (unknown, expired, or no slot left). */
  load(key: string | undefined): Promise<Session | null>;
  /** Writes the slots under `key` (created when new); with no slot left the session is deleted. */
  save(key: string, slots: SessionSlots): Promise<void>;
  destroy(key: string): Promise<void>;
  /** A new key for the same slots (login changes the session id against fixation). */
  rotate(oldKey: string | null, slots: SessionSlots): Promise<string>;
  /** Revocation and deletion: every login slot that points at the user ends. */
  endLoginSlotsOf(userNumber: number): Promise<void>;
  /** Housekeeping: drop sessions whose every slot has expired. */
  sweep(): Promise<number>;
}

/** 32 random bytes: well above the 128 bits the spec asks for. */
export function newSessionKey(): string {
  return randomBytes(32).toString('base64url');
}

/** What every store does the same way: keys, and a new key for the same slots at login. */
export abstract class SessionStoreBase implements SessionStore {
  abstract load(key: string | undefined): Promise<Session | null>;
  abstract save(key: string, slots: SessionSlots): Promise<void>;
  abstract destroy(key: string): Promise<void>;
  abstract endLoginSlotsOf(userNumber: number): Promise<void>;
  abstract sweep(): Promise<number>;

  newKey(): string {
    return newSessionKey();
  }

  /** The new session is saved before the old one goes, so a crash between them loses nothing. */
  async rotate(oldKey: string | null, slots: SessionSlots): Promise<string> {
    const key = this.newKey();
    await this.save(key, slots);
    if (oldKey) await this.destroy(oldKey);
    return key;
  }
}

export class BrowserSessions extends SessionStoreBase {
  constructor(private readonly db: Kysely<Database>) {
    super();
  }

  async load(key: string | undefined): Promise<Session | null> {
    if (!key || key.length > 200) return null;
    const digest = sha256Hex(key);
    const row = await this.db.selectFrom('browser_sessions').selectAll().where('key_digest', '=', digest).executeTakeFirst();
    if (!row) return null;
    const slots = liveSlots({
      loginUser: row.login_user, loginExpires: row.login_expires, refreshJti: row.refresh_jti, refreshExpires: row.refresh_expires,
      mfaToken: row.mfa_step === null ? null : unsealStep(key, row.mfa_step), mfaExpires: row.mfa_expires,
    });
    if (!hasSlots(slots)) {
      await this.db.deleteFrom('browser_sessions').where('key_digest', '=', digest).execute();
      return null;
    }
    return { key, ...slots };
  }

  async save(key: string, slots: SessionSlots): Promise<void> {
    const digest = sha256Hex(key);
    if (!hasSlots(slots)) {
      await this.db.deleteFrom('browser_sessions').where('key_digest', '=', digest).execute();
      return;
    }
    const values = {
      login_user: slots.loginUser,
      login_expires: slots.loginExpires,
      refresh_jti: slots.refreshJti,
      refresh_expires: slots.refreshExpires,
      mfa_step: hasStep(slots) ? sealStep(key, slots.mfaToken!) : null,
      mfa_expires: hasStep(slots) ? slots.mfaExpires! : null,
      expires: sessionEnd(slots),
    };
    await this.db
      .insertInto('browser_sessions')
      .values({ key_digest: digest, created: nowMicros(), ...values })
      .onConflict((oc) => oc.column('key_digest').doUpdateSet(values))
      .execute();
  }

  async destroy(key: string): Promise<void> {
    await this.db.deleteFrom('browser_sessions').where('key_digest', '=', sha256Hex(key)).execute();
  }

  async endLoginSlotsOf(userNumber: number): Promise<void> {
    await this.db.updateTable('browser_sessions').set({ login_user: null, login_expires: null }).where('login_user', '=', userNumber).execute();
    await this.db.deleteFrom('browser_sessions').where('login_user', 'is', null).where('refresh_jti', 'is', null).where('mfa_step', 'is', null).execute();
  }

  async sweep(): Promise<number> {
    const r = await this.db.deleteFrom('browser_sessions').where('expires', '<=', nowMicros()).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
