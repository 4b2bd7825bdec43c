// api-user.md §3.5 and §2 "Rotation": presence checks, the 401 table, rotation, reuse and a
// race of parallel refreshes of one token.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../../src/store/schema.js';
import { type TestApp, usingPostgres } from '../../helpers/app.js';
import { request } from '../../helpers/http.js';
import { decodePart, forge, freshUser, jwt, nowSec, startApiUser, surfaceKey, warmSockets } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApiUser();
});
afterAll(async () => {
  await t?.close();
});

/** Makes recording any new token of `userId` fail, inside the rotation's transaction. */
async function failTokenRecords(db: Kysely<Database>, userId: string): Promise<() => Promise<void>> {
  if (usingPostgres) {
    await sql.raw(`create function gh_test_fail_tokens() returns trigger language plpgsql as $$ begin
      if new.user_id = '${userId}' then raise exception 'forced failure of the new pair'; end if;
      return new; end $$`).execute(db);
    await sql`create trigger gh_test_fail_tokens before insert on jwt_tokens for each row execute function gh_test_fail_tokens()`.execute(db);
    return async () => {
      await sql`drop trigger gh_test_fail_tokens on jwt_tokens`.execute(db);
      await sql`drop function gh_test_fail_tokens()`.execute(db);
    };
  }
  await sql.raw(`create trigger gh_test_fail_tokens before insert on jwt_tokens when new.user_id = '${userId}' begin select raise(abort, 'forced failure of the new pair'); end`).execute(db);
  return async () => {
    await sql`drop trigger gh_test_fail_tokens`.execute(db);
  };
}

function refresh(json: unknown) {
  return request(t.url, 'POST', '/api/user/refresh/', { json });
}

function expect401(r: Awaited<ReturnType<typeof refresh>>, detail: string) {
  expect(r.status).toBe(401);
  expect(r.text).toBe(JSON.stringify({ detail, code: 'token_not_valid' }));
  expect(r.headers.get('www-authenticate')).toBe('JWT realm="api"');
}

describe('presence checks', () => {
  it('answers 400 with the field message', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'This field is required.'],
      [{ refresh: null }, 'This field may not be null.'],
      [{ refresh: '  ' }, 'This field may not be blank.'],
      [{ refresh: true }, 'Not a valid string.'],
      [{ refresh: ['x'] }, 'Not a valid string.'],
    ];
    for (const [body, message] of cases) {
      const r = await refresh(body);
      expect(r.status).toBe(400);
      expect(r.text).toBe(JSON.stringify({ refresh: [message] }));
    }
  });
});

describe('the 401 table', () => {
  it('bad signature, garbage or expired is invalid or expired', async () => {
    const u = await freshUser(t);
    const claims = { token_type: 'refresh', exp: nowSec() + 600, iat: nowSec(), jti: randomBytes(16).toString('hex'), user_id: u.id };
    for (const token of ['garbage', 12345, await forge(claims, randomBytes(32)), await forge(claims, surfaceKey(t, 'v1')), await forge({ ...claims, exp: nowSec() - 1 }, surfaceKey(t))]) {
      expect401(await refresh({ refresh: token }), 'Token is invalid or expired');
    }
  });

  it('an access token has the wrong type', async () => {
    const u = await freshUser(t);
    expect401(await refresh({ refresh: u.access }), 'Token has wrong type');
  });

  it('a well-signed refresh the service never issued counts as blacklisted', async () => {
    const u = await freshUser(t);
    const token = await forge({ token_type: 'refresh', exp: nowSec() + 600, iat: nowSec(), jti: randomBytes(16).toString('hex'), user_id: u.id }, surfaceKey(t));
    expect401(await refresh({ refresh: token }), 'Token is blacklisted');
  });
});

describe('rotation', () => {
  it('returns {access, refresh}: a fresh refresh, and blacklists the presented one', async () => {
    const u = await freshUser(t);
    // New tokens carry a fresh iat; wait for the clock to move past the login's second.
    await new Promise((resolve) => setTimeout(resolve, 1100 - (Date.now() % 1000)));
    const r = await refresh({ refresh: u.refresh });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(r.json)).toEqual(['access', 'refresh']);
    const before = decodePart(u.refresh, 1);
    const after = decodePart(r.json.refresh, 1);
    expect(after.token_type).toBe('refresh');
    expect(after.jti).not.toBe(before.jti);
    expect(Number(after.iat)).toBeGreaterThan(Number(before.iat));
    expect(Number(after.exp) - Number(after.iat)).toBe(30 * 86_400);
    expect(after.user_id).toBe(u.id);
    expect(decodePart(r.json.access, 1).token_type).toBe('access');

    expect((await request(t.url, 'GET', '/api/user/me', { headers: jwt(r.json.access) })).status).toBe(200);
    expect401(await refresh({ refresh: u.refresh }), 'Token is blacklisted');
    expect((await refresh({ refresh: r.json.refresh })).status).toBe(200);
    expect401(await refresh({ refresh: u.refresh }), 'Token is blacklisted');

    const row = await t.ctx.db.selectFrom('jwt_tokens').selectAll().where('jti', '=', String(before.jti)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ revoked_reason: 'rotated', replaced_by: after.jti });
  });

  it('of 20 parallel refreshes of one token, exactly one succeeds', async () => {
    const u = await freshUser(t);
    await warmSockets(t.url, '/api/user/refresh/');
    const results = await Promise.all(Array.from({ length: 20 }, () => refresh({ refresh: u.refresh })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200)) expect401(r, 'Token is blacklisted');
  });

  it('a rotation that cannot record the new pair fails whole: the presented refresh still works', async () => {
    const u = await freshUser(t);
    const id = decodePart(u.refresh, 1).user_id as string;
    const undo = await failTokenRecords(t.ctx.db, id);
    try {
      expect((await refresh({ refresh: u.refresh })).status).toBe(500);
    } finally {
      await undo();
    }
    const again = await refresh({ refresh: u.refresh });
    expect(again.status).toBe(200);
    expect((await refresh({ refresh: u.refresh })).status).toBe(401);
    expect((await refresh({ refresh: again.json.refresh })).status).toBe(200);
  });

  it('reads form bodies too', async () => {
    const u = await freshUser(t);
    const r = await request(t.url, 'POST', '/api/user/refresh', { body: new URLSearchParams({ refresh: u.refresh }) });
    expect(r.status).toBe(200);
  });
});
