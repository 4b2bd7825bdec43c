// /admin/api/profiles/<kind>/… (admin.md §3.3): list with search, read, edit, delete. Each kind
// has routes of its own, so an unknown kind is an unknown path.
import { PROFILE_KINDS, type Profile, type ProfileKind } from '../../../core/profiles.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { profileJson } from '../service/shapes.js';
import { profileEditFrom, readApiData } from './data.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import { API, jsonOk } from './replies.js';
import { AdminProfile, BODY_ANSWERS, ADMIN_API_COMMON, INVALID_PAGE, OBJECT_NOT_FOUND, DONE_NO_CONTENT, ProfileEditBody, ProfileListQuery, pageOf } from './schemas.js';
import { PROFILE, PROFILES_PAGE, PROFILE_EDIT, PROFILE_EDITED } from './examples.js';
import type { AdminApiCall, AdminApiRoute } from './style.js';
import { actorOf } from './style.js';
import { refusalReply } from './users.js';

const TITLE: Record<ProfileKind, string> = { artist: 'Artist', collector: 'Collector' };

function routesOf(services: AdminServices, kind: ProfileKind): AdminApiRoute[] {
  const { ctx } = services;
  const Kind = TITLE[kind];

  async function list(call: AdminApiCall): Promise<GenericReply> {
    const page = pageRequest(call.request);
    if (!page) return API.invalidPage;
    const q = queryParam(call.request, 'q')?.trim() ?? '';
    const found = await ctx.profiles.search(kind, q, page.offset, page.size);
    if (!pageExists(page, found.count)) return API.invalidPage;
    return jsonOk(pageBody(call.request, ctx.config, page, found.count, found.items.map(profileJson)));
  }

  function withProfile(then: (call: AdminApiCall, profile: Profile) => Promise<GenericReply>): (call: AdminApiCall) => Promise<GenericReply> {
    return async (call) => {
      const profile = await ctx.admin.profileByPathId(kind, call.params.id);
      return profile ? then(call, profile) : API.notFound;
    };
  }

  const detail = withProfile(async (_call, profile) => jsonOk(profileJson(profile)));
  const edit = withProfile(async (call, profile) => {
    const read = await readApiData(call.request);
    if (!read.ok) return read.reply;
    const { input, known } = profileEditFrom(read.data);
    const r = await services.profiles.update(actorOf(call), profile, input, known);
    return r.ok ? jsonOk(profileJson(r.profile)) : refusalReply(r);
  });
  const remove = withProfile(async (call, profile) => {
    const r = await services.profiles.remove(actorOf(call), profile);
    return r.ok ? API.noContent : refusalReply(r);
  });

  return [
    {
      paths: [`/admin/api/profiles/${kind}/`, `/admin/api/profiles/${kind}`],
      name: `${Kind} Profiles`,
      credential: 'required',
      methods: {
        GET: {
          operationId: `adminList${Kind}Profiles`,
          summary: `${Kind} profiles, newest first`,
          query: ProfileListQuery,
          responses: { 200: { description: 'A page of profiles', schema: pageOf(AdminProfile), example: { ...PROFILES_PAGE, results: PROFILES_PAGE.results.map((p) => ({ ...p, kind })) } }, 404: INVALID_PAGE, ...ADMIN_API_COMMON },
          handle: list,
        },
      },
    },
    {
      paths: [`/admin/api/profiles/${kind}/:id/`, `/admin/api/profiles/${kind}/:id`],
      name: `${Kind} Profile`,
      credential: 'required',
      methods: {
        GET: { operationId: `adminGet${Kind}Profile`, summary: `One ${kind} profile`, responses: { 200: { description: 'The profile', schema: AdminProfile, example: { ...PROFILE, kind } }, 404: OBJECT_NOT_FOUND, ...ADMIN_API_COMMON }, handle: detail },
        PATCH: {
          operationId: `adminUpdate${Kind}Profile`,
          summary: `Edit a ${kind} profile (bio, instagram)`,
          body: { readByHandler: true, schema: ProfileEditBody, example: PROFILE_EDIT },
          responses: { 200: { description: 'The profile as saved', schema: AdminProfile, example: { ...PROFILE_EDITED, kind } }, 404: OBJECT_NOT_FOUND, ...BODY_ANSWERS, ...ADMIN_API_COMMON },
          handle: edit,
        },
        DELETE: { operationId: `adminDelete${Kind}Profile`, summary: `Delete a ${kind} profile (the account stays)`, responses: { 204: DONE_NO_CONTENT, 404: OBJECT_NOT_FOUND, ...ADMIN_API_COMMON }, handle: remove },
      },
    },
  ];
}

export function adminProfileRoutes(services: AdminServices): AdminApiRoute[] {
  return PROFILE_KINDS.flatMap((kind) => routesOf(services, kind));
}
