// sessions/ and sessions/<id>/ (v1.md §5.8): the caller's knox tokens and live JWT logins,
// newest first, and ending one of them. Ending the one in use logs the caller out.
import type { AppContext } from '../../context.js';
import type { KnoxToken } from '../../core/knox.js';
import { isoMicros, isoOrNull } from '../../core/time.js';
import type { JwtLogin } from '../../core/v1-logins.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { BAD_UUID, NO_CONTENT, TEXT, json } from './messages.js';
import { COMMON, NO_CONTENT as NO_CONTENT_DOC, SessionEntry, says } from './schemas.js';
import { SESSIONS } from './examples.js';
import { type SignedIn, type V1Call, type V1Route, signedIn, v1Path } from './style.js';
import { parseUuid } from './uuid.js';

const SESSION_MISSING = json(404, TEXT.sessionMissing);

function knoxEntry(t: KnoxToken, auth: SignedIn) {
  return {
    id: t.id, kind: 'knox', created: isoMicros(t.created), last_used: isoOrNull(t.last_used), expires: isoMicros(t.expires),
    ip: t.ip, user_agent: t.user_agent, current: auth.kind === 'knox' && auth.token.id === t.id,
  };
}

function loginEntry(l: JwtLogin, auth: SignedIn) {
  return {
    id: l.id, kind: 'jwt', created: isoMicros(l.created), last_used: isoOrNull(l.last_used), expires: isoMicros(l.refresh_exp * 1_000_000),
    ip: l.ip, user_agent: l.user_agent, current: auth.kind === 'jwt' && auth.loginId === l.id,
  };
}

export function sessionRoutes(ctx: AppContext): V1Route[] {
  async function list({ auth }: V1Call): Promise<GenericReply> {
    const signed = signedIn(auth);
    const [tokens, live] = await Promise.all([ctx.knox.listOf(signed.user.number), ctx.v1Logins.liveOf(signed.user.id)]);
    const entries = [
      ...tokens.map((t) => ({ at: t.created, entry: knoxEntry(t, signed) })),
      ...live.map((l) => ({ at: l.created, entry: loginEntry(l, signed) })),
    ];
    entries.sort((a, b) => b.at - a.at || (a.entry.id < b.entry.id ? 1 : -1));
    return json(200, entries.map((e) => e.entry));
  }

  async function end({ request, auth, params }: V1Call): Promise<GenericReply> {
    const signed = signedIn(auth);
    const id = parseUuid(params.id ?? '');
    if (id === null) return BAD_UUID;
    const [tokens, live] = await Promise.all([ctx.knox.listOf(signed.user.number), ctx.v1Logins.liveOf(signed.user.id)]);
    const ended = await ctx.actions.endOwnSession(signed.user, id, { knoxIds: tokens.map((t) => t.id), loginIds: live.map((l) => l.id) }, { meta: requestMeta(request, 'v1') });
    return ended ? NO_CONTENT : SESSION_MISSING;
  }

  return [
    {
      paths: [v1Path('sessions/')],
      name: 'Sessions',
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: { operationId: 'v1ListSessions', summary: 'The caller’s knox tokens and live JWT logins, newest first', responses: { 200: { description: 'The sessions', schema: Type.Array(SessionEntry), example: SESSIONS }, ...COMMON }, handle: list },
      },
    },
    {
      paths: [v1Path('sessions/:id/')],
      name: 'Session Detail',
      credential: 'required',
      throttle: 'user',
      methods: {
        DELETE: {
          operationId: 'v1EndSession',
          summary: 'End one of the caller’s sessions (the current one logs the caller out)',
          responses: { 204: NO_CONTENT_DOC, 400: says('Badly formed hexadecimal uuid string'), 404: says('Session does not exist.'), ...COMMON },
          handle: end,
        },
      },
    },
  ];
}
