// Knox tokens (v1.md §2.1): 32 random bytes shown once as 64 lowercase hex, stored as the
// SHA-512 of the raw bytes, 10 h sliding expiry, a per-user cap that evicts the oldest.
import { randomBytes, randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import { limitOf, precompiled, precompiledInsert } from '../store/db.js';
import { type ChangeEpoch, EpochCache } from '../store/read-cache.js';
import type { Database, KnoxTokensTable } from '../store/schema.js';
import type { User } from './accounts.js';
import type { Issuer } from './login.js';
import type { Metrics } from './metrics.js';
import { sha512Hex } from './secrets.js';
import { MICROS_PER_SECOND, nowMicros } from './time.js';

export const KNOX_TTL_MICROS = 10 * 3600 * MICROS_PER_SECOND;
/** The sliding expiry is written only when it moves by more than this (v1.md §2.1). */
const WRITE_SLACK_MICROS = 60 * MICROS_PER_SECOND;
const TOKEN_FORMAT = /^[0-9a-f]{64}$/;

export type KnoxToken = Selectable<KnoxTokensTable>;

/** A new token: shown once, stored only as its digest. */
export interface IssuedKnox { token: string; record: KnoxToken }

/** A token and its user, as the look-up found them (cached; handed out as copies). */
interface KnoxHit { user: User; token: KnoxToken }

function knoxLookup(db: Kysely<Database>) {
  return precompiled(
    db
      .selectFrom('knox_tokens')
      .innerJoin('users', 'users.number', 'knox_tokens.user_number')
      .selectAll('users')
      .select([
        'knox_tokens.id as t_id', 'knox_tokens.created as t_created', 'knox_tokens.expires as t_expires',
        'knox_tokens.last_used as t_last_used', 'knox_tokens.ip as t_ip', 'knox_tokens.user_agent as t_user_agent',
      ])
      .where('knox_tokens.digest', '=', ''),
  );
}

const KNOX_COLUMNS = ['id', 'digest', 'user_number', 'created', 'expires', 'last_used', 'ip', 'user_agent'] as const;

/**
 * The cap's prune (see `KnoxTokens.prune`) for a user, `now` and how many live tokens to keep;
 * parameters: user, now, user, now, keep - 1.
 */
function pruneStatement(db: Kysely<Database>) {
  const boundary = db
    .selectFrom('knox_tokens as kept')
    .select(['kept.created', 'kept.id'])
    .where('kept.user_number', '=', 0)
    .where('kept.expires', '>', 0)
    .orderBy('kept.created', 'desc')
    .orderBy('kept.id', 'desc')
    .limit(limitOf(1))
    .offset(0);
  return precompiled(
    db
      .deleteFrom('knox_tokens')
      .where('user_number', '=', 0)
      .where((eb) => eb.or([eb('expires', '<=', 0), sql<boolean>`(${sql.ref('created')}, ${sql.ref('id')}) < (${boundary})`])),
  );
}

export type KnoxCheck =
  | { ok: true; user: User; token: KnoxToken }
  | { ok: false; reason: 'invalid' | 'inactive' };

export class KnoxTokens {
  /** The authentication look-up runs on every knox request: compiled once, cached while nothing changed. */
  private readonly byDigest;
  private readonly cache: EpochCache<KnoxHit | undefined>;
  /** A login writes these two: compiled once. */
  private readonly insert;
  private readonly pruneKeeping;
  private readonly dropAll;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly metrics: Metrics,
    private readonly cap: () => number,
    changeEpoch: ChangeEpoch | null = null,
  ) {
    this.cache = new EpochCache(changeEpoch);
    this.byDigest = knoxLookup(db);
    this.insert = precompiledInsert(db, 'knox_tokens', KNOX_COLUMNS);
    this.pruneKeeping = pruneStatement(db);
    this.dropAll = precompiled(db.deleteFrom('knox_tokens').where('user_number', '=', 0));
  }

  /**
   * Creates a token for `user` in a transaction of its own, evicting expired then oldest tokens
   * beyond the cap. A login writes its token with `issuer` instead, in the login's transaction.
   */
  async create(user: Pick<User, 'number'>, ip: string | null, userAgent: string | null): Promise<IssuedKnox> {
    const issuer = this.issuer(ip, userAgent);
    const issued = await this.db.transaction().execute(async (trx) => {
      // A no-op write takes the user's row lock on PostgreSQL; SQLite has one writer anyway.
      await trx.updateTable('users').set((eb) => ({ updated: eb.ref('updated') })).where('number', '=', user.number).execute();
      return issuer.write(trx, user);
    });
    issuer.committed?.();
    return issued;
  }

  /**
   * A login's token, written in the transaction that wrote the user's row: on PostgreSQL that
   * row's lock, on SQLite the single writer, serialises concurrent logins of one account, so
   * 20 of them at once still leave exactly `cap()` tokens.
   */
  issuer(ip: string | null, userAgent: string | null): Issuer<IssuedKnox, Pick<User, 'number'>> {
    return {
      write: (trx, user) => this.write(trx, user, ip, userAgent),
      committed: () => this.metrics.tokensIssued.inc({ kind: 'knox' }),
    };
  }

  private async write(trx: Kysely<Database>, user: Pick<User, 'number'>, ip: string | null, userAgent: string | null): Promise<IssuedKnox> {
    const raw = randomBytes(32);
    const now = nowMicros();
    const record: KnoxToken = {
      id: randomUUID(),
      digest: sha512Hex(raw),
      user_number: user.number,
      created: now,
      expires: now + KNOX_TTL_MICROS,
      last_used: null,
      ip,
      user_agent: userAgent ? userAgent.slice(0, 256) : null,
    };
    const cap = this.cap();
    if (cap > 0) await this.prune(trx, user.number, now, cap - 1);
    await this.insert(trx, record);
    return { token: raw.toString('hex'), record };
  }

  /**
   * Deletes the user's expired tokens and every live one but the newest `keep` (newest by
   * creation, ties by id). One statement: the newest `keep`-th live token is the boundary, and
   * everything older than it goes; with fewer live tokens than that there is no boundary and
   * only the expired ones go. (Written as `id not in (the newest keep)`, SQLite built two
   * temporary b-trees per login and the statement took six times as long.)
   */
  private async prune(trx: Kysely<Database>, userNumber: number, now: number, keep: number): Promise<void> {
    if (keep === 0) await this.dropAll(trx, [userNumber]);
    else await this.pruneKeeping(trx, [userNumber, now, userNumber, now, keep - 1]);
  }

  /** Authenticates a presented token string: format, digest look-up, expiry (deleted), user activity. */
  async check(presented: string): Promise<KnoxCheck> {
    if (!TOKEN_FORMAT.test(presented)) return { ok: false, reason: 'invalid' };
    // Keyed by the token as presented, so a cache hit costs no hashing.
    const hit = this.cache.get(presented, () => this.lookUp(presented));
    const found = hit instanceof Promise ? await hit : hit;
    if (!found) return { ok: false, reason: 'invalid' };
    const now = nowMicros();
    if (found.token.expires <= now) {
      await this.db.deleteFrom('knox_tokens').where('id', '=', found.token.id).execute();
      return { ok: false, reason: 'invalid' };
    }
    if (found.user.is_active !== 1) return { ok: false, reason: 'inactive' };
    const token = { ...found.token };
    const sliding = this.slide(token, now);
    if (sliding) await sliding;
    return { ok: true, user: { ...found.user }, token };
  }

  private async lookUp(presented: string): Promise<KnoxHit | undefined> {
    const digest = sha512Hex(Buffer.from(presented, 'hex'));
    const [row] = await this.byDigest(this.db, [digest]);
    if (!row) return undefined;
    const { t_id, t_created, t_expires, t_last_used, t_ip, t_user_agent, ...user } = row;
    return { user: user as User, token: { id: t_id, digest, user_number: user.number, created: t_created, expires: t_expires, last_used: t_last_used, ip: t_ip, user_agent: t_user_agent } };
  }

  /**
   * Moves the expiry to now + 10 h (and last_used), writing only when it moved by over 60 s: the
   * write's promise then, nothing otherwise (every request with a token asks).
   */
  private slide(token: KnoxToken, now: number): Promise<void> | undefined {
    const expires = now + KNOX_TTL_MICROS;
    if (expires - token.expires <= WRITE_SLACK_MICROS) return undefined;
    return this.writeSlide(token, expires, now);
  }

  private async writeSlide(token: KnoxToken, expires: number, now: number): Promise<void> {
    await this.db.updateTable('knox_tokens').set({ expires, last_used: now }).where('id', '=', token.id).execute();
    token.expires = expires;
    token.last_used = now;
  }

  async delete(id: string, db: Kysely<Database> = this.db): Promise<boolean> {
    const r = await db.deleteFrom('knox_tokens').where('id', '=', id).executeTakeFirst();
    const n = Number(r.numDeletedRows);
    this.metrics.tokensRevoked.inc({ kind: 'knox' }, n);
    return n > 0;
  }

  async deleteAllOf(userNumber: number): Promise<number> {
    const r = await this.db.deleteFrom('knox_tokens').where('user_number', '=', userNumber).executeTakeFirst();
    const n = Number(r.numDeletedRows);
    this.metrics.tokensRevoked.inc({ kind: 'knox' }, n);
    return n;
  }

  /** Live tokens of a user, newest first (sessions/ listing). */
  async listOf(userNumber: number): Promise<KnoxToken[]> {
    return this.db
      .selectFrom('knox_tokens')
      .selectAll()
      .where('user_number', '=', userNumber)
      .where('expires', '>', nowMicros())
      .orderBy('created', 'desc')
      .execute();
  }
}
