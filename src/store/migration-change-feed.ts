// Migration 008: on PostgreSQL, every committed change to a user's row or knox tokens notifies
// the instances that cache credential look-ups (store/change-feed.ts). SQLite needs nothing: its
// caches ask the database itself whether anything changed.
import { type Kysely, type Migration, sql } from 'kysely';
import { CHANGE_CHANNEL } from './change-feed.js';
import type { Dialect } from './db.js';

export function migrationChangeFeed(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql.raw(`
        create or replace function gatehouse_notify_change() returns trigger language plpgsql as $$
        begin
          perform pg_notify('${CHANGE_CHANNEL}', '');
          return null;
        end $$;
        create trigger users_change_feed after insert or update or delete on users
          for each statement execute function gatehouse_notify_change();
        create trigger knox_tokens_change_feed after insert or update or delete on knox_tokens
          for each statement execute function gatehouse_notify_change();
      `).execute(db);
    },
    async down(db: Kysely<any>) {
      if (dialect !== 'postgres') return;
      await sql.raw(`
        drop trigger if exists knox_tokens_change_feed on knox_tokens;
        drop trigger if exists users_change_feed on users;
        drop function if exists gatehouse_notify_change();
      `).execute(db);
    },
  };
}
