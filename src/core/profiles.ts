// Artist and collector profiles (v1.md §4; the admin lists and edits them). One of each kind
// per user, enforced by a unique constraint; lists are newest first with an opaque cursor.
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../store/schema.js';
import { uniqueViolation, limitOf } from '../store/db.js';
import { nowMicros } from './time.js';
import { containsPattern } from './validators.js';

export type ProfileKind = 'artist' | 'collector';
export const PROFILE_KINDS: readonly ProfileKind[] = ['artist', 'collector'];

export interface Profile {
  id: string;
  kind: ProfileKind;
  user_number: number;
  bio: string;
  instagram: string;
  created: number;
  updated: number;
  /** The owner's username (null for users without one) and id. */
  username: string | null;
  user_id: string;
}

export interface ProfileFields { bio?: string; instagram?: string }

export interface Cursor { created: number; id: string }

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.created}.${c.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): Cursor | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const m = /^(\d{1,17})\.([0-9a-f-]{36})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m ? { created: Number(m[1]), id: m[2] } : null;
}

export class Profiles {
  constructor(private readonly db: Kysely<Database>) {}

  private base() {
    return this.db
      .selectFrom('profiles')
      .innerJoin('users', 'users.number', 'profiles.user_number')
      .select(['profiles.id', 'profiles.kind', 'profiles.user_number', 'profiles.bio', 'profiles.instagram', 'profiles.created', 'profiles.updated', 'users.username', 'users.id as user_id']);
  }

  /** Up to `limit` profiles older than `before`, newest first (ties by id), plus whether more exist. */
  async page(kind: ProfileKind, limit: number, before: Cursor | null): Promise<{ items: Profile[]; next: Cursor | null }> {
    let q = this.base().where('profiles.kind', '=', kind);
    if (before) {
      q = q.where((eb) => eb.or([eb('profiles.created', '<', before.created), eb.and([eb('profiles.created', '=', before.created), eb('profiles.id', '<', before.id)])]));
    }
    const rows = (await q.orderBy('profiles.created', 'desc').orderBy('profiles.id', 'desc').limit(limitOf(limit + 1)).execute()) as Profile[];
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, next: rows.length > limit && last ? { created: last.created, id: last.id } : null };
  }

  async get(kind: ProfileKind, id: string): Promise<Profile | undefined> {
    return (await this.base().where('profiles.kind', '=', kind).where('profiles.id', '=', id).executeTakeFirst()) as Profile | undefined;
  }

  async ofUser(userNumber: number): Promise<Profile[]> {
    return (await this.base().where('profiles.user_number', '=', userNumber).orderBy('profiles.kind').execute()) as Profile[];
  }

  /** null when the user already has one of this kind (also when a concurrent create won). */
  async create(kind: ProfileKind, userNumber: number, fields: ProfileFields): Promise<Profile | null> {
    const now = nowMicros();
    const id = randomUUID();
    try {
      await this.db
        .insertInto('profiles')
        .values({ id, kind, user_number: userNumber, bio: fields.bio ?? '', instagram: fields.instagram ?? '', created: now, updated: now })
        .execute();
    } catch (err) {
      if (uniqueViolation(err) !== null) return null;
      throw err;
    }
    return (await this.get(kind, id))!;
  }

  async update(kind: ProfileKind, id: string, fields: ProfileFields): Promise<Profile | undefined> {
    const values: { bio?: string; instagram?: string; updated: number } = { updated: nowMicros() };
    if (fields.bio !== undefined) values.bio = fields.bio;
    if (fields.instagram !== undefined) values.instagram = fields.instagram;
    if (fields.bio !== undefined || fields.instagram !== undefined) {
      await this.db.updateTable('profiles').set(values).where('kind', '=', kind).where('id', '=', id).execute();
    }
    return this.get(kind, id);
  }

  async delete(kind: ProfileKind, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('profiles').where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Admin search over username, bio and instagram (case-insensitive), newest first, paged. */
  async search(kind: ProfileKind, q: string, offset: number, limit: number): Promise<{ count: number; items: Profile[] }> {
    const pattern = containsPattern(q);
    const filter = (qb: any) =>
      q === ''
        ? qb.where('profiles.kind', '=', kind)
        : qb.where('profiles.kind', '=', kind).where((eb: any) =>
            eb.or(['users.username_ci', 'profiles.bio', 'profiles.instagram'].map((col) => sql<boolean>`lower(${sql.ref(col)}) like ${pattern} escape '\\'`)),
          );
    const countRow = await filter(this.db.selectFrom('profiles').innerJoin('users', 'users.number', 'profiles.user_number').select((eb: any) => eb.fn.countAll().as('n'))).executeTakeFirst();
    const items = (await filter(this.base()).orderBy('profiles.created', 'desc').orderBy('profiles.id', 'desc').offset(offset).limit(limitOf(limit)).execute()) as Profile[];
    return { count: Number(countRow?.n ?? 0), items };
  }
}
