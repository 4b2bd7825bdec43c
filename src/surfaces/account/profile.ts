// GET /account/profile and POST /account/delete (account.md §2.4, §2.5).
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { DRF_COMMON_DOCS, callerOf } from '../../http/drf-style.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { SUCCESS } from './replies.js';
import { ACCOUNT_UNAUTHORIZED, ProfileAnswer, Success } from './schemas.js';
import { DONE, PROFILE } from './examples.js';
import { type AccountCall, type AccountRoute, accountPath } from './style.js';

/** The UTC creation date as DD-MM-YYYY (stored times are microseconds). */
export function createdDate(micros: number): string {
  const d = new Date(Math.floor(micros / 1000));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}-${two(d.getUTCMonth() + 1)}-${String(d.getUTCFullYear()).padStart(4, '0')}`;
}

function profileData(user: User) {
  return { id: user.number, username: user.username, email: user.email, created: createdDate(user.created), picture: user.picture };
}

export function accountProfileRoutes(ctx: AppContext): AccountRoute[] {
  async function profile({ auth }: AccountCall): Promise<GenericReply> {
    return { status: 200, body: { success: true, data: profileData(callerOf(auth).user) } };
  }

  async function remove({ request, auth }: AccountCall): Promise<GenericReply> {
    // The core removes the row, the key (cascade), login slots and the avatar, and
    // blacklists refresh tokens of the JWT surfaces (v1.md §0.9).
    await ctx.actions.deleteUser(callerOf(auth).user, { meta: requestMeta(request, 'account'), event: 'user.delete' });
    return SUCCESS;
  }

  return [
    {
      paths: [accountPath('profile')],
      name: 'Profile',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'accountGetProfile',
          summary: "The caller's profile",
          responses: { 200: { description: 'The profile; `id` is the user’s number', schema: ProfileAnswer, example: PROFILE }, 401: ACCOUNT_UNAUTHORIZED, ...DRF_COMMON_DOCS },
          handle: profile,
        },
      },
    },
    {
      paths: [accountPath('delete')],
      name: 'Delete',
      credential: 'required',
      methods: {
        POST: {
          operationId: 'accountDelete',
          summary: 'Delete the caller and everything tied to them',
          responses: { 200: { description: '{"success": true}', schema: Success, example: DONE }, 401: ACCOUNT_UNAUTHORIZED, ...DRF_COMMON_DOCS },
          handle: remove,
        },
      },
    },
  ];
}
