// Artist and collector profiles (v1.md §4): list with optional paging, create (one of each kind
// per user), and detail GET / partial PUT / DELETE by the owner. The two kinds differ only in
// their words.
import type { AppContext } from '../../context.js';
import { type Profile, type ProfileKind, PROFILE_KINDS, decodeCursor, encodeCursor } from '../../core/profiles.js';
import { publicBase } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { BAD_UUID, NO_CONTENT, TEXT, invalid, json } from './messages.js';
import { BAD_REQUEST, COMMON, NO_CONTENT as NO_CONTENT_DOC, Profile as ProfileSchema, says } from './schemas.js';
import { PROFILE, PROFILE_BODY, PROFILE_UPDATE, PROFILE_UPDATED } from './examples.js';
import { PREFIX, type V1Call as Call, type V1Route, signedIn, v1Path } from './style.js';
import { parseUuid } from './uuid.js';
import { type FieldSpec, instagramFormat, maxLength, validate } from './validation.js';

const FIELDS: FieldSpec[] = [
  { key: 'bio', required: false, trim: false, allowBlank: true },
  { key: 'instagram', required: false, allowBlank: true, validators: [maxLength(255), instagramFormat] },
];
const MAX_PAGE = 1000;
const PROFILE_MISSING = json(404, TEXT.profileMissing);
const NOT_OWNER = json(403, TEXT.notOwner);

function profileJson(p: Profile) {
  return { id: p.id, bio: p.bio, instagram: p.instagram, user: p.username };
}

/** The last value of a query key (Django's QueryDict.get), or undefined. */
function queryValue(request: Call['request'], key: string): string | undefined {
  const v = (request.query as Record<string, string | string[] | undefined>)[key];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function parseLimit(text: string): number | null {
  if (!/^\s*\+?\d{1,7}\s*$/.test(text)) return null;
  const n = Number(text);
  return n >= 1 && n <= MAX_PAGE ? n : null;
}

const ProfileFields = Type.Object({
  bio: Type.Optional(Type.String({ description: 'Free text, kept as sent' })),
  instagram: Type.Optional(Type.String({ maxLength: 255, format: 'uri', description: 'An http(s) or ftp(s) URL, or blank' })),
});

export function profileRoutes(ctx: AppContext): V1Route[] {
  return PROFILE_KINDS.flatMap((kind) => kindRoutes(ctx, kind));
}

function kindRoutes(ctx: AppContext, kind: ProfileKind): V1Route[] {
  const title = kind === 'artist' ? 'Artist' : 'Collector';
  const exists = json(409, `This user has an existing ${kind} profile.`);
  const listPath = `profile/${kind}/`;

  /** §4.1: newest first; `limit`/`before` page it, with a Link to the next page when more exist. */
  async function list({ request }: Call): Promise<GenericReply> {
    const limitText = queryValue(request, 'limit');
    const beforeText = queryValue(request, 'before');
    const limit = limitText === undefined ? MAX_PAGE : parseLimit(limitText);
    const before = beforeText === undefined ? null : decodeCursor(beforeText);
    const errors: string[] = [];
    if (limit === null) errors.push(TEXT.badLimit);
    if (beforeText !== undefined && before === null) errors.push(TEXT.badCursor);
    if (errors.length || limit === null) return invalid(errors);
    const page = await ctx.profiles.page(kind, limit, before);
    const body = page.items.map(profileJson);
    if (!page.next) return json(200, body);
    const next = `${publicBase(request, ctx.config)}${PREFIX}${listPath}?limit=${limit}&before=${encodeCursor(page.next)}`;
    return json(200, body, { Link: `<${next}>; rel="next"` });
  }

  async function create({ auth, body }: Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const v = await validate(body, FIELDS);
    if (!v.ok) return invalid(v.errors);
    const profile = await ctx.profiles.create(kind, user.number, v.values);
    return profile ? json(201, profileJson(profile)) : exists;
  }

  /** UUID (400), then existence (404): the first two checks of every detail method. */
  async function find(call: Call): Promise<{ profile: Profile } | { reply: GenericReply }> {
    const id = parseUuid(call.params.id ?? '');
    if (id === null) return { reply: BAD_UUID };
    const profile = await ctx.profiles.get(kind, id);
    return profile ? { profile } : { reply: PROFILE_MISSING };
  }

  async function show(call: Call): Promise<GenericReply> {
    const found = await find(call);
    return 'reply' in found ? found.reply : json(200, profileJson(found.profile));
  }

  /** §4.4: partial; field errors come before the ownership check, also for non-owners. */
  async function update(call: Call): Promise<GenericReply> {
    const found = await find(call);
    if ('reply' in found) return found.reply;
    const v = await validate(call.body, FIELDS);
    if (!v.ok) return invalid(v.errors);
    if (found.profile.user_number !== signedIn(call.auth).user.number) return NOT_OWNER;
    const updated = await ctx.profiles.update(kind, found.profile.id, v.values);
    return updated ? json(202, profileJson(updated)) : PROFILE_MISSING;
  }

  async function remove(call: Call): Promise<GenericReply> {
    const found = await find(call);
    if ('reply' in found) return found.reply;
    if (found.profile.user_number !== signedIn(call.auth).user.number) return NOT_OWNER;
    return (await ctx.profiles.delete(kind, found.profile.id)) ? NO_CONTENT : PROFILE_MISSING;
  }

  const Kind = title;
  const NOT_FOUND_DOC = says(TEXT.profileMissing);
  const FORBIDDEN_DOC = says(TEXT.notOwner);
  const BAD_ID = { description: 'Validation failed, or "Badly formed hexadecimal uuid string"', schema: BAD_REQUEST.schema };
  return [
    {
      paths: [v1Path(listPath)],
      name: `${title} Profile List`,
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: {
          operationId: `v1List${Kind}Profiles`,
          summary: `Every ${kind} profile, newest first (paged with limit and before)`,
          query: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE })), before: Type.Optional(Type.String({ description: 'Cursor from the Link header' })) }),
          responses: {
            200: { description: 'The profiles; a Link header names the next page when there is one', schema: Type.Array(ProfileSchema), example: [PROFILE], headers: { Link: { description: '<…?limit=N&before=…>; rel="next"', schema: Type.String() } } },
            400: BAD_REQUEST,
            ...COMMON,
          },
          handle: list,
        },
        POST: {
          operationId: `v1Create${Kind}Profile`,
          summary: `Create the caller's ${kind} profile (one per user)`,
          body: { schema: ProfileFields, example: PROFILE_BODY },
          responses: { 201: { description: 'Created', schema: ProfileSchema, example: PROFILE }, 400: BAD_REQUEST, 409: says(`This user has an existing ${kind} profile.`), ...COMMON },
          handle: create,
        },
      },
    },
    {
      paths: [v1Path(`${listPath}:id/`)],
      name: `${title} Profile Detail`,
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: { operationId: `v1Get${Kind}Profile`, summary: `One ${kind} profile`, responses: { 200: { description: 'The profile', schema: ProfileSchema, example: PROFILE }, 400: BAD_ID, 404: NOT_FOUND_DOC, ...COMMON }, handle: show },
        PUT: {
          operationId: `v1Update${Kind}Profile`,
          summary: `Change the caller's ${kind} profile (only the keys sent)`,
          body: { schema: ProfileFields, example: PROFILE_UPDATE },
          responses: { 202: { description: 'Updated', schema: ProfileSchema, example: PROFILE_UPDATED }, 400: BAD_ID, 403: FORBIDDEN_DOC, 404: NOT_FOUND_DOC, ...COMMON },
          handle: update,
        },
        DELETE: { operationId: `v1Delete${Kind}Profile`, summary: `Delete the caller's ${kind} profile`, responses: { 204: NO_CONTENT_DOC, 400: BAD_ID, 403: FORBIDDEN_DOC, 404: NOT_FOUND_DOC, ...COMMON }, handle: remove },
      },
    },
  ];
}
