// /admin/api/users/… (admin.md §3.3): list, detail, edit, delete, and the account actions.
// Inside a handler: the user (404), the superuser-only rule (403), the body (400/415), then
// the shared action, whose refusals map onto the API's answers here.
import { v1AvatarUrl } from '../../../http/avatar-url.js';
import type { FastifyRequest } from 'fastify';
import type { User } from '../../../core/accounts.js';
import type { GenericReply } from '../../../http/surface.js';

import type { Refusal } from '../../../core/admin/outcomes.js';
import { MESSAGES, mayTouch } from '../../../core/admin/permissions.js';
import type { UserFilters } from '../../../core/admin/queries.js';
import { userJson } from '../service/shapes.js';
import { passwordFrom, readData, userEditFrom } from './data.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import type { ApiCall, ApiHandler, ApiRoute } from './pipeline.js';
import { API, badRequest, fieldErrors, ok, tooSoon } from './replies.js';

export function refusalReply(r: Refusal): GenericReply {
  switch (r.kind) {
    case 'forbidden':
      return API.forbidden;
    case 'guard':
      return badRequest(r.message);
    case 'invalid':
      return fieldErrors(r.errors);
    case 'gone':
      return API.notFound;
  }
}

async function shape(call: ApiCall, user: User) {
  return userJson(user, call.services.ctx.lockout, await v1AvatarUrl(call.services.ctx, call.request, user));
}

const FILTERS = ['active', 'staff', 'locked', 'verified'] as const;

/** `true`/`false` filters; empty means no filter. */
function userFilters(request: FastifyRequest): { ok: true; filters: UserFilters } | { ok: false; reply: GenericReply } {
  const filters: UserFilters = { q: queryParam(request, 'q')?.trim() || undefined };
  for (const name of FILTERS) {
    const raw = queryParam(request, name);
    if (raw === undefined || raw === '') continue;
    const v = raw.toLowerCase();
    if (v !== 'true' && v !== 'false') {
      return { ok: false, reply: fieldErrors({ [name]: [`Select a valid choice. ${raw} is not one of the available choices.`] }) };
    }
    filters[name] = v === 'true';
  }
  return { ok: true, filters };
}

const list: ApiHandler = async (call) => {
  const page = pageRequest(call.request);
  if (!page) return API.invalidPage;
  const f = userFilters(call.request);
  if (!f.ok) return f.reply;
  const found = await call.services.queries.users(f.filters, page.offset, page.size);
  if (!pageExists(page, found.count)) return API.invalidPage;
  return ok(pageBody(call.request, call.services.ctx.config, page, found.count, await Promise.all(found.items.map((u) => shape(call, u)))));
};

/** Runs `then` with the path's user, or answers 404. */
function withUser(then: (call: ApiCall, user: User) => Promise<GenericReply>): ApiHandler {
  return async (call) => {
    const user = await call.services.ctx.admin.userByPathId(call.params.id);
    return user ? then(call, user) : API.notFound;
  };
}

/** As withUser, and the user must be one the caller may touch (superuser-only rule). */
function withTouchable(then: (call: ApiCall, user: User) => Promise<GenericReply>): ApiHandler {
  return withUser(async (call, user) => (mayTouch(call.staff, user) ? then(call, user) : API.forbidden));
}

const detail = withUser(async (call, user) => ok(await shape(call, user)));

const edit = withTouchable(async (call, user) => {
  const read = await readData(call.request);
  if (!read.ok) return read.reply;
  const { input, known } = userEditFrom(read.data);
  const r = await call.services.users.update(call.actor, user, input, known);
  return r.ok ? ok(await shape(call, r.user)) : refusalReply(r);
});

const remove = withUser(async (call, user) => {
  const r = await call.services.users.remove(call.actor, user);
  return r.ok ? API.noContent : refusalReply(r);
});

const setPassword = withTouchable(async (call, user) => {
  const read = await readData(call.request);
  if (!read.ok) return read.reply;
  const pw = passwordFrom(read.data);
  if (!pw.ok) return fieldErrors(pw.errors);
  const r = await call.services.users.setPassword(call.actor, user, pw.password);
  return r.ok ? API.noContent : refusalReply(r);
});

const unlock = withTouchable(async (call, user) => {
  const r = await call.services.users.unlock(call.actor, user);
  return r.ok ? API.noContent : refusalReply(r);
});

const revoke = withTouchable(async (call, user) => {
  const r = await call.services.users.revokeSessions(call.actor, user);
  return r.ok ? API.noContent : refusalReply(r);
});

const sendReset = withUser(async (call, user) => {
  const r = await call.services.users.sendResetMail(call.actor, user);
  if (r.status === 'forbidden') return API.forbidden;
  if (r.status === 'no_email') return badRequest(MESSAGES.noEmail);
  if (r.status === 'limited') return tooSoon(MESSAGES.resetTooSoon, r.retryAfterSec);
  return API.noContent;
});

export function userRoutes(): ApiRoute[] {
  return [
    { path: '/admin/api/users/', summary: 'Users, newest first', methods: { GET: list } },
    { path: '/admin/api/users/:id/', summary: 'One user: read, edit, delete', methods: { GET: detail, PATCH: edit, DELETE: remove } },
    { path: '/admin/api/users/:id/password/', summary: 'Set a user\u2019s password', methods: { POST: setPassword } },
    { path: '/admin/api/users/:id/unlock/', summary: 'Clear a user\u2019s lockout', methods: { POST: unlock } },
    { path: '/admin/api/users/:id/revoke-sessions/', summary: 'End every session and token of a user', methods: { POST: revoke } },
    { path: '/admin/api/users/:id/send-reset/', summary: 'Mail a user a password reset link', methods: { POST: sendReset } },
  ];
}
