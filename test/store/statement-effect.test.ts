// Which statements move the credential caches on (store/read-cache.ts): writes to users and
// knox_tokens, and anything not plainly understood, do; reads and writes elsewhere do not.
import { describe, expect, it } from 'vitest';
import { WriteTracker, statementEffect } from '../../src/store/read-cache.js';

describe('statementEffect', () => {
  it.each([
    ['select * from "users" where "id" = ?', 'none'],
    ['  SELECT 1', 'none'],
    ['insert into "events" ("id", "body") values (?, ?)', 'none'],
    ['update "webhook_deliveries" set "status" = $1 where "id" = $2 returning "id"', 'none'],
    ['delete from "audit_log" where "at" < ?', 'none'],
    ['insert or ignore into "throttle_hits" ("key") values (?)', 'none'],
    ['savepoint "sp1"', 'none'],
    ['release savepoint "sp1"', 'none'],
    ['set local statement_timeout = 100', 'none'],
    ['begin', 'begin'],
    ['start transaction isolation level serializable', 'begin'],
    ['commit', 'commit'],
    ['rollback', 'rollback'],
    ['rollback to savepoint "sp1"', 'rollback-to'],
    ['update "users" set "is_active" = ?', 'write'],
    ['UPDATE users SET is_active = 0', 'write'],
    ['update "USERS" set "is_active" = ?', 'write'], // SQLite: identifiers are case-insensitive
    ['delete from "knox_tokens" where "id" = ?', 'write'],
    ['insert into knox_tokens(id) values (1)', 'write'],
    ['insert into "users" ("id") values (?) on conflict do nothing', 'write'],
    ['replace into "users" values (?)', 'write'],
    ['update or replace "users" set "email" = ?', 'write'],
    // Not plainly understood: counted, whatever it writes.
    ['with x as (select 1) update "events" set "body" = ?', 'write'],
    ['update "public"."events" set "body" = ?', 'write'],
    ['update "users_x"."events" set "body" = ?', 'write'],
    ['pragma foreign_keys = on', 'write'],
    ['truncate events', 'write'],
    ['', 'write'],
  ])('%s -> %s', (sql, effect) => {
    expect(statementEffect(sql)).toBe(effect);
  });
});

describe('WriteTracker', () => {
  function tracked() {
    let moves = 0;
    const t = new WriteTracker(() => moves++);
    return { t, moves: () => moves };
  }

  it('a write outside a transaction moves once, at once', () => {
    const { t, moves } = tracked();
    t.ran('write');
    expect(moves()).toBe(1);
    t.reset();
    expect(moves()).toBe(1);
  });

  it('a transaction that wrote a cached table moves at the write and at its end', () => {
    for (const end of ['commit', 'rollback'] as const) {
      const { t, moves } = tracked();
      t.ran('begin');
      t.ran('write');
      expect(moves()).toBe(1);
      t.ran(end);
      expect(moves()).toBe(2);
      t.ran('begin');
      t.ran('none');
      t.ran('commit');
      expect(moves()).toBe(2);
    }
  });

  it('a rollback to a savepoint moves, and the transaction still counts as written', () => {
    const { t, moves } = tracked();
    t.ran('begin');
    t.ran('write');
    t.ran('rollback-to');
    expect(moves()).toBe(2);
    t.ran('commit');
    expect(moves()).toBe(3);
  });

  it('a transaction that wrote only other tables never moves', () => {
    const { t, moves } = tracked();
    t.ran('begin');
    t.ran('none');
    t.ran('commit');
    t.reset();
    expect(moves()).toBe(0);
  });

  it('a connection released inside a written transaction moves', () => {
    const { t, moves } = tracked();
    t.ran('begin');
    t.ran('write');
    t.reset();
    expect(moves()).toBe(2);
  });
});
