// Migration 007_infra: crash consistency of v1 refresh rotation (v1.md §2.3 "Reuse").
//
// A refresh records when it was first presented. A rotated refresh that comes back after the
// grace period is theft only when its successor has been presented since; if the successor
// never was, the answer that carried it was lost (the server died between the rotation and
// the session write, or the connection dropped), and the old refresh is a duplicate.
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from './db.js';

export function migrationInfra(dialect: Dialect): Migration {
  const big = dialect === 'sqlite' ? 'integer' : 'bigint';
  return {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('jwt_tokens').addColumn('presented_at', big).execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('jwt_tokens').dropColumn('presented_at').execute();
    },
  };
}
