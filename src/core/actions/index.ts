// The account actions, one module each, bound to the core's dependencies: the only way a
// surface or the admin changes a user or what hangs on it.
import type { User } from '../accounts.js';
import type { KeyHolder } from '../account-keys.js';
import type { Session } from '../browser-sessions.js';
import { type AvatarImage, type AvatarNaming, type AvatarOutcome, removeAvatar, replaceAvatar } from './avatar.js';
import { type DeleteContext, deleteUser } from './delete-user.js';
import type { ActionContext, ActionDeps } from './deps.js';
import {
  type EndAllContext,
  type PresentedAccess,
  endAllSessions,
  endAllSessionsIn,
  endOwnSession,
  logoutAccountKey,
  logoutBrowserSession,
  logoutKnox,
  logoutKnoxAll,
  logoutUserAccount,
  logoutV1Jwt,
} from './end-sessions.js';
import { type PasswordChangeContext, type ResetOutcome, type ResetPurpose, changePassword, completeReset, resetTokenOwner } from './password.js';
import { type RegisterContext, type RegisterOutcome, type Registration, register } from './register.js';
import { requestUaReset, requestV1Reset } from './request-reset.js';
import { type AccountChange, type UpdateContext, type UpdateOutcome, updateAccount } from './update-account.js';
import { type VerifyOutcome, type VerifyPurpose, verifyEmail } from './verify-email.js';

import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Aftermath } from '../revocation.js';

type Person = Pick<User, 'id' | 'number' | 'email' | 'username'>;

export class AccountActions {
  constructor(private readonly d: ActionDeps) {}

  register(input: Registration, c: RegisterContext): Promise<RegisterOutcome> {
    return register(this.d, input, c);
  }

  update(user: User, change: AccountChange, c: UpdateContext): Promise<UpdateOutcome> {
    return updateAccount(this.d, user, change, c);
  }

  changePassword(user: User, password: string, c: PasswordChangeContext): Promise<User> {
    return changePassword(this.d, user, password, c);
  }

  resetTokenOwner(token: string, purpose: ResetPurpose): Promise<User | null> {
    return resetTokenOwner(this.d, token, purpose);
  }

  completeReset(token: string, purpose: ResetPurpose, password: string, c: ActionContext): Promise<ResetOutcome> {
    return completeReset(this.d, token, purpose, password, c);
  }

  requestV1Reset(user: User, c: ActionContext): Promise<void> {
    return requestV1Reset(this.d, user, c);
  }

  requestUaReset(user: User, c: ActionContext): Promise<void> {
    return requestUaReset(this.d, user, c);
  }

  verifyEmail(token: string, purpose: VerifyPurpose, c: ActionContext): Promise<VerifyOutcome> {
    return verifyEmail(this.d, token, purpose, c);
  }

  replaceAvatar(user: Pick<User, 'number'>, image: AvatarImage, naming: AvatarNaming): Promise<AvatarOutcome> {
    return replaceAvatar(this.d, user, image, naming);
  }

  removeAvatar(user: Pick<User, 'number'>): Promise<AvatarOutcome> {
    return removeAvatar(this.d, user);
  }

  deleteUser(user: Person, c: DeleteContext): Promise<void> {
    return deleteUser(this.d, user, c);
  }

  endAllSessions(user: Person, c: EndAllContext): Promise<void> {
    return endAllSessions(this.d, user, c);
  }

  /** `endAllSessions` inside the caller's transaction; `finishEnding` after it committed. */
  endAllSessionsIn(trx: Transaction<Database>, user: Person, c: EndAllContext): Promise<Aftermath> {
    return endAllSessionsIn(this.d, trx, user, c);
  }

  /** The denylist, browser sessions and files of ended sessions, once their transaction committed. */
  finishEnding(after: Aftermath): Promise<void> {
    return this.d.revocation.finish(after);
  }

  endOwnSession(user: Person, id: string, live: { knoxIds: string[]; loginIds: string[] }, c: ActionContext): Promise<'knox' | 'jwt' | null> {
    return endOwnSession(this.d, user, id, live, c);
  }

  logoutKnox(user: Person, tokenId: string, c: ActionContext): Promise<void> {
    return logoutKnox(this.d, user, tokenId, c);
  }

  logoutKnoxAll(user: Person, c: ActionContext): Promise<number> {
    return logoutKnoxAll(this.d, user, c);
  }

  logoutV1Jwt(user: Person, access: PresentedAccess, heldRefreshJti: string | null, c: ActionContext): Promise<void> {
    return logoutV1Jwt(this.d, user, access, heldRefreshJti, c);
  }

  logoutAccountKey(holder: KeyHolder, c: ActionContext): Promise<void> {
    return logoutAccountKey(this.d, holder, c);
  }

  logoutBrowserSession(user: Person, session: Session, c: ActionContext): Promise<void> {
    return logoutBrowserSession(this.d, user, session, c);
  }

  logoutUserAccount(user: Person, access: { jti: string | null; exp: number | null }, c: ActionContext): Promise<void> {
    return logoutUserAccount(this.d, user, access, c);
  }
}
