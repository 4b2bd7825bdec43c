// /admin/api/profiles/<kind>/… (admin.md §3.3): list with search, read, edit, delete. Each kind
// has routes of its own, so an unknown kind is an unknown path.
import type { Profile, ProfileKind } from '../../../core/profiles.js';
import { PROFILE_KINDS } from '../../../core/profiles.js';
import type { GenericReply } from '../../../http/surface.js';
import { profileJson } from '../service/shapes.js';
import { profileEditFrom, readData } from './data.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import type { ApiCall, ApiHandler, ApiRoute } from './pipeline.js';
import { API, ok } from './replies.js';
import { refusalReply } from './users.js';

function list(kind: ProfileKind): ApiHandler {
  return async (call) => {
    const page = pageRequest(call.request);
    if (!page) return API.invalidPage;
    const q = queryParam(call.request, 'q')?.trim() ?? '';
    const found = await call.services.ctx.profiles.search(kind, q, page.offset, page.size);
    if (!pageExists(page, found.count)) return API.invalidPage;
    return ok(pageBody(call.request, call.services.ctx.config, page, found.count, found.items.map(profileJson)));
  };
}

function withProfile(kind: ProfileKind, then: (call: ApiCall, profile: Profile) => Promise<GenericReply>): ApiHandler {
  return async (call) => {
    const profile = await call.services.ctx.admin.profileByPathId(kind, call.params.id);
    return profile ? then(call, profile) : API.notFound;
  };
}

function routesOf(kind: ProfileKind): ApiRoute[] {
  const detail = withProfile(kind, async (_call, profile) => ok(profileJson(profile)));
  const edit = withProfile(kind, async (call, profile) => {
    const read = await readData(call.request);
    if (!read.ok) return read.reply;
    const { input, known } = profileEditFrom(read.data);
    const r = await call.services.profiles.update(call.actor, profile, input, known);
    return r.ok ? ok(profileJson(r.profile)) : refusalReply(r);
  });
  const remove = withProfile(kind, async (call, profile) => {
    const r = await call.services.profiles.remove(call.actor, profile);
    return r.ok ? API.noContent : refusalReply(r);
  });
  return [
    { path: `/admin/api/profiles/${kind}/`, summary: `${kind} profiles, newest first`, methods: { GET: list(kind) } },
    { path: `/admin/api/profiles/${kind}/:id/`, summary: `One ${kind} profile: read, edit, delete`, methods: { GET: detail, PATCH: edit, DELETE: remove } },
  ];
}

export function profileRoutes(): ApiRoute[] {
  return PROFILE_KINDS.flatMap(routesOf);
}
