// The one failure streak per account shared by every surface (v1.md §0.7). It lives on the
// user row: every instance sees it through the database, it survives restarts, and the admin
// can list and filter locked accounts. Each change is one atomic UPDATE, so concurrent
// failures can't lose a count or lock twice.
//
// Under concurrency (§0.7): an attempt takes a slot before its secret is checked (`reserve`).
// Slots are granted only while the confirmed failures of the streak plus the attempts still in
// flight stay below LOCKOUT_FAILURES, so however many guesses arrive at once, at most that many
// are checked before the lock; the others wait for those to settle and then see the lock, or,
// when one of them succeeded, a fresh streak. A right password that arrives after the lock was
// set never gets a slot. Slots are leased, so a process that dies mid-attempt frees them.
//
// The failure that starts a lock records `user.locked` (events.md §1) in the same transaction
// as the lock itself, when the lockout is given the outbox.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { precompiled } from '../store/db.js';
import type { User } from './accounts.js';
import type { Outbox } from './events/outbox.js';
import { MICROS_PER_MINUTE, MICROS_PER_SECOND, nowMicros } from './time.js';

export interface LockoutPolicy { failures: number; minutes: number }

/** A slot to check one attempt, or the lock that refused it. */
export type Reservation = { ok: true } | { ok: false; until: number };

/** How a checked attempt ended: a failure may be the one that locked the account. */
export type FailureOutcome =
  | { locked: false; streak: number }
  | { locked: true; lockedNow: boolean; until: number };

/** In-flight slots older than this are presumed lost with their process. */
const SLOT_LEASE_MICROS = 15 * MICROS_PER_SECOND;
/** How long an attempt waits for in-flight ones to settle before it is refused as locked. */
const MAX_WAIT_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What every successful login writes to the user's row (`loggedIn`), compiled once, on first
 * use, per Lockout and its `within` copies. Parameters: last_login, then the user's number.
 */
interface SuccessStatements {
  /** The streak and any lock cleared. */
  unreserved?: ReturnType<typeof precompiled>;
  /** The same, and the attempt's lockout slot given back. */
  reserved?: ReturnType<typeof precompiled>;
}

export class Lockout {
  constructor(
    private readonly db: Kysely<Database>,
    readonly policy: LockoutPolicy,
    private readonly outbox: Pick<Outbox, 'record'> | null = null,
    private readonly compiled: SuccessStatements = {},
  ) {}

  /** The same policy and outbox, working through `trx` (a caller's transaction). */
  within(trx: Kysely<Database>): Lockout {
    return new Lockout(trx, this.policy, this.outbox, this.compiled);
  }

  get enabled(): boolean {
    return this.policy.failures > 0;
  }

  private get windowMicros(): number {
    return this.policy.minutes * MICROS_PER_MINUTE;
  }

  /** Locked until (µs), or null when the account may try. */
  lockedUntil(user: Pick<User, 'locked_until'>, now = nowMicros()): number | null {
    if (!this.enabled) return null;
    return user.locked_until !== null && user.locked_until > now ? user.locked_until : null;
  }

  /** The streak as it stands now: a streak whose last failure is older than the window is forgotten. */
  currentStreak(user: Pick<User, 'failed_logins' | 'last_failure_at'>, now = nowMicros()): number {
    if (user.last_failure_at === null || user.last_failure_at <= now - this.windowMicros) return 0;
    return user.failed_logins;
  }

  /**
   * A slot to check one attempt. Waits (briefly) while the streak plus the attempts in flight
   * fill every remaining chance; refused when the account is, or becomes, locked.
   */
  async reserve(userNumber: number): Promise<Reservation> {
    if (!this.enabled) return { ok: true };
    const started = Date.now();
    for (let pause = 5; ; pause = Math.min(pause * 2, 80)) {
      const now = nowMicros();
      const granted = await this.db
        .updateTable('users')
        .set({ login_pending: sql<number>`(${this.pendingNow(now)}) + 1`, login_pending_until: now + SLOT_LEASE_MICROS })
        .where('number', '=', userNumber)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
        .where(sql<boolean>`(${this.streakNow(now)}) + (${this.pendingNow(now)}) < ${this.policy.failures}`)
        .returning('number')
        .executeTakeFirst();
      if (granted) return { ok: true };
      const row = await this.db.selectFrom('users').select('locked_until').where('number', '=', userNumber).executeTakeFirst();
      if (!row) return { ok: true }; // deleted meanwhile: the check itself will fail
      if (row.locked_until !== null && row.locked_until > nowMicros()) return { ok: false, until: row.locked_until };
      if (Date.now() - started > MAX_WAIT_MS) return { ok: false, until: nowMicros() + this.windowMicros };
      await sleep(pause + Math.random() * pause);
    }
  }

  /**
   * Settles a reserved attempt as a failure. The failure that brings the streak to the limit
   * locks the account until that failure plus the window; a locked account is left as it is.
   */
  async fail(userNumber: number): Promise<FailureOutcome> {
    return this.countFailure(userNumber, true);
  }

  /**
   * A login succeeded (a password, a passkey, a provider, a second step): `last_login`, the
   * streak and any lock cleared, and, when the attempt reserved a lockout slot, the slot given back.
   */
  async loggedIn(userNumber: number, at: number, reserved: boolean, db: Kysely<Database> = this.db): Promise<void> {
    const which = reserved ? 'reserved' : 'unreserved';
    this.compiled[which] ??= precompiled(reserved ? this.loginSuccess(db).set({ login_pending: this.pendingAfterRelease() }) : this.loginSuccess(db));
    await this.compiled[which](db, [at, 0, null, null, userNumber]);
  }

  /** Gives back a slot whose attempt was neither a failure nor a success (admin.md §2.3: a non-staff account). */
  async release(userNumber: number): Promise<void> {
    if (!this.enabled) return;
    await this.db.updateTable('users').set({ login_pending: this.pendingAfterRelease() }).where('number', '=', userNumber).execute();
  }

  /** Records one failure without a reserved slot (tests and tools; logins use reserve + fail). */
  async recordFailure(userNumber: number): Promise<FailureOutcome> {
    return this.countFailure(userNumber, false);
  }

  /** Admin unlock and completed resets clear the streak and any lock (a login: `loggedIn`). */
  async clear(userNumber: number): Promise<void> {
    await this.db
      .updateTable('users')
      .set({ failed_logins: 0, last_failure_at: null, locked_until: null })
      .where('number', '=', userNumber)
      .where((eb) => eb.or([eb('failed_logins', '!=', 0), eb('locked_until', 'is not', null)]))
      .execute();
  }

  private async countFailure(userNumber: number, releasing: boolean): Promise<FailureOutcome> {
    if (!this.enabled) return { locked: false, streak: 0 };
    // The lock and its event commit together: in the caller's transaction, or in one of our own.
    if (this.outbox && !this.db.isTransaction) return this.db.transaction().execute((trx) => this.within(trx).countFailure(userNumber, releasing));
    const now = nowMicros();
    const next = sql<number>`(${this.streakNow(now)}) + 1`;
    const unlocked = sql<boolean>`(locked_until is null or locked_until <= ${now})`;
    const row = await this.db
      .updateTable('users')
      .set({
        // While locked nothing is recorded and the lock is not extended (§0.7).
        failed_logins: sql<number>`case when ${unlocked} then ${next} else failed_logins end`,
        last_failure_at: sql<number | null>`case when ${unlocked} then cast(${now} as bigint) else last_failure_at end`,
        locked_until: sql<number | null>`case when not ${unlocked} then locked_until when (${next}) >= ${this.policy.failures} then cast(${now + this.windowMicros} as bigint) else null end`,
        ...(releasing ? { login_pending: this.pendingAfterRelease() } : {}),
      })
      .where('number', '=', userNumber)
      .returningAll()
      .executeTakeFirst();
    if (!row) return { locked: false, streak: 0 };
    // RETURNING shows the new row: this failure set the lock when it stamped both times.
    const lockedNow = row.last_failure_at === now && row.locked_until === now + this.windowMicros;
    if (lockedNow && this.outbox) await this.outbox.record(this.db, { type: 'user.locked', user: row, until: row.locked_until! });
    if (row.locked_until !== null && row.locked_until > now) return { locked: true, lockedNow, until: row.locked_until };
    return { locked: false, streak: row.failed_logins };
  }

  /** The streak's confirmed failures, forgotten after the window. */
  private streakNow(now: number) {
    return sql<number>`case when last_failure_at is null or last_failure_at <= ${now - this.windowMicros} then 0 else failed_logins end`;
  }

  /** Attempts in flight, forgotten once their lease ran out. */
  private pendingNow(now: number) {
    return sql<number>`case when login_pending_until is null or login_pending_until <= ${now} then 0 else login_pending end`;
  }

  /** A login's success on the user's row: parameters last_login, 0, null, null, then (after any further SET) the user's number. */
  private loginSuccess(db: Kysely<Database>) {
    return db.updateTable('users').set({ last_login: 0, failed_logins: 0, last_failure_at: null, locked_until: null }).where('number', '=', 0);
  }

  private pendingAfterRelease() {
    return sql<number>`case when login_pending > 0 then login_pending - 1 else 0 end`;
  }
}
