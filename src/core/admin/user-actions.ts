// The staff actions on a user (admin.md §2.2, §2.5, §2.6, §3.3), called by both the UI and the
// JSON API so that permissions, guards, side effects and audit entries live in one place.
import type { AuditEventName } from '../audit.js';
import type { AdminDeps } from './deps.js';
import { type User, type UserPatch, ciKey, person } from '../accounts.js';
import { isoOrNull } from '../time.js';
import { type Actor, type Changes, FORBIDDEN, GONE, type AdminOutcome, guard, invalidInput } from './outcomes.js';
import { MESSAGES, countsAsSuperuser, isStaff, isSuperuser, mayTouch } from './permissions.js';
import { SerialLock } from './serial-lock.js';
import { type FormErrors, orderErrors } from '../django-forms.js';
import { resetTwoFactor } from './two-factor.js';
import { EDIT_KEYS, EDIT_MESSAGES, type FlagKey, type TextKey, type UserEdit, checkEdit } from './user-edit.js';

export type ResetMailOutcome = { status: 'sent' } | { status: 'no_email' } | { status: 'limited'; retryAfterSec: number };

const PATCH_KEY: Record<TextKey | FlagKey, keyof UserPatch> = {
  full_name: 'fullName', email: 'email', username: 'username', phone: 'phone', contacts: 'contacts',
  is_active: 'isActive', is_staff: 'isStaff', email_verified: 'emailVerified', is_superuser: 'isSuperuser',
};

export class AdminUserActions {
  private readonly lock: SerialLock;

  constructor(private readonly ctx: AdminDeps) {
    this.lock = new SerialLock(ctx.db, ctx.dialect);
  }

  /** Saves an edit (§2.5). `known` carries type errors found while reading the input. */
  async update(actor: Actor, target: User, input: UserEdit, known: FormErrors = {}): Promise<AdminOutcome<{ user: User }>> {
    if (!mayTouch(actor.user, target)) return FORBIDDEN;
    if ('is_superuser' in input && !isSuperuser(actor.user)) return FORBIDDEN;
    const { edit, errors } = checkEdit(input, known);
    // Uniqueness of the fields that passed is reported beside the other fields' errors, as a
    // Django form does; the unique index still decides a race (below).
    const taken = await this.uniquenessErrors(target, edit);
    if (Object.keys(errors).length || taken) return invalidInput(orderErrors({ ...errors, ...taken }, EDIT_KEYS));
    if (actor.user.number === target.number && (edit.is_active === false || edit.is_staff === false)) return guard(MESSAGES.ownAccount);
    return this.lock.run(async () => {
      const fresh = await this.ctx.accounts.byNumber(target.number);
      if (!fresh) return GONE;
      if (!(await this.stillMayTouch(actor, fresh))) return FORBIDDEN;
      const changes = diff(fresh, edit);
      if (await this.wouldLeaveNoSuperuser(fresh, changes)) return guard(MESSAGES.lastSuperuser);
      if (!Object.keys(changes).length) return { ok: true, user: fresh };
      // Deactivation ending every session, the email rule and the voided tokens are the action's.
      const patch = toPatch(changes);
      // The submitted checkbox wins over the automatic reset on an address change (admin.md §2.5).
      if (edit.email_verified !== undefined) patch.emailVerified = edit.email_verified;
      const saved = await this.ctx.actions.update(fresh, patch, { meta: actor.meta, actor: person(actor.user), audit: 'admin' });
      if (!saved.ok) return invalidInput({ [saved.conflict]: [saved.conflict === 'email' ? EDIT_MESSAGES.emailTaken : EDIT_MESSAGES.usernameTaken] });
      await this.audit(actor, 'admin.user.update', saved.user, { changed: changes });
      return { ok: true, user: saved.user };
    });
  }

  /** §2.6: new password, every session and token ended, reset tokens voided, a notice mailed. */
  async setPassword(actor: Actor, target: User, password: string): Promise<AdminOutcome> {
    if (!mayTouch(actor.user, target)) return FORBIDDEN;
    await this.ctx.actions.changePassword(target, password, { meta: actor.meta, actor: person(actor.user), endSessions: 'all', notify: true, event: 'admin.user.password' });
    return { ok: true };
  }

  /** Clears the failure streak and any lock (v1.md §0.7). */
  async unlock(actor: Actor, target: User): Promise<AdminOutcome> {
    if (!mayTouch(actor.user, target)) return FORBIDDEN;
    const streak = this.ctx.lockout.currentStreak(target);
    const lockedUntil = this.ctx.lockout.lockedUntil(target);
    await this.ctx.lockout.clear(target.number);
    const changed: Changes = {};
    if (streak !== 0) changed.failed_logins = { old: streak, new: 0 };
    if (lockedUntil !== null) changed.locked_until = { old: isoOrNull(lockedUntil), new: null };
    await this.audit(actor, 'admin.user.unlock', target, { changed });
    return { ok: true };
  }

  /** Ends every session and token of the user, none spared (v1.md §0.8). */
  async revokeSessions(actor: Actor, target: User): Promise<AdminOutcome> {
    if (!mayTouch(actor.user, target)) return FORBIDDEN;
    await this.ctx.actions.endAllSessions(target, { meta: actor.meta, actor: person(actor.user), event: 'admin.user.revoke' });
    return { ok: true };
  }

  /** mfa.md §4: TOTP, recovery codes and passkeys removed, every session ended, the user mailed. */
  resetTwoFactor(actor: Actor, target: User): Promise<AdminOutcome> {
    return resetTwoFactor(this.ctx, actor, target);
  }

  /** The v1 reset mail (v1.md §5.4), at most one a minute per account; superuser-only on a superuser (admin.md §1). */
  async sendResetMail(actor: Actor, target: User): Promise<ResetMailOutcome | { status: 'forbidden' }> {
    if (!mayTouch(actor.user, target)) return { status: 'forbidden' };
    const sent = await this.ctx.mail.sendV1Reset(target);
    if (sent.status === 'no_email') return { status: 'no_email' };
    if (sent.status === 'limited') return { status: 'limited', retryAfterSec: Math.max(1, Math.ceil(sent.retryAfterMs / 1000)) };
    await this.audit(actor, 'admin.user.reset_mail', target, { email: target.email });
    return { status: 'sent' };
  }

  /** Deletes the user and what hangs on it (v1.md §0.9). */
  async remove(actor: Actor, target: User): Promise<AdminOutcome> {
    if (!mayTouch(actor.user, target)) return FORBIDDEN;
    if (actor.user.number === target.number) return guard(MESSAGES.ownAccount);
    return this.lock.run(async () => {
      const fresh = await this.ctx.accounts.byNumber(target.number);
      if (!fresh) return GONE;
      if (!(await this.stillMayTouch(actor, fresh))) return FORBIDDEN;
      if (countsAsSuperuser(fresh) && (await this.otherActiveSuperusers(fresh.number)) === 0) return guard(MESSAGES.lastSuperuser);
      await this.ctx.actions.deleteUser(fresh, { meta: actor.meta, actor: person(actor.user), event: 'admin.user.delete', details: { number: fresh.number } });
      return { ok: true };
    });
  }

  /**
   * Inside the lock, the actor as they are now: an actor demoted or deleted by a change that ran
   * first (two superusers acting on each other) must not act with the rights they had.
   */
  private async stillMayTouch(actor: Actor, target: User): Promise<boolean> {
    const now = await this.ctx.accounts.byNumber(actor.user.number);
    return now !== undefined && isStaff(now) && mayTouch(now, target);
  }

  private async wouldLeaveNoSuperuser(user: User, changes: Changes): Promise<boolean> {
    if (!countsAsSuperuser(user)) return false;
    const after = {
      is_active: flagAfter(user.is_active, changes.is_active),
      is_staff: flagAfter(user.is_staff, changes.is_staff),
      is_superuser: flagAfter(user.is_superuser, changes.is_superuser),
    };
    return !countsAsSuperuser(after) && (await this.otherActiveSuperusers(user.number)) === 0;
  }

  private async otherActiveSuperusers(exceptNumber: number): Promise<number> {
    const row = await this.ctx.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('is_active', '=', 1)
      .where('is_staff', '=', 1)
      .where('is_superuser', '=', 1)
      .where('number', '!=', exceptNumber)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** "Already exists" for an email or username another account holds (case-insensitive). */
  private async uniquenessErrors(user: User, edit: UserEdit): Promise<FormErrors | null> {
    const errors: FormErrors = {};
    if (edit.email && (await this.ctx.accounts.emailTaken(edit.email, user.number))) errors.email = [EDIT_MESSAGES.emailTaken];
    if (edit.username && (await this.ctx.accounts.usernameTaken(edit.username, user.number))) errors.username = [EDIT_MESSAGES.usernameTaken];
    return Object.keys(errors).length ? errors : null;
  }

  private async audit(actor: Actor, event: AuditEventName, target: User, details: Record<string, unknown>): Promise<void> {
    await this.ctx.audit.record({ event, meta: actor.meta, actor: person(actor.user), user: person(target), details });
  }
}

/**
 * The fields whose value the edit really changes, old and new. A changed address resets
 * `email_verified` unless the edit itself says what it should be (admin.md §2.5); a change of
 * letter case only is the same address and keeps it.
 */
function diff(user: User, edit: UserEdit): Changes {
  const changes: Changes = {};
  for (const key of EDIT_KEYS) {
    const wanted = edit[key];
    if (wanted === undefined) continue;
    const current = typeof wanted === 'boolean' ? user[key] === 1 : user[key];
    if (current !== wanted) changes[key] = { old: current, new: wanted };
  }
  const addressChanged = changes.email !== undefined && ciKey(edit.email) !== user.email_ci;
  if (addressChanged && edit.email_verified === undefined && user.email_verified === 1) {
    changes.email_verified = { old: true, new: false };
  }
  return orderChanges(changes);
}

function orderChanges(changes: Changes): Changes {
  const out: Changes = {};
  for (const key of EDIT_KEYS) if (changes[key]) out[key] = changes[key];
  return out;
}

function flagAfter(current: number, change: { new: unknown } | undefined): number {
  return change === undefined ? current : change.new === true ? 1 : 0;
}

function toPatch(changes: Changes): UserPatch {
  const patch: Record<string, unknown> = {};
  for (const [key, change] of Object.entries(changes)) patch[PATCH_KEY[key as TextKey | FlagKey]] = change.new;
  return patch as UserPatch;
}
