// Who may do what in the admin (admin.md §1). The UI and the JSON API both ask here, so the
// superuser-only rules and the guards are worded and decided once.
import type { User } from '../accounts.js';

export const MESSAGES = {
  lastSuperuser: 'At least one active superuser must remain.',
  ownAccount: 'You cannot do this to your own account.',
  noEmail: 'This user has no email address.',
  resetTooSoon: 'A reset email was sent less than a minute ago.',
} as const;

/** Staff: `is_staff` and `is_active`. */
export function isStaff(user: Pick<User, 'is_staff' | 'is_active'>): boolean {
  return user.is_staff === 1 && user.is_active === 1;
}

/** Superuser: staff and `is_superuser`. */
export function isSuperuser(user: Pick<User, 'is_staff' | 'is_active' | 'is_superuser'>): boolean {
  return isStaff(user) && user.is_superuser === 1;
}

/**
 * Editing, setting the password of, revoking, unlocking or deleting an account flagged
 * superuser needs a superuser. The flag alone decides, not the account's current activity:
 * otherwise a staff user could re-activate a deactivated superuser and so make one.
 */
export function mayTouch(actor: User, target: Pick<User, 'is_superuser'>): boolean {
  return target.is_superuser !== 1 || isSuperuser(actor);
}

/** Would this account count toward "at least one active superuser"? */
export function countsAsSuperuser(flags: { is_active: number; is_staff: number; is_superuser: number }): boolean {
  return flags.is_active === 1 && flags.is_staff === 1 && flags.is_superuser === 1;
}
