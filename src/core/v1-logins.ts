// v1 JWT logins (v1.md §2.2, §2.3): each login-jwt creates a login family in jwt_logins with an
// access and a refresh token; every refresh rotates. The rotation is one transaction whose first
// statement claims the old refresh (UPDATE … WHERE revoked_at IS NULL), so of N concurrent
// refreshes exactly one rotates and the others see a refresh "rotated just now" and take the
// grace path: a new access token and the login's current refresh, re-signed from its record
// (a JWT is deterministic for its claims and key, so only the jti needs to be stored anywhere).
// A refresh records when it was first presented, so that a rotation whose answer was lost (the
// server died before the session named the new refresh) never passes for theft (§2.3).
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, JwtLoginsTable, JwtTokensTable } from '../store/schema.js';
import type { Accounts, User } from './accounts.js';
import { person } from './accounts.js';
import type { Audit, RequestMeta } from './audit.js';
import type { Outbox } from './events/outbox.js';
import type { JwtCodec } from './jwt.js';
import type { Issuer } from './login.js';
import { newJti } from './jwt.js';
import type { Metrics } from './metrics.js';
import { type IssuedToken, type Revocation, insertTokenRecords, recordedTokens } from './revocation.js';
import { MICROS_PER_SECOND, nowMicros, nowSeconds } from './time.js';

export type JwtLogin = Selectable<JwtLoginsTable>;
type TokenRecord = Selectable<JwtTokensTable>;

export interface V1LoginSettings {
  accessTtlSec: number;
  refreshTtlSec: number;
  graceSec: number;
}

export interface V1LoginsDeps {
  db: Kysely<Database>;
  audit: Audit;
  codec: JwtCodec;
  accounts: Accounts;
  revocation: Revocation;
  metrics: Metrics;
  /** Records security.token_reuse with the login it ends (events.md §1). */
  outbox: Pick<Outbox, 'record'>;
  settings: V1LoginSettings;
}

export interface IssuedLogin {
  loginId: string;
  access: string;
  refresh: string;
  refreshJti: string;
}

export interface ClientInfo { ip: string | null; userAgent: string | null }

export type RefreshResult =
  | { ok: true; user: User; loginId: string; access: string; refresh: string; refreshJti: string; graced: boolean }
  | { ok: false; reason: 'invalid' | 'blacklisted' | 'user_not_found' | 'user_inactive' }
  /** A refresh rotated longer than the grace ago came back: the login has been ended. */
  | { ok: false; reason: 'reuse'; loginId: string; userId: string };

const INVALID = { ok: false, reason: 'invalid' } as const;
const BLACKLISTED = { ok: false, reason: 'blacklisted' } as const;
const USER_NOT_FOUND = { ok: false, reason: 'user_not_found' } as const;
const USER_INACTIVE = { ok: false, reason: 'user_inactive' } as const;

/** Thrown inside the rotation transaction to roll it back; never escapes this module. */
class LostRace extends Error {}

/** v1 JWT claims, in the order simplejwt wrote them (v1.md §2.2). */
function claims(type: 'access' | 'refresh', exp: number, iat: number, jti: string, userId: string): Record<string, unknown> {
  return { token_type: type, exp, iat, jti, user_id: userId };
}

export class V1Logins {
  constructor(private readonly d: V1LoginsDeps) {}

  /**
   * A new login family with its first access and refresh token, both with the same `iat`,
   * written in the transaction of the login it completes (core/login.ts Issuer), so a crash never
   * leaves a login without its tokens (v1.md §2.3 "Atomicity").
   */
  issuer(client: ClientInfo): Issuer<IssuedLogin, Pick<User, 'id'>> {
    return recordedTokens(this.d.revocation, async (user, trx) => {
      const { settings } = this.d;
      const iat = nowSeconds();
      const loginId = randomUUID();
      const accessJti = newJti();
      const refreshJti = newJti();
      const refreshExp = iat + settings.refreshTtlSec;
      const [access, refresh] = await Promise.all([
        this.d.codec.sign(claims('access', iat + settings.accessTtlSec, iat, accessJti, user.id)),
        this.d.codec.sign(claims('refresh', refreshExp, iat, refreshJti, user.id)),
      ]);
      // The family before its tokens, which name it.
      await trx
        .insertInto('jwt_logins')
        .values({ id: loginId, user_id: user.id, created: nowMicros(), last_used: null, ip: client.ip, user_agent: client.userAgent?.slice(0, 256) ?? null, refresh_jti: refreshJti, refresh_exp: refreshExp, ended_at: null })
        .execute();
      const tokens: IssuedToken[] = [
        { jti: accessJti, surface: 'v1', type: 'access', userId: user.id, loginId, iat, exp: iat + settings.accessTtlSec },
        { jti: refreshJti, surface: 'v1', type: 'refresh', userId: user.id, loginId, iat, exp: refreshExp },
      ];
      return { value: { loginId, access, refresh, refreshJti }, tokens };
    });
  }

  /** v1.md §3.4 steps 2–5 for the refresh whose jti the session holds. */
  async refresh(jti: string, meta: RequestMeta): Promise<RefreshResult> {
    const record = await this.refreshRecord(jti);
    if (!record || record.exp <= nowSeconds()) return INVALID;
    // Recorded before anything else, so a crash later in this request still counts it: once a
    // refresh has been presented, the answer that carried it was not lost.
    if (record.presented_at === null) await this.markPresented(jti);
    if (record.revoked_at !== null) return this.afterRevoked(record, meta);
    const user = await this.liveUser(record.user_id);
    if (!user.ok) return user.result;
    const rotated = await this.rotate(record, user.user);
    // Someone else rotated it between our read and our claim: the grace path answers.
    return rotated ?? this.afterRevoked((await this.refreshRecord(jti))!, meta);
  }

  /** Blacklists the refresh a session held before a new login replaced it (v1.md §3.3). */
  async supersede(refreshJti: string): Promise<void> {
    await this.d.revocation.revokeRefresh(refreshJti, 'superseded');
  }

  /**
   * Whether `jti` is still an unrevoked refresh. A refresh answered to one of several concurrent
   * requests may already have been rotated by the next one; its slot write must not then
   * overwrite the newer refresh another request stored.
   */
  async isUnrevoked(jti: string): Promise<boolean> {
    const row = await this.d.db.selectFrom('jwt_tokens').select('revoked_at').where('jti', '=', jti).executeTakeFirst();
    return row !== undefined && row.revoked_at === null;
  }

  /** The user a v1 refresh was issued to, or null when it is not one of ours. */
  async ownerOfRefresh(jti: string): Promise<string | null> {
    const row = await this.d.db.selectFrom('jwt_tokens').select('user_id').where('jti', '=', jti).where('surface', '=', 'v1').executeTakeFirst();
    return row?.user_id ?? null;
  }

  /** Logins whose current refresh is still usable, newest first (sessions/). */
  async liveOf(userId: string): Promise<JwtLogin[]> {
    return this.d.db
      .selectFrom('jwt_logins')
      .innerJoin('jwt_tokens', 'jwt_tokens.jti', 'jwt_logins.refresh_jti')
      .selectAll('jwt_logins')
      .where('jwt_logins.user_id', '=', userId)
      .where('jwt_logins.ended_at', 'is', null)
      .where('jwt_logins.refresh_exp', '>', nowSeconds())
      .where('jwt_tokens.revoked_at', 'is', null)
      .orderBy('jwt_logins.created', 'desc')
      .execute();
  }

  private refreshRecord(jti: string): Promise<TokenRecord | undefined> {
    return this.d.db
      .selectFrom('jwt_tokens')
      .selectAll()
      .where('jti', '=', jti)
      .where('surface', '=', 'v1')
      .where('type', '=', 'refresh')
      .executeTakeFirst();
  }

  private async liveUser(userId: string): Promise<{ ok: true; user: User } | { ok: false; result: RefreshResult }> {
    const user = await this.d.accounts.byId(userId);
    if (!user) return { ok: false, result: USER_NOT_FOUND };
    if (user.is_active !== 1) return { ok: false, result: USER_INACTIVE };
    return { ok: true, user };
  }

  private async markPresented(jti: string): Promise<void> {
    await this.d.db.updateTable('jwt_tokens').set({ presented_at: nowMicros() }).where('jti', '=', jti).where('presented_at', 'is', null).execute();
  }

  /**
   * A blacklisted refresh (v1.md §2.3 "Reuse", §3.4 step 3): a rotated one is a duplicate within
   * the grace, and also after it while its successor has never been presented (the answer that
   * carried the successor was lost: a crash between the rotation and the session write, a
   * dropped connection); once the successor has been used, it is theft. Any other is just dead.
   */
  private async afterRevoked(record: TokenRecord, meta: RequestMeta): Promise<RefreshResult> {
    if (record.revoked_reason !== 'rotated' || record.login_id === null) return BLACKLISTED;
    const age = nowMicros() - (record.revoked_at ?? 0);
    if (age <= this.d.settings.graceSec * MICROS_PER_SECOND) return this.graceAnswer(record.login_id);
    if (record.replaced_by !== null && !(await this.wasPresented(record.replaced_by))) return this.graceAnswer(record.login_id);
    const loginId = record.login_id;
    const owner = await this.d.accounts.byId(record.user_id);
    const who = owner ? person(owner) : { id: record.user_id, email: null, username: null };
    // The login ends, and is audited and reported, in one transaction; the event only from the
    // request that ended it (a second replay finds it ended).
    const after = await this.d.db.transaction().execute(async (trx) => {
      const r = await this.d.revocation.endLoginIn(trx, loginId, 'reuse');
      await this.d.audit.record({ event: 'token.reuse', meta, user: who, details: { login: loginId } }, trx);
      if (r.ended && owner) await this.d.outbox.record(trx, { type: 'security.token_reuse', user: owner, loginId });
      return r.after;
    });
    await this.d.revocation.finish(after);
    return { ok: false, reason: 'reuse', loginId, userId: record.user_id };
  }

  private async wasPresented(jti: string): Promise<boolean> {
    const row = await this.d.db.selectFrom('jwt_tokens').select('presented_at').where('jti', '=', jti).executeTakeFirst();
    return row !== undefined && row.presented_at !== null;
  }

  /** A new access token and the login's current refresh, without rotating again. */
  private async graceAnswer(loginId: string): Promise<RefreshResult> {
    // One statement, so the login's pointer and its token's state come from one snapshot: a
    // rotation moves both in one transaction, so the current refresh read here is never one
    // that a concurrent rotation has just retired.
    const current = await this.d.db
      .selectFrom('jwt_logins')
      .innerJoin('jwt_tokens', 'jwt_tokens.jti', 'jwt_logins.refresh_jti')
      .selectAll('jwt_tokens')
      .where('jwt_logins.id', '=', loginId)
      .where('jwt_logins.ended_at', 'is', null)
      .executeTakeFirst();
    if (!current || current.revoked_at !== null || current.exp <= nowSeconds()) return BLACKLISTED;
    const user = await this.liveUser(current.user_id);
    if (!user.ok) return user.result;
    const iat = nowSeconds();
    const accessJti = newJti();
    const accessExp = iat + this.d.settings.accessTtlSec;
    const [access, refresh] = await Promise.all([
      this.d.codec.sign(claims('access', accessExp, iat, accessJti, user.user.id)),
      this.d.codec.sign(claims('refresh', current.exp, current.iat, current.jti, current.user_id)),
    ]);
    await this.d.revocation.recordTokens([{ jti: accessJti, surface: 'v1', type: 'access', userId: user.user.id, loginId, iat, exp: accessExp }]);
    return { ok: true, user: user.user, loginId, access, refresh, refreshJti: current.jti, graced: true };
  }

  /**
   * Claims the old refresh and installs the new pair in one transaction; null when another
   * request claimed it first or the login ended meanwhile (nothing is written then).
   */
  private async rotate(old: TokenRecord, user: User): Promise<RefreshResult | null> {
    const { settings } = this.d;
    const loginId = old.login_id;
    if (loginId === null) return BLACKLISTED;
    const iat = nowSeconds();
    const access: IssuedToken = { jti: newJti(), surface: 'v1', type: 'access', userId: user.id, loginId, iat, exp: iat + settings.accessTtlSec };
    const refresh: IssuedToken = { jti: newJti(), surface: 'v1', type: 'refresh', userId: user.id, loginId, iat, exp: iat + settings.refreshTtlSec };
    const [accessJwt, refreshJwt] = await Promise.all([
      this.d.codec.sign(claims('access', access.exp, iat, access.jti, user.id)),
      this.d.codec.sign(claims('refresh', refresh.exp, iat, refresh.jti, user.id)),
    ]);
    try {
      await this.d.db.transaction().execute(async (trx) => {
        const claimed = await trx
          .updateTable('jwt_tokens')
          .set({ revoked_at: nowMicros(), revoked_reason: 'rotated', replaced_by: refresh.jti })
          .where('jti', '=', old.jti)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (Number(claimed.numUpdatedRows) !== 1) throw new LostRace();
        const moved = await trx
          .updateTable('jwt_logins')
          .set({ refresh_jti: refresh.jti, refresh_exp: refresh.exp, last_used: nowMicros() })
          .where('id', '=', loginId)
          .where('ended_at', 'is', null)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) throw new LostRace();
        // Recorded in the same transaction, so the new pair exists exactly when the claim does: a
        // concurrent refresh that lost the claim reads the login's current refresh, and it must
        // find its record.
        await insertTokenRecords(trx, [access, refresh]);
      });
    } catch (err) {
      if (err instanceof LostRace) return null;
      throw err;
    }
    this.d.revocation.countIssued([access, refresh]);
    this.d.metrics.tokensRevoked.inc({ kind: 'refresh' });
    return { ok: true, user, loginId, access: accessJwt, refresh: refreshJwt, refreshJti: refresh.jti, graced: false };
  }
}
