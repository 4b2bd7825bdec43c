// Ending credentials: one login, every session of a user (v1.md §0.8), or the user itself
// (§0.9). Every credential type lives in a table of the store, so this module can end them all
// without knowing the surfaces. Access-token ids go to the shared denylist (kv) so every
// instance refuses them at once, and are marked in the database so an in-process denylist can
// be rebuilt after a restart.
//
// The row changes of "end all", "end one login" and "delete the user" also come as `…In(db)`
// forms that run inside the caller's transaction, so an action can commit them together with
// its audit entry and its event (events.md §1); what lives outside the database (the kv
// denylist, browser sessions in Redis, media files) is returned as an `Aftermath` and done by
// `finish` once the transaction committed.
import type { Kysely, Transaction } from 'kysely';
import type { Kv } from '../kv/kv.js';
import type { Database } from '../store/schema.js';
import type { User } from './accounts.js';
import type { SessionStore } from './browser-sessions.js';
import type { Issuer } from './login.js';
import type { Metrics } from './metrics.js';
import { nowMicros, nowSeconds } from './time.js';

export type RevokeReason = 'logout' | 'rotated' | 'superseded' | 'revoked' | 'deleted' | 'reuse';

export interface IssuedToken {
  jti: string;
  surface: 'v1' | 'api-user' | 'user-account';
  type: 'access' | 'refresh';
  userId: string;
  loginId?: string | null;
  iat: number;
  exp: number;
}

/** What a "revoke all" spares: the credential the request itself used (password change). */
export interface Spare { knoxId?: string; loginId?: string }

type Db = Kysely<Database> | Transaction<Database>;
type RevokedKind = 'knox' | 'account' | 'access' | 'refresh';

/**
 * What ending credentials in a transaction leaves for after its commit: access ids for the kv
 * denylist, the browser login slots and media of users, and the counts for the metrics. Nothing
 * in it may run before the commit: a rolled-back change must not log anybody out.
 */
export interface Aftermath {
  deny: Array<{ jti: string; exp: number }>;
  revoked: Partial<Record<RevokedKind, number>>;
  slotsOf: number[];
  mediaOf: number[];
}

export function noAftermath(): Aftermath {
  return { deny: [], revoked: {}, slotsOf: [], mediaOf: [] };
}

function count(a: Aftermath, kind: RevokedKind, n: number): void {
  if (n > 0) a.revoked[kind] = (a.revoked[kind] ?? 0) + n;
}

export interface RevocationDeps {
  db: Kysely<Database>;
  kv: Kv;
  sessions: SessionStore;
  metrics: Metrics;
  /** Removes DATA_DIR/media/avatars/<number>/ */
  removeMedia: (userNumber: number) => Promise<void>;
}

/** The rows of issued tokens, written with `db` (the store, or a transaction). */
export async function insertTokenRecords(db: Kysely<Database> | Transaction<Database>, tokens: IssuedToken[]): Promise<void> {
  if (!tokens.length) return;
  await db
    .insertInto('jwt_tokens')
    .values(tokens.map((t) => ({ jti: t.jti, surface: t.surface, type: t.type, user_id: t.userId, login_id: t.loginId ?? null, iat: t.iat, exp: t.exp, revoked_at: null, revoked_reason: null, replaced_by: null })))
    .execute();
}

/** Blacklists one refresh unless it already is: of parallel calls for one token, one wins. */
async function blacklistRefresh(db: Kysely<Database>, jti: string, reason: RevokeReason, replacedBy: string | null): Promise<boolean> {
  const r = await db
    .updateTable('jwt_tokens')
    .set({ revoked_at: nowMicros(), revoked_reason: reason, replaced_by: replacedBy })
    .where('jti', '=', jti)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * A login's JWTs as an Issuer (core/login.ts), one per login: `make` signs them (and writes
 * whatever they depend on through `trx`), their records are written in the login's transaction,
 * and they are counted once it committed.
 */
export function recordedTokens<T, U extends Partial<User>>(revocation: Pick<Revocation, 'countIssued'>, make: (user: U, trx: Kysely<Database>) => Promise<{ value: T; tokens: IssuedToken[] }>): Issuer<T, U> {
  let written: IssuedToken[] = [];
  return {
    write: async (trx, user) => {
      const m = await make(user, trx);
      await insertTokenRecords(trx, m.tokens);
      written = m.tokens;
      return m.value;
    },
    committed: () => revocation.countIssued(written),
  };
}

export class Revocation {
  constructor(private readonly d: RevocationDeps) {}

  /** Every issued JWT is recorded, so it can be blacklisted or denylisted later. */
  async recordTokens(tokens: IssuedToken[]): Promise<void> {
    await insertTokenRecords(this.d.db, tokens);
    this.countIssued(tokens);
  }

  /** For callers that record tokens inside a transaction of their own (v1 rotation), once it committed. */
  countIssued(tokens: IssuedToken[]): void {
    for (const t of tokens) this.d.metrics.tokensIssued.inc({ kind: `${t.surface}-${t.type}` });
  }

  /** Denylists one access token until its `exp` (logout). */
  async denyAccess(jti: string, exp: number, reason: RevokeReason = 'logout'): Promise<void> {
    await this.d.kv.deny(jti, exp);
    await this.d.db.updateTable('jwt_tokens').set({ revoked_at: nowMicros(), revoked_reason: reason }).where('jti', '=', jti).where('revoked_at', 'is', null).execute();
    this.d.metrics.tokensRevoked.inc({ kind: 'access' });
  }

  /** Blacklists one refresh token. Returns false when it was already blacklisted. */
  async revokeRefresh(jti: string, reason: RevokeReason, replacedBy: string | null = null): Promise<boolean> {
    const changed = await blacklistRefresh(this.d.db, jti, reason, replacedBy);
    if (changed) this.d.metrics.tokensRevoked.inc({ kind: 'refresh' });
    return changed;
  }

  /**
   * A rotation (api-user): blacklists `jti` as rotated and records its successors in one
   * transaction, so a failure leaves the presented refresh usable instead of the client holding
   * none. False when another request rotated or revoked it first (nothing is recorded then).
   */
  async rotateRefresh(jti: string, replacedBy: string, successors: IssuedToken[]): Promise<boolean> {
    const won = await this.d.db.transaction().execute(async (trx) => {
      if (!(await blacklistRefresh(trx, jti, 'rotated', replacedBy))) return false;
      await insertTokenRecords(trx, successors);
      return true;
    });
    if (won) {
      this.d.metrics.tokensRevoked.inc({ kind: 'refresh' });
      this.countIssued(successors);
    }
    return won;
  }

  /** Ends one v1 JWT login: its refresh is blacklisted and its unexpired access ids denylisted (v1.md §2.2). */
  async endLogin(loginId: string, reason: RevokeReason): Promise<void> {
    const { after } = await this.d.db.transaction().execute((trx) => this.endLoginIn(trx, loginId, reason));
    await this.finish(after);
  }

  /**
   * `endLogin`'s rows, in the caller's transaction; `ended` says whether the login was still
   * live and this call ended it (of two concurrent calls, one).
   */
  async endLoginIn(db: Db, loginId: string, reason: RevokeReason): Promise<{ ended: boolean; after: Aftermath }> {
    const r = await db.updateTable('jwt_logins').set({ ended_at: nowMicros() }).where('id', '=', loginId).where('ended_at', 'is', null).executeTakeFirst();
    const after = noAftermath();
    await this.revokeWhere(db, after, (q) => q.where('login_id', '=', loginId), reason, true);
    return { ended: Number(r.numUpdatedRows) > 0, after };
  }

  /** Ends the v1 login whose current refresh is `refreshJti` (the one a browser session held). */
  async endLoginHolding(refreshJti: string, reason: RevokeReason): Promise<void> {
    const login = await this.d.db
      .selectFrom('jwt_logins')
      .select('id')
      .where('refresh_jti', '=', refreshJti)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
    if (login) await this.endLogin(login.id, reason);
  }

  /** A refresh of `surface` that is recorded and not blacklisted (a missing record fails closed). */
  async refreshUsable(jti: string, surface: IssuedToken['surface']): Promise<boolean> {
    const row = await this.d.db.selectFrom('jwt_tokens').select(['revoked_at', 'surface', 'type']).where('jti', '=', jti).executeTakeFirst();
    return row !== undefined && row.revoked_at === null && row.surface === surface && row.type === 'refresh';
  }

  /** Whether an access token's id is on the shared denylist. */
  isDenied(jti: string): boolean | Promise<boolean> {
    return this.d.kv.isDenied(jti);
  }

  /**
   * "Revoke all" (v1.md §0.8): knox and account tokens deleted, JWT logins and tokens of every
   * surface ended, browser login slots ended, reset tokens voided. `spare` keeps the credential
   * the request used (password change).
   */
  async endAllSessions(user: Pick<User, 'id' | 'number'>, reason: RevokeReason = 'revoked', spare: Spare = {}): Promise<void> {
    const after = await this.d.db.transaction().execute((trx) => this.endAllSessionsIn(trx, user, reason, spare));
    await this.finish(after);
  }

  /** `endAllSessions`'s rows, in the caller's transaction; `finish` the result after the commit. */
  async endAllSessionsIn(db: Db, user: Pick<User, 'id' | 'number'>, reason: RevokeReason = 'revoked', spare: Spare = {}): Promise<Aftermath> {
    const after = noAftermath();
    let knox = db.deleteFrom('knox_tokens').where('user_number', '=', user.number);
    if (spare.knoxId) knox = knox.where('id', '!=', spare.knoxId);
    const deleted = await knox.executeTakeFirst();
    const accountDeleted = await db.deleteFrom('account_tokens').where('user_number', '=', user.number).executeTakeFirst();
    count(after, 'knox', Number(deleted.numDeletedRows));
    count(after, 'account', Number(accountDeleted.numDeletedRows));

    let logins = db.updateTable('jwt_logins').set({ ended_at: nowMicros() }).where('user_id', '=', user.id).where('ended_at', 'is', null);
    if (spare.loginId) logins = logins.where('id', '!=', spare.loginId);
    await logins.execute();
    await this.revokeWhere(db, after, (q) => {
      let scoped = q.where('user_id', '=', user.id);
      if (spare.loginId) scoped = scoped.where((eb: any) => eb.or([eb('login_id', 'is', null), eb('login_id', '!=', spare.loginId!)]));
      return scoped;
    }, reason, true);

    after.slotsOf.push(user.number);
    await this.voidResetTokens(user.number, db);
    return after;
  }

  /** What a transaction of `…In` calls left to do, once it committed. */
  async finish(after: Aftermath): Promise<void> {
    for (const t of after.deny) await this.d.kv.deny(t.jti, t.exp);
    for (const [kind, n] of Object.entries(after.revoked)) this.d.metrics.tokensRevoked.inc({ kind }, n);
    for (const n of after.slotsOf) await this.d.sessions.endLoginSlotsOf(n);
    for (const n of after.mediaOf) await this.d.removeMedia(n);
  }

  /** Every outstanding password-reset token of the user becomes unusable. */
  async voidResetTokens(userNumber: number, db: Db = this.d.db): Promise<void> {
    await db
      .updateTable('email_tokens')
      .set({ used_at: nowMicros() })
      .where('user_number', '=', userNumber)
      .where('purpose', 'in', ['v1-reset', 'ua-reset'])
      .where('used_at', 'is', null)
      .execute();
  }

  /**
   * Deletes a user and what hangs on it (v1.md §0.9). Refresh tokens are blacklisted (the
   * records outlive the user); access tokens are left to fail as "user not found".
   */
  async deleteUser(user: Pick<User, 'id' | 'number'>): Promise<void> {
    const { after } = await this.d.db.transaction().execute((trx) => this.deleteUserIn(trx, user));
    await this.finish(after);
  }

  /**
   * `deleteUser`'s rows, in the caller's transaction: `deleted` is the row as it was (the
   * snapshot of user.deleted), undefined when it was gone already.
   */
  async deleteUserIn(db: Db, user: Pick<User, 'id' | 'number'>): Promise<{ deleted: User | undefined; after: Aftermath }> {
    const after = noAftermath();
    await db.updateTable('jwt_logins').set({ ended_at: nowMicros() }).where('user_id', '=', user.id).where('ended_at', 'is', null).execute();
    await this.revokeWhere(db, after, (q) => q.where('user_id', '=', user.id), 'deleted', false);
    // Knox and account tokens, profiles and email tokens go with the row (ON DELETE CASCADE).
    const deleted = await db.deleteFrom('users').where('number', '=', user.number).returningAll().executeTakeFirst();
    after.slotsOf.push(user.number);
    after.mediaOf.push(user.number);
    return { deleted, after };
  }

  /** Rebuilds an in-process denylist from the database after a restart. */
  async loadDenylist(): Promise<number> {
    const rows = await this.d.db
      .selectFrom('jwt_tokens')
      .select(['jti', 'exp'])
      .where('type', '=', 'access')
      .where('revoked_at', 'is not', null)
      .where('exp', '>', nowSeconds())
      .execute();
    for (const r of rows) await this.d.kv.deny(r.jti, r.exp);
    return rows.length;
  }

  /** Marks the scope's live tokens revoked through `db`; the access ids to denylist go to `after`. */
  private async revokeWhere(db: Db, after: Aftermath, scope: (q: any) => any, reason: RevokeReason, denyAccess: boolean): Promise<void> {
    const base = db.selectFrom('jwt_tokens').select(['jti', 'type', 'exp']).where('revoked_at', 'is', null).where('exp', '>', nowSeconds());
    const live = (await scope(base).execute()) as { jti: string; type: string; exp: number }[];
    const targets = denyAccess ? live : live.filter((t) => t.type === 'refresh');
    if (!targets.length) return;
    const now = nowMicros();
    for (let i = 0; i < targets.length; i += 500) {
      const chunk = targets.slice(i, i + 500);
      await db.updateTable('jwt_tokens').set({ revoked_at: now, revoked_reason: reason }).where('jti', 'in', chunk.map((t) => t.jti)).where('revoked_at', 'is', null).execute();
    }
    for (const t of targets) {
      if (t.type === 'access') after.deny.push({ jti: t.jti, exp: t.exp });
      count(after, t.type as RevokedKind, 1);
    }
  }
}
