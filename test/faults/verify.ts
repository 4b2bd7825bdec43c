// After the campaign: every acknowledged write must be in the database, and nothing may be
// half-written (a login without its tokens, tokens of a login that does not exist, a rotation
// pointing nowhere, a login whose current refresh was already rotated, a session naming a
// refresh that was never recorded).
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import { openStore } from '../../src/store/db.js';
import type { Tally } from './clients.js';

export interface Findings {
  acked: number;
  lost: string[];
  halfWritten: string[];
}

const CHUNK = 500;

async function missing(found: (chunk: string[]) => Promise<string[]>, wanted: string[]): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const chunk = wanted.slice(i, i + CHUNK);
    const present = new Set(await found(chunk));
    out.push(...chunk.filter((x) => !present.has(x)));
  }
  return out;
}

export async function verify(databaseUrl: string, redisUrl: string, redisPrefix: string, tally: Tally): Promise<Findings> {
  const store = openStore(databaseUrl);
  const { db } = store;
  try {
    const lost: string[] = [];
    const users = await missing(async (emails) => (await db.selectFrom('users').select('email_ci').where('email_ci', 'in', emails.map((e) => e.toLowerCase())).execute()).map((r) => r.email_ci!), tally.ackedUsers.map((e) => e.toLowerCase()));
    lost.push(...users.map((e) => `registration of ${e}`));
    const loginTokens = async (jtis: string[]) =>
      (await db.selectFrom('jwt_tokens').innerJoin('jwt_logins', 'jwt_logins.id', 'jwt_tokens.login_id').select('jwt_tokens.jti').where('jwt_tokens.jti', 'in', jtis).execute()).map((r) => r.jti);
    lost.push(...(await missing(loginTokens, tally.ackedLogins)).map((j) => `login with refresh ${j}`));
    lost.push(...(await missing(loginTokens, tally.ackedRefreshes)).map((j) => `refresh ${j}`));

    const half: string[] = [];
    const count = async (what: string, query: { execute(db: any): Promise<{ rows: { n: number | string }[] }> }) => {
      const n = Number((await query.execute(db)).rows[0].n);
      if (n > 0) half.push(`${n} ${what}`);
    };
    await count('logins without the record of their refresh', sql<{ n: number }>`select count(*) as n from jwt_logins l where not exists (select 1 from jwt_tokens t where t.jti = l.refresh_jti)`);
    await count('logins without any access token record', sql<{ n: number }>`select count(*) as n from jwt_logins l where not exists (select 1 from jwt_tokens t where t.login_id = l.id and t.type = 'access')`);
    await count('token records of a login that does not exist', sql<{ n: number }>`select count(*) as n from jwt_tokens t where t.login_id is not null and not exists (select 1 from jwt_logins l where l.id = t.login_id)`);
    await count('rotated refreshes whose successor was never recorded', sql<{ n: number }>`select count(*) as n from jwt_tokens t where t.revoked_reason = 'rotated' and (t.replaced_by is null or not exists (select 1 from jwt_tokens s where s.jti = t.replaced_by))`);
    await count('live logins whose current refresh was already rotated', sql<{ n: number }>`select count(*) as n from jwt_logins l join jwt_tokens t on t.jti = l.refresh_jti where l.ended_at is null and t.revoked_reason = 'rotated'`);

    // Sessions live in the campaign's Redis: each refresh slot must name a recorded refresh.
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    try {
      await redis.connect();
      const named: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}sess:*`, 'COUNT', 500);
        cursor = next;
        for (const key of keys) {
          const jti = await redis.hget(key, 'refresh_jti');
          if (jti) named.push(jti);
        }
      } while (cursor !== '0');
      const unknown = await missing(async (jtis) => (await db.selectFrom('jwt_tokens').select('jti').where('jti', 'in', jtis).execute()).map((r) => r.jti), named);
      if (unknown.length) half.push(`${unknown.length} sessions naming a refresh that was never recorded`);
    } finally {
      redis.disconnect();
    }

    return { acked: tally.ackedUsers.length + tally.ackedLogins.length + tally.ackedRefreshes.length, lost, halfWritten: half };
  } finally {
    await store.close();
  }
}
