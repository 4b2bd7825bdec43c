// Registration, for every surface, the command line and the importer's single inserts: the
// user row, an `account` key when the surface hands one out, the picture when one came with it,
// the audit entry and the user.created event (events.md §1) commit together; the unique indexes
// decide a race between identical registrations (v1.md §0.6). A registration that fails leaves
// nothing behind: no row, no event, no file.
import type { Conflict, NewUser, User } from '../accounts.js';
import { person } from '../accounts.js';
import type { ImageFormat } from '../media.js';
import type { ActionContext, ActionDeps } from './deps.js';

export interface Registration extends Omit<NewUser, 'passwordHash'> {
  /** The `account` surface gives every new user their persistent key (account.md §2.1). */
  withAccountKey?: boolean;
  /** An already checked and re-encoded picture (api-user register), stored with the user. */
  avatar?: { format: ImageFormat; data: Buffer; filename: string };
}

export type RegisterOutcome = { ok: true; user: User; accountKey: string | null } | { ok: false; conflict: Conflict };

/** The created user as the legacy message sees it: the row, and the stored picture's format. */
export interface Registered {
  user: User;
  avatarFormat: ImageFormat | null;
}

export interface RegisterContext extends ActionContext {
  event?: 'user.register' | 'user.createsuperuser';
  details?: Record<string, unknown>;
  /**
   * Seed 001 compatibility (events.md §4): builds the registration's 201 body from the created
   * user, inside the transaction, so the legacy queue's message commits with the user.
   */
  legacy?: (created: Registered) => unknown;
}

/** Thrown inside the transaction to roll it back (PostgreSQL has aborted it anyway). */
class Taken extends Error {
  constructor(readonly conflict: Conflict) {
    super(conflict);
  }
}

/**
 * What a registration needs; the command line (createsuperuser) builds just these. A key or a
 * picture needs `accountKeys` or `media` too.
 */
export type RegisterDeps = Pick<ActionDeps, 'db' | 'passwords' | 'accounts' | 'audit' | 'outbox'> & Partial<Pick<ActionDeps, 'accountKeys' | 'media' | 'warn'>>;

export async function register(d: RegisterDeps, input: Registration, c: RegisterContext): Promise<RegisterOutcome> {
  const { withAccountKey, avatar, password, ...fields } = input;
  // Hashed before the transaction, so no database connection waits on argon2.
  // An empty password is a real one where a surface allows it (user-account); absent is unusable.
  const passwordHash = password !== undefined && password !== null ? await d.passwords.hash(password) : null;
  const stored: { file: string | null } = { file: null };
  try {
    const created = await d.db.transaction().execute(async (trx) => {
      const saved = await d.accounts.create({ ...fields, passwordHash }, trx);
      if (!saved.ok) throw new Taken(saved.conflict);
      let user = saved.user;
      const accountKey = withAccountKey ? await need(d.accountKeys, 'accountKeys').create(user.number, trx) : null;
      if (avatar) {
        const media = need(d.media, 'media');
        // The file first, then the row names it; a rollback removes the file again (below).
        stored.file = await media.saveAvatar(user.number, avatar.filename, avatar.data);
        user = await trx.updateTable('users').set({ avatar: stored.file }).where('number', '=', user.number).returningAll().executeTakeFirstOrThrow();
      }
      await d.audit.record({ event: c.event ?? 'user.register', meta: c.meta, actor: c.actor, user: person(user), details: c.details }, trx);
      const legacy = c.legacy?.({ user, avatarFormat: avatar ? avatar.format : null });
      await d.outbox.record(trx, { type: 'user.created', user, surface: c.meta.surface }, legacy === undefined ? {} : { legacy });
      return { user, accountKey };
    });
    return { ok: true, ...created };
  } catch (err) {
    if (stored.file !== null) await removeQuietly(d, stored.file);
    if (err instanceof Taken) return { ok: false, conflict: err.conflict };
    throw err;
  }
}

function need<T>(dep: T | undefined, name: string): T {
  if (dep === undefined) throw new Error(`register: this registration needs ${name}`);
  return dep;
}

async function removeQuietly(d: RegisterDeps, path: string): Promise<void> {
  try {
    await d.media?.remove(path);
  } catch (err) {
    d.warn?.(err, 'could not remove the picture of a registration that failed');
  }
}
