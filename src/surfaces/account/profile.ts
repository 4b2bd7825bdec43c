// GET /account/profile and POST /account/delete (account.md §2.4, §2.5).
import type { AppContext } from '../../context.js';
import type { KeyHolder } from '../../core/account-keys.js';
import type { User } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import type { View } from '../../http/drf-view.js';
import { SUCCESS } from './replies.js';

/** The UTC creation date as DD-MM-YYYY (stored times are microseconds). */
export function createdDate(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}-${two(d.getUTCMonth() + 1)}-${String(d.getUTCFullYear()).padStart(4, '0')}`;
}

function profileData(user: User) {
  return { id: user.number, username: user.username, email: user.email, created: createdDate(user.created), picture: user.picture };
}

export function profileView(): View<KeyHolder> {
  return {
    name: 'Profile',
    summary: "The caller's profile",
    method: 'GET',
    auth: 'required',
    async handle({ user: holder }) {
      return { status: 200, body: { success: true, data: profileData(holder.user) } };
    },
  };
}

export function deleteView(ctx: AppContext): View<KeyHolder> {
  return {
    name: 'Delete',
    summary: 'Delete the caller and everything tied to them',
    method: 'POST',
    auth: 'required',
    async handle({ request, user: holder }) {
      // The core removes the row, the key (cascade), login slots and the avatar, and
      // blacklists refresh tokens of the JWT surfaces (v1.md §0.9).
      await ctx.actions.deleteUser(holder.user, { meta: requestMeta(request, 'account'), event: 'user.delete' });
      return SUCCESS;
    },
  };
}
