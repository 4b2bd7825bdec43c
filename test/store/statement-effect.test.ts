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
  type Step = Parameters<WriteTracker['ran']>[0] | 'reset';
  // Each case: the statements a connection runs (or its release), and how often the caches have
  // moved on after each one.
  it.each<[string, Array<[Step, number]>]>([
    ['a write outside a transaction moves once, at once', [['write', 1], ['reset', 1]]],
    ['a transaction that wrote a cached table moves at the write and at its commit', [['begin', 0], ['write', 1], ['commit', 2], ['begin', 2], ['none', 2], ['commit', 2]]],
    ['a transaction that wrote a cached table moves at the write and at its rollback', [['begin', 0], ['write', 1], ['rollback', 2], ['begin', 2], ['none', 2], ['commit', 2]]],
    ['a rollback to a savepoint moves, and the transaction still counts as written', [['begin', 0], ['write', 1], ['rollback-to', 2], ['commit', 3]]],
    ['a transaction that wrote only other tables never moves', [['begin', 0], ['none', 0], ['commit', 0], ['reset', 0]]],
    ['a connection released inside a written transaction moves', [['begin', 0], ['write', 1], ['reset', 2]]],
  ])('%s', (_name, steps) => {
    let moves = 0;
    const t = new WriteTracker(() => moves++);
    const seen = steps.map(([step]) => {
      if (step === 'reset') t.reset();
      else t.ran(step);
      return [step, moves];
    });
    expect(seen).toEqual(steps);
  });
});
