// sessions/ and sessions/<id>/ (v1.md §5.8): the caller's knox tokens and live JWT logins,
// newest first, and ending one of them. Ending the one in use logs the caller out.
import { type KnoxToken } from '../../core/knox.js';
import type { JwtLogin } from '../../core/v1-logins.js';
import { person } from '../../core/accounts.js';
import { isoMicros, isoOrNull } from '../../core/time.js';
import { requestMeta } from '../../http/request.js';
import type { GenericReply } from '../../http/surface.js';
import { BAD_UUID, NO_CONTENT, TEXT, json } from './messages.js';
import { type Call, type RouteSpec, type SignedIn, type V1Deps, signedIn } from './pipeline.js';
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

export function sessionRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx, logins } = deps;

  async function list({ auth: credential }: Call): Promise<GenericReply> {
    const auth = signedIn(credential);
    const [tokens, live] = await Promise.all([ctx.knox.listOf(auth.user.number), logins.liveOf(auth.user.id)]);
    const entries = [
      ...tokens.map((t) => ({ at: t.created, entry: knoxEntry(t, auth) })),
      ...live.map((l) => ({ at: l.created, entry: loginEntry(l, auth) })),
    ];
    entries.sort((a, b) => b.at - a.at || (a.entry.id < b.entry.id ? 1 : -1));
    return json(200, entries.map((e) => e.entry));
  }

  async function end({ request, auth: credential, params }: Call): Promise<GenericReply> {
    const auth = signedIn(credential);
    const id = parseUuid(params.id ?? '');
    if (id === null) return BAD_UUID;
    const [tokens, live] = await Promise.all([ctx.knox.listOf(auth.user.number), logins.liveOf(auth.user.id)]);
    let kind: 'knox' | 'jwt';
    if (tokens.some((t) => t.id === id)) {
      kind = 'knox';
      await ctx.knox.delete(id);
    } else if (live.some((l) => l.id === id)) {
      kind = 'jwt';
      await ctx.revocation.endLogin(id, 'revoked');
    } else {
      return SESSION_MISSING;
    }
    await ctx.audit.record({ event: 'sessions.revoke', meta: requestMeta(request, 'v1'), actor: person(auth.user), user: person(auth.user), details: { kind, session: id } });
    return NO_CONTENT;
  }

  return [
    { path: 'sessions/', name: 'Sessions', credential: 'required', throttle: 'user', methods: { GET: { view: list } } },
    { path: 'sessions/:id/', name: 'Session Detail', credential: 'required', throttle: 'user', methods: { DELETE: { view: end } } },
  ];
}
