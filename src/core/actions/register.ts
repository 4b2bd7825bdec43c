// Registration, for every surface, the command line and the importer's single inserts: the
// user row, an `account` key when the surface hands one out, and the audit entry commit
// together; the unique indexes decide a race between identical registrations (v1.md §0.6).
import type { Conflict, NewUser, User } from '../accounts.js';
import { person } from '../accounts.js';
import type { ImageFormat } from '../media.js';
import { replaceAvatar } from './avatar.js';
import type { ActionContext, ActionDeps } from './deps.js';
import { deleteUser } from './delete-user.js';

export interface Registration extends Omit<NewUser, 'passwordHash'> {
  /** The `account` surface gives every new user their persistent key (account.md §2.1). */
  withAccountKey?: boolean;
  /** An already checked and re-encoded picture (api-user register), stored once the user exists. */
  avatar?: { format: ImageFormat; data: Buffer; filename: string };
}

export type RegisterOutcome = { ok: true; user: User; accountKey: string | null } | { ok: false; conflict: Conflict };

export interface RegisterContext extends ActionContext {
  event?: 'user.register' | 'user.createsuperuser';
  details?: Record<string, unknown>;
}

/** Thrown inside the transaction to roll it back (PostgreSQL has aborted it anyway). */
class Taken extends Error {
  constructor(readonly conflict: Conflict) {
    super(conflict);
  }
}

export async function register(d: ActionDeps, input: Registration, c: RegisterContext): Promise<RegisterOutcome> {
  const { withAccountKey, avatar, password, ...fields } = input;
  // Hashed before the transaction, so no database connection waits on argon2.
  // An empty password is a real one where a surface allows it (user-account); absent is unusable.
  const passwordHash = password !== undefined && password !== null ? await d.passwords.hash(password) : null;
  let created: { user: User; accountKey: string | null };
  try {
    created = await d.db.transaction().execute(async (trx) => {
      const saved = await d.accounts.create({ ...fields, passwordHash }, trx);
      if (!saved.ok) throw new Taken(saved.conflict);
      const accountKey = withAccountKey ? await d.accountKeys.create(saved.user.number, trx) : null;
      await d.audit.record({ event: c.event ?? 'user.register', meta: c.meta, actor: c.actor, user: person(saved.user), details: c.details }, trx);
      return { user: saved.user, accountKey };
    });
  } catch (err) {
    if (err instanceof Taken) return { ok: false, conflict: err.conflict };
    throw err;
  }
  if (!avatar) return { ok: true, ...created };
  // A failed picture store leaves no account behind: the registration did not happen.
  try {
    const stored = await replaceAvatar(d, created.user, avatar, { filename: avatar.filename });
    if (!stored.ok) throw new Error('the new user vanished while its picture was stored');
    return { ok: true, user: stored.user, accountKey: created.accountKey };
  } catch (err) {
    await deleteUser(d, created.user, { meta: c.meta, event: null });
    throw err;
  }
}
