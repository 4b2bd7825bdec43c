// /admin/api/users/… (admin.md §3.3): list, detail, edit, delete, and the account actions.
// Inside a view: the user (404), the superuser-only rule (403), the body (400/415), then the
// core's admin action, whose refusals map onto the API's answers here.
import type { User } from '../../../core/accounts.js';
import type { Refusal } from '../../../core/admin/outcomes.js';
import { MESSAGES, mayTouch } from '../../../core/admin/permissions.js';
import type { UserFilters } from '../../../core/admin/queries.js';
import type { MfaSummary } from '../../../core/admin/index.js';
import { v1AvatarUrl } from '../../../http/avatar-url.js';
import { Detail } from '../../../http/schemas.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { AdminIdentityView } from '../../../core/oidc/index.js';
import { userJson, withIdentities } from '../service/shapes.js';
import { passwordFrom, readApiData, userEditFrom } from './data.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import { API, detailReply, invalidFields, jsonOk } from './replies.js';
import { AdminUser, BODY_ANSWERS, ADMIN_API_COMMON, INVALID_FILTER, INVALID_PAGE, OBJECT_NOT_FOUND, DONE_NO_CONTENT, PasswordBody, UserEditBody, UserListQuery, pageOf } from './schemas.js';
import { PASSWORD_BODY, USER, USERS_PAGE, USER_EDIT, USER_EDITED } from './examples.js';
import { type AdminApiCall, type AdminApiOperation, type AdminApiRoute, actorOf } from './style.js';

export function refusalReply(r: Refusal): GenericReply {
  switch (r.kind) {
    case 'forbidden':
      return API.forbidden;
    case 'guard':
      return detailReply(400, r.message);
    case 'invalid':
      return invalidFields(r.errors);
    case 'gone':
      return API.notFound;
  }
}

const FILTERS = ['active', 'staff', 'locked', 'verified'] as const;

/** `true`/`false` filters; empty means no filter. */
function userFilters(call: AdminApiCall): { ok: true; filters: UserFilters } | { ok: false; reply: GenericReply } {
  const filters: UserFilters = { q: queryParam(call.request, 'q')?.trim() || undefined };
  for (const name of FILTERS) {
    const raw = queryParam(call.request, name);
    if (raw === undefined || raw === '') continue;
    const v = raw.toLowerCase();
    if (v !== 'true' && v !== 'false') {
      return { ok: false, reply: invalidFields({ [name]: [`Select a valid choice. ${raw} is not one of the available choices.`] }) };
    }
    filters[name] = v === 'true';
  }
  return { ok: true, filters };
}

type UserView = (call: AdminApiCall, user: User) => Promise<GenericReply>;

export function adminUserRoutes(services: AdminServices): AdminApiRoute[] {
  const { ctx } = services;

  /** `mfa` and `identities`: already read for a page of users; read here otherwise. */
  async function shape(call: AdminApiCall, user: User, mfa?: MfaSummary, identities?: readonly AdminIdentityView[]) {
    const json = userJson(user, ctx.lockout, await v1AvatarUrl(ctx, call.request, user), mfa ?? (await ctx.admin.mfaOf(user.number)));
    return withIdentities(json, identities ?? (await ctx.oidc.identities.forAdmin(user.number)));
  }

  /** Runs `then` with the path's user, or answers 404. */
  function withUser(then: UserView): (call: AdminApiCall) => Promise<GenericReply> {
    return async (call) => {
      const user = await ctx.admin.userByPathId(call.params.id);
      return user ? then(call, user) : API.notFound;
    };
  }

  /** As withUser, and the user must be one the caller may touch (superuser-only rule). */
  function withTouchable(then: UserView): (call: AdminApiCall) => Promise<GenericReply> {
    return withUser(async (call, user) => (mayTouch(actorOf(call).user, user) ? then(call, user) : API.forbidden));
  }

  async function list(call: AdminApiCall): Promise<GenericReply> {
    const page = pageRequest(call.request);
    if (!page) return API.invalidPage;
    const f = userFilters(call);
    if (!f.ok) return f.reply;
    const found = await services.queries.users(f.filters, page.offset, page.size);
    if (!pageExists(page, found.count)) return API.invalidPage;
    const numbers = found.items.map((u) => u.number);
    const [mfa, identities] = await Promise.all([ctx.admin.mfaOfMany(numbers), ctx.oidc.identities.forAdminMany(numbers)]);
    return jsonOk(pageBody(call.request, ctx.config, page, found.count, await Promise.all(found.items.map((u) => shape(call, u, mfa.get(u.number), identities.get(u.number))))));
  }

  const detail = withUser(async (call, user) => jsonOk(await shape(call, user)));

  const edit = withTouchable(async (call, user) => {
    const read = await readApiData(call.request);
    if (!read.ok) return read.reply;
    const { input, known } = userEditFrom(read.data);
    const r = await services.users.update(actorOf(call), user, input, known);
    return r.ok ? jsonOk(await shape(call, r.user)) : refusalReply(r);
  });

  const remove = withUser(async (call, user) => {
    const r = await services.users.remove(actorOf(call), user);
    return r.ok ? API.noContent : refusalReply(r);
  });

  const setPassword = withTouchable(async (call, user) => {
    const read = await readApiData(call.request);
    if (!read.ok) return read.reply;
    const pw = passwordFrom(read.data);
    if (!pw.ok) return invalidFields(pw.errors);
    const r = await services.users.setPassword(actorOf(call), user, pw.password);
    return r.ok ? API.noContent : refusalReply(r);
  });

  const unlock = withTouchable(async (call, user) => {
    const r = await services.users.unlock(actorOf(call), user);
    return r.ok ? API.noContent : refusalReply(r);
  });

  const revoke = withTouchable(async (call, user) => {
    const r = await services.users.revokeSessions(actorOf(call), user);
    return r.ok ? API.noContent : refusalReply(r);
  });

  const resetMfa = withTouchable(async (call, user) => {
    const r = await services.users.resetTwoFactor(actorOf(call), user);
    return r.ok ? API.noContent : refusalReply(r);
  });

  const sendReset = withUser(async (call, user) => {
    const r = await services.users.sendResetMail(actorOf(call), user);
    if (r.status === 'forbidden') return API.forbidden;
    if (r.status === 'no_email') return detailReply(400, MESSAGES.noEmail);
    if (r.status === 'limited') return detailReply(429, MESSAGES.resetTooSoon, { 'Retry-After': String(r.retryAfterSec) });
    return API.noContent;
  });

  /** A POST action on one user: 204, or one of the refusals. */
  function action(operationId: string, summary: string, handle: AdminApiOperation['handle'], extra: AdminApiOperation['responses'] = {}): AdminApiOperation {
    return { operationId, summary, responses: { 204: DONE_NO_CONTENT, 404: OBJECT_NOT_FOUND, ...ADMIN_API_COMMON, ...extra }, handle };
  }

  return [
    {
      paths: ['/admin/api/users/', '/admin/api/users'],
      name: 'Users',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'adminListUsers',
          summary: 'Users, newest first',
          query: UserListQuery,
          responses: { 200: { description: 'A page of users', schema: pageOf(AdminUser), example: USERS_PAGE }, 400: INVALID_FILTER, 404: INVALID_PAGE, ...ADMIN_API_COMMON },
          handle: list,
        },
      },
    },
    {
      paths: ['/admin/api/users/:id/', '/admin/api/users/:id'],
      name: 'User',
      credential: 'required',
      methods: {
        GET: { operationId: 'adminGetUser', summary: 'One user', responses: { 200: { description: 'The user', schema: AdminUser, example: USER }, 404: OBJECT_NOT_FOUND, ...ADMIN_API_COMMON }, handle: detail },
        PATCH: {
          operationId: 'adminUpdateUser',
          summary: 'Edit a user (the keys sent); audited with the changed fields',
          description: 'A new email is unverified unless `email_verified` is sent too; clearing `is_active` ends every session and token.',
          body: { readByHandler: true, schema: UserEditBody, example: USER_EDIT },
          responses: { 200: { description: 'The user as saved', schema: AdminUser, example: USER_EDITED }, 404: OBJECT_NOT_FOUND, ...BODY_ANSWERS, ...ADMIN_API_COMMON },
          handle: edit,
        },
        DELETE: { operationId: 'adminDeleteUser', summary: 'Delete a user and everything that hangs on it', responses: { 204: DONE_NO_CONTENT, 400: { description: 'A guard: `{"detail": "…"}`', schema: Detail, example: { detail: MESSAGES.ownAccount } }, 404: OBJECT_NOT_FOUND, ...ADMIN_API_COMMON }, handle: remove },
      },
    },
    {
      paths: ['/admin/api/users/:id/password/', '/admin/api/users/:id/password'],
      name: 'User Password',
      credential: 'required',
      methods: {
        POST: {
          ...action('adminSetUserPassword', 'Set a user’s password; every session and token of the user ends', setPassword, BODY_ANSWERS),
          body: { readByHandler: true, schema: PasswordBody, example: PASSWORD_BODY },
        },
      },
    },
    {
      paths: ['/admin/api/users/:id/unlock/', '/admin/api/users/:id/unlock'],
      name: 'User Unlock',
      credential: 'required',
      methods: { POST: action('adminUnlockUser', 'Clear a user’s lockout streak and lock', unlock) },
    },
    {
      paths: ['/admin/api/users/:id/revoke-sessions/', '/admin/api/users/:id/revoke-sessions'],
      name: 'User Revoke Sessions',
      credential: 'required',
      methods: { POST: action('adminRevokeUserSessions', 'End every session and token of a user', revoke) },
    },
    {
      paths: ['/admin/api/users/:id/mfa/reset/', '/admin/api/users/:id/mfa/reset'],
      name: 'User MFA Reset',
      credential: 'required',
      methods: {
        POST: action('adminResetUserMfa', 'Turn off a user’s two-factor: TOTP, recovery codes and passkeys removed, every session ended, the user mailed', resetMfa),
      },
    },
    {
      paths: ['/admin/api/users/:id/send-reset/', '/admin/api/users/:id/send-reset'],
      name: 'User Send Reset',
      credential: 'required',
      methods: {
        POST: action('adminSendUserReset', 'Mail a user a password reset link', sendReset, {
          400: { description: '`{"detail": "This user has no email address."}`', schema: Detail },
          429: { ...ADMIN_API_COMMON[429], description: 'Throttled, or `{"detail": "A reset email was sent less than a minute ago."}`', example: { detail: MESSAGES.resetTooSoon } },
        }),
      },
    },
  ];
}
