// What the campaign sends, as fast-check arbitraries: a request is drawn as a description (which
// route, which method and spelling of its path, which credential, cookies, Origin, Host and
// body) and only turned into bytes when it is sent (`materialize`), from the credentials alive
// at that moment. Descriptions shrink well, and a credential that a previous request ended is
// simply replaced by its fresh successor.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { type CredentialName, CREDENTIAL_NAMES, type Identities, NATIVE_SCHEME, SECRET_MARK, type SessionName, strongPassword } from './identities.js';
import { type RouteInfo, paramNames } from './routes.js';
import { type WireRequest, cookieHeader } from './wire.js';

// ---- the description ----

/** A value taken from the live identities when the request is sent (`ref:<what>#<n>`). */
export type Ref = { ref: string };
export type Str = string | Ref;
export type Json = null | boolean | number | string | Ref | Json[] | { [k: string]: Json };

export type Spelling =
  | { kind: 'plain' }
  | { kind: 'toggle-slash' }
  | { kind: 'double-slash'; at: number }
  | { kind: 'percent'; at: number }
  | { kind: 'upper' }
  | { kind: 'dot'; at: number }
  | { kind: 'dotdot'; at: number }
  | { kind: 'encoded-slash'; at: number }
  | { kind: 'suffix'; text: string };

export type AuthChoice =
  | { kind: 'none' }
  | { kind: 'cred'; name: CredentialName; scheme: string; sep: string }
  | { kind: 'tampered'; name: CredentialName; how: 'flip-sig' | 'flip-payload' | 'alg-none' | 'strip-sig' | 'truncate'; scheme: string }
  | { kind: 'raw'; value: string };

export interface CookieChoice {
  sessionid?: SessionName | 'garbage';
  csrftoken?: 'users' | 'admin' | 'garbage';
  accessCookie?: 'ua' | 'v1' | 'garbage';
  uaCsrfCookie?: boolean;
  raw?: string;
}

export type BodyChoice =
  | { kind: 'none' }
  | { kind: 'json'; value: Json; type: string | null }
  | { kind: 'text'; text: string; type: string | null }
  | { kind: 'form'; fields: Array<[string, Str]>; type: string | null }
  | { kind: 'multipart'; parts: Part[]; type: string | null; broken: 'no' | 'no-end' | 'other-boundary' }
  | { kind: 'bytes'; bytes: Uint8Array; type: string | null }
  | { kind: 'big'; bytes: number; type: string };

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  data: 'png' | 'text' | 'empty' | Uint8Array | Str;
}

export interface AttackRequest {
  route: number;
  method: string;
  spelling: Spelling;
  params: Str[];
  query: Array<[string, Str]>;
  auth: AuthChoice;
  cookies: CookieChoice;
  csrfHeader: 'match' | 'wrong' | 'none';
  uaCsrfHeader: 'match' | 'wrong' | 'none';
  origin: 'none' | 'own' | 'foreign' | 'null' | 'trusted';
  host: 'own' | 'forged' | 'forged-port' | 'malformed' | 'forwarded';
  malformedHost: string;
  extra: Array<[string, string]>;
  body: BodyChoice;
}

// ---- building blocks ----

/** What a request may carry in a header value: no CR, LF or other control characters. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

const STD_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const ODD_METHODS = ['TRACE', 'PROPFIND', 'SEARCH', 'QUERY', 'PURGE', 'FOO', 'M-SEARCH', 'LOCK'];

export const TRUSTED_ORIGIN = 'https://trusted.example';
export const MALFORMED_HOSTS = ['evil.com:abc', 'a b', '[::1', 'evil.com:99999', 'x%zz', 'evil.com:-1', 'a@b.example', 'a/b', '[zz]:1', 'evil.com:80:80', ''];

const COMMON_FIELDS = [
  'email', 'username', 'password', 'confirm_password', 'old_password', 'pwd', 'new_pwd', 'full_name', 'phone', 'contacts', 'id', 'token',
  'refresh', 'bio', 'instagram', 'is_active', 'is_staff', 'is_superuser', 'email_verified', 'password1', 'password2', 'csrfmiddlewaretoken',
  'next', 'remember', 'avatar', 'profile_pic', 'user', '__proto__', 'constructor', '',
];

const QUERY_KEYS = ['page', 'page_size', 'limit', 'before', 'q', 'next', 'token', 'active', 'staff', 'locked', 'verified', 'event', 'since', 'until', 'user', 'actor', 'from', 'to', 'format'];

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'application/vnd.api+json', 'APPLICATION/JSON',
  'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=', 'text/plain', 'text/html', 'application/xml',
  'application/octet-stream', 'image/png', '*/*', 'application/json, text/plain', ';', 'application/x-www-form-urlencoded; charset=iso-8859-1',
];

const hostileString = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\uFEFF', '\u202E', '%00', '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '${7*7}', '{{7*7}}', 'null', 'NaN', 'true', '0', '-1', '1e309', '__proto__', 'constructor', 'toString', '\\', '%', '%%', '\u00ff', '\u0085', 'x'.repeat(129), ' padded '), weight: 3 },
  { arbitrary: fc.integer({ min: 129, max: 3000 }).map((n) => 'A'.repeat(n)), weight: 1 },
  // Text PostgreSQL cannot hold, in an otherwise ordinary value (a bio, a search).
  { arbitrary: fc.string({ maxLength: 12 }).map((s) => `${s}\u0000${s}`), weight: 1 },
);

const hostileNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1, -1, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, 5e-324, 6.9, 2 ** 53 + 2),
);

const ref = (what: string) => fc.nat({ max: 50 }).map((n): Ref => ({ ref: `${what}#${n}` }));

const WHO = ['v1', 'api-user', 'account', 'users', 'ua', 'admin'] as const;

/** Values that mean something to a field of that name: real passwords, emails and ids, or fresh ones. */
function meaningful(field: string): fc.Arbitrary<Json> {
  const f = field.toLowerCase();
  if (/pass|pwd/.test(f)) return fc.oneof(fc.constantFrom(...WHO).chain((w) => ref(`pw:${w}`)), ref('fresh-password'));
  // Half the time someone who exists (a login), half the time someone new (a registration).
  if (f.includes('email')) return fc.oneof(fc.constantFrom('v1', 'api-user', 'account', 'ua', 'admin').chain((w) => ref(`email:${w}`)), ref('fresh-email'));
  if (f === 'username' || f === 'user') return fc.oneof(fc.constantFrom('v1', 'account', 'users', 'ua', 'admin').chain((w) => ref(`username:${w}`)), ref('fresh-username'));
  if (f === 'refresh' || f === 'token') return fc.oneof(ref('cred:api-user.refresh'), ref('cred:v1.refresh'), ref('cred:api-user.access'), ref('cred:ua.token'));
  if (f === 'csrfmiddlewaretoken') return fc.oneof(ref('csrf:users'), ref('csrf:admin'));
  if (f === 'id') return fc.oneof(fc.integer({ min: -2, max: 12 }), ref('user-id'), ref('profile-id'));
  if (f.startsWith('is_') || f === 'email_verified' || f === 'remember') return fc.oneof(fc.boolean(), fc.constantFrom('on', 'yes', 'true', 1, 0));
  if (f === 'next') return fc.constantFrom('/admin/', '/admin/users/', '//evil.example/', 'https://evil.example/', '/admin/../x', 'javascript:alert(1)');
  if (f === 'instagram') return fc.constantFrom('', 'https://instagram.com/x', 'javascript:alert(1)', 'http://', 'ftp://a.b/c');
  return fc.oneof(fc.string({ maxLength: 20 }), ref('fresh-username'));
}

function fieldValue(field: string): fc.Arbitrary<Json> {
  return fc.oneof(
    { arbitrary: meaningful(field), weight: 5 },
    { arbitrary: hostileString, weight: 3 },
    { arbitrary: fc.oneof(hostileNumber, fc.boolean(), fc.constant(null)), weight: 2 },
    { arbitrary: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>, weight: 1 },
  );
}

function fieldsOf(route: RouteInfo): fc.Arbitrary<string[]> {
  const names = [...new Set([...route.fields, ...COMMON_FIELDS])];
  return fc.oneof(
    { arbitrary: fc.subarray(route.fields.length ? route.fields : names, { minLength: 0 }), weight: 4 },
    { arbitrary: fc.subarray(names, { maxLength: 6 }), weight: 1 },
  );
}

type Pairs = Array<[string, Json]>;

function fieldObject(route: RouteInfo): fc.Arbitrary<Pairs> {
  const pair = (n: string, v: fc.Arbitrary<Json>): fc.Arbitrary<[string, Json]> => v.map((x): [string, Json] => [n, x]);
  const pairs = (arbs: Array<fc.Arbitrary<[string, Json]>>): fc.Arbitrary<Pairs> => (arbs.length ? fc.tuple(...arbs).map((t): Pairs => [...t]) : fc.constant<Pairs>([]));
  const some = fieldsOf(route).chain((names) => pairs(names.map((n) => pair(n, fieldValue(n)))));
  if (!route.fields.length) return some;
  // Every field the route reads, all meaningful but one: the request that gets furthest before
  // it is refused (a partial write would show here).
  const nearlyValid = fc.nat({ max: route.fields.length }).chain((bad) => pairs(route.fields.map((n, i) => pair(n, i === bad ? fieldValue(n) : meaningful(n)))));
  return fc.oneof({ arbitrary: some, weight: 2 }, { arbitrary: nearlyValid, weight: 5 });
}

const deepNesting = fc.constantFrom(200, 5000, 100_000, 400_000).map((n) => '['.repeat(n) + ']'.repeat(n));

const jsonText = fc.oneof(
  fc.constantFrom('{', '{"a":', '[1,2', '{"email": "x"', 'nul', '\uFEFF{}', '{"a":1}{"b":2}', '{"__proto__":{"is_staff":true}}', '{"a":"\\ud800"}', "{'a':1}", 'NaN', '1e999999', '"\\u0000"', '{"email":"a@b.c","email":"d@e.f"}'),
  deepNesting,
  fc.string({ unit: 'binary', maxLength: 200 }),
);

function bodyArb(route: RouteInfo): fc.Arbitrary<BodyChoice> {
  const type = fc.option(fc.oneof({ arbitrary: fc.constantFrom(...CONTENT_TYPES), weight: 5 }, { arbitrary: fc.string({ maxLength: 30 }).map(headerSafe), weight: 1 }), { nil: null, freq: 6 });
  const ownType = route.bodyTypes.length ? fc.constantFrom(...route.bodyTypes) : fc.constant('application/json');
  const typed = fc.oneof({ arbitrary: ownType, weight: 4 }, { arbitrary: type, weight: 1 });
  const form = fieldObject(route).map((o) => o.map(([k, v]): [string, Str] => [k, typeof v === 'string' || isRef(v) ? v : JSON.stringify(v)]));
  const part: fc.Arbitrary<Part> = fc.record({
    name: fc.oneof(fc.constantFrom(...route.fields, 'avatar', 'profile_pic', 'csrfmiddlewaretoken', 'email', 'password'), fc.string({ maxLength: 8 })),
    filename: fc.option(fc.oneof(fc.constantFrom('a.png', 'a.jpg', 'a.gif', '', '../../x.png', 'x'.repeat(120) + '.png', 'a b.PNG', 'noext'), fc.string({ maxLength: 12 }).map(headerSafe)), { nil: undefined }),
    contentType: fc.option(fc.constantFrom('image/png', 'text/plain', 'application/json', 'image/svg+xml'), { nil: undefined }),
    data: fc.oneof(fc.constantFrom<'png' | 'text' | 'empty'>('png', 'text', 'empty'), fc.uint8Array({ maxLength: 64 }), meaningful('password') as fc.Arbitrary<Str>),
  }, { requiredKeys: ['name', 'data'] });
  return fc.oneof(
    { arbitrary: fc.constant<BodyChoice>({ kind: 'none' }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('json' as const), value: fieldObject(route).map((o): Json => Object.fromEntries(o)), type: typed }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, type: typed }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('text' as const), text: jsonText, type: typed }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('form' as const), fields: form, type: fc.oneof(fc.constant('application/x-www-form-urlencoded'), type) }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('multipart' as const), parts: fc.array(part, { maxLength: 4 }), type: fc.constant(null), broken: fc.constantFrom<'no' | 'no-end' | 'other-boundary'>('no', 'no', 'no', 'no-end', 'other-boundary') }), weight: 3 },
    { arbitrary: fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }), type }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('big' as const), bytes: fc.constantFrom(1024 * 1024 + 1, 2 * 1024 * 1024), type: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain') }), weight: 1 },
  );
}

const garbageToken = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 }).map((h) => SECRET_MARK + h),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 60 }).map((s) => headerSafe(s).trim() || 'x'),
  fc.constantFrom('eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjoxfQ.', 'a.b.c', '...', 'eyJ.eyJ.', 'A'.repeat(64), 'F'.repeat(64), '0'.repeat(40), 'e'.repeat(8000)),
);

const SCHEMES = ['Token', 'Bearer', 'JWT', 'token', 'bearer', 'jwt', 'TOKEN', 'Basic'];

const authArb: fc.Arbitrary<AuthChoice> = fc.oneof(
  { arbitrary: fc.constant<AuthChoice>({ kind: 'none' }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('cred' as const),
      name: fc.constantFrom(...CREDENTIAL_NAMES),
      scheme: fc.oneof({ arbitrary: fc.constant('native'), weight: 5 }, { arbitrary: fc.constantFrom(...SCHEMES), weight: 1 }),
      sep: fc.constantFrom(' ', ' ', ' ', '  ', '\t', ' \t '),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('tampered' as const),
      name: fc.constantFrom<CredentialName>('v1.access', 'v1.refresh', 'api-user.access', 'ua.token', 'admin.access'),
      how: fc.constantFrom<'flip-sig' | 'flip-payload' | 'alg-none' | 'strip-sig' | 'truncate'>('flip-sig', 'flip-payload', 'alg-none', 'strip-sig', 'truncate'),
      scheme: fc.constantFrom('native', 'Bearer', 'JWT'),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.oneof(
      fc.constantFrom(...SCHEMES),
      fc.tuple(fc.constantFrom(...SCHEMES), garbageToken).map(([s, t]) => `${s} ${t}`),
      fc.tuple(fc.constantFrom(...SCHEMES), garbageToken).map(([s, t]) => `${s} ${t} extra`),
      fc.string({ unit: 'binary-ascii', maxLength: 80 }).map(headerSafe),
    ).map((value): AuthChoice => ({ kind: 'raw', value })),
    weight: 2,
  },
);

const cookiesArb: fc.Arbitrary<CookieChoice> = fc.record({
  sessionid: fc.constantFrom<SessionName | 'garbage'>('v1', 'users', 'admin', 'garbage'),
  csrftoken: fc.constantFrom<'users' | 'admin' | 'garbage'>('users', 'admin', 'garbage'),
  accessCookie: fc.constantFrom<'ua' | 'v1' | 'garbage'>('ua', 'v1', 'garbage'),
  uaCsrfCookie: fc.boolean(),
  raw: fc.string({ unit: 'binary-ascii', maxLength: 60 }).map(headerSafe),
}, { requiredKeys: [] });

const spellingArb: fc.Arbitrary<Spelling> = fc.oneof(
  { arbitrary: fc.constant<Spelling>({ kind: 'plain' }), weight: 40 },
  { arbitrary: fc.constant<Spelling>({ kind: 'toggle-slash' }), weight: 2 },
  { arbitrary: fc.nat().map((at): Spelling => ({ kind: 'double-slash', at })), weight: 1 },
  { arbitrary: fc.nat().map((at): Spelling => ({ kind: 'percent', at })), weight: 2 },
  { arbitrary: fc.constant<Spelling>({ kind: 'upper' }), weight: 1 },
  { arbitrary: fc.nat().map((at): Spelling => ({ kind: 'dot', at })), weight: 1 },
  { arbitrary: fc.nat().map((at): Spelling => ({ kind: 'dotdot', at })), weight: 1 },
  { arbitrary: fc.nat().map((at): Spelling => ({ kind: 'encoded-slash', at })), weight: 1 },
  { arbitrary: fc.constantFrom(';a=b', '%00', '%', '%zz', '%2e%2e/', '#frag', '?', '??a=1', '/%2F', '%C0%AE', '.json').map((text): Spelling => ({ kind: 'suffix', text })), weight: 1 },
);

function paramArb(name: string): fc.Arbitrary<Str> {
  const encoded = hostileString.map((s) => encodeURIComponent(s));
  const uuidish = fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase(), `{${u}}`, `urn:uuid:${u}`, u.replaceAll('-', '')));
  switch (name) {
    case 'id':
      return fc.oneof({ arbitrary: fc.oneof(ref('user-id'), ref('profile-id'), ref('session-id')), weight: 5 }, { arbitrary: uuidish, weight: 2 }, { arbitrary: encoded, weight: 2 });
    case 'kind':
      return fc.oneof({ arbitrary: fc.constantFrom('artist', 'collector'), weight: 5 }, { arbitrary: encoded, weight: 1 });
    case 'file':
    case 'image_name':
      return fc.oneof({ arbitrary: ref('v1-media'), weight: 4 }, { arbitrary: fc.tuple(uuidish, fc.constantFrom('png', 'jpg', 'webp', 'gif', 'PNG', '')).map(([u, e]) => `${u}.${e}`), weight: 2 }, { arbitrary: encoded, weight: 1 });
    case 'number':
      return fc.oneof(ref('user-number'), fc.integer({ min: -5, max: 100 }).map(String), encoded);
    case 'filename':
      return fc.oneof(ref('users-media-file'), encoded, fc.constantFrom('..%2F..%2Fsecret_key', 'a.png'));
    default:
      return fc.oneof({ arbitrary: fc.base64String({ minLength: 4, maxLength: 60 }).map((s) => encodeURIComponent(s)), weight: 2 }, { arbitrary: encoded, weight: 2 }, { arbitrary: fc.constant(`${SECRET_MARK}${'x'.repeat(20)}`), weight: 1 });
  }
}

const extraHeaders = fc.array(
  fc.oneof(
    fc.tuple(fc.constant('x-forwarded-for'), fc.constantFrom('1.2.3.4', '127.0.0.1, 10.0.0.1', 'garbage', '::1', '')),
    fc.tuple(fc.constant('x-forwarded-proto'), fc.constantFrom('https', 'http', 'gopher')),
    fc.tuple(fc.constant('x-forwarded-host'), fc.constantFrom('evil.example', 'evil.com:abc')),
    fc.tuple(fc.constant('user-agent'), fc.oneof(fc.constant('x'.repeat(2000)), fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(headerSafe))),
    fc.tuple(fc.constant('if-none-match'), fc.constantFrom('*', '"x"', 'W/"abc"')),
    fc.tuple(fc.constant('accept'), fc.constantFrom('text/html', '*/*', 'application/json;q=0', 'image/*')),
    fc.tuple(fc.constant('range'), fc.constantFrom('bytes=0-1', 'bytes=-5', 'bytes=9999999-')),
    fc.tuple(fc.constant('access-control-request-method'), fc.constantFrom('DELETE', 'POST', 'FOO')),
    fc.tuple(fc.constant('access-control-request-headers'), fc.constantFrom('authorization', 'x-csrf-token, content-type')),
    fc.tuple(fc.constant('content-encoding'), fc.constantFrom('gzip', 'identity', 'br')),
  ),
  { maxLength: 3 },
);

/** The credentials and browser session a route's own clients would send. */
function fitting(template: string): { creds: CredentialName[]; session?: SessionName; csrf?: 'users' | 'admin'; uaCookie?: boolean } {
  if (template.startsWith('/v1/user/')) return { creds: ['v1.knox', 'v1.access'], session: 'v1' };
  if (template.startsWith('/admin/api/')) return { creds: ['admin.knox', 'admin.access'] };
  if (template.startsWith('/admin/')) return { creds: [], session: 'admin', csrf: 'admin' };
  if (template.startsWith('/api/user/')) return { creds: ['api-user.access'] };
  if (template.startsWith('/account/') || template.startsWith('/acount/')) return { creds: ['account.key'] };
  if (template.startsWith('/user_account/')) return { creds: ['ua.token'], uaCookie: true };
  if (template.startsWith('/users/') || template === '/' || template === '/get-csrf-token/' || template.startsWith('/media/')) return { creds: [], session: 'users', csrf: 'users' };
  return { creds: [] };
}

/** Mostly what the route's own client sends; often something else. */
function routeAuth(template: string): fc.Arbitrary<AuthChoice> {
  const fit = fitting(template);
  if (!fit.creds.length) return authArb;
  const own = fc.record({ kind: fc.constant('cred' as const), name: fc.constantFrom(...fit.creds), scheme: fc.constant('native'), sep: fc.constant(' ') });
  return fc.oneof({ arbitrary: own, weight: 3 }, { arbitrary: authArb, weight: 2 });
}

function routeCookies(template: string): fc.Arbitrary<CookieChoice> {
  const fit = fitting(template);
  const own: CookieChoice = {
    ...(fit.session ? { sessionid: fit.session } : {}),
    ...(fit.csrf ? { csrftoken: fit.csrf } : {}),
    ...(fit.uaCookie ? { accessCookie: 'ua' as const, uaCsrfCookie: true } : {}),
  };
  return fc.oneof({ arbitrary: fc.constant<CookieChoice>(own), weight: 3 }, { arbitrary: fc.constant<CookieChoice>({}), weight: 1 }, { arbitrary: cookiesArb, weight: 2 });
}

/** Requests over `routes`: mostly well-formed around a live credential, always hostile somewhere. */
export function requestArb(routes: RouteInfo[]): fc.Arbitrary<AttackRequest> {
  // Routes that read a body are drawn three times as often as the rest: most of what can go
  // wrong behind a check lives there.
  const weighted = routes.flatMap((r, i) => Array<number>(r.bodyTypes.length ? 3 : 1).fill(i));
  return fc.constantFrom(...weighted).chain((index) => {
    const route = routes[index];
    const names = paramNames(route.template);
    return fc.record({
      route: fc.constant(index),
      method: fc.oneof({ arbitrary: fc.constantFrom(...route.methods), weight: 8 }, { arbitrary: fc.constantFrom(...STD_METHODS), weight: 3 }, { arbitrary: fc.constantFrom(...ODD_METHODS), weight: 1 }),
      spelling: spellingArb,
      params: names.length ? fc.tuple(...names.map(paramArb)) : fc.constant([] as Str[]),
      query: fc.array(fc.tuple(fc.constantFrom(...route.query, ...QUERY_KEYS), fc.oneof(hostileString, fc.constantFrom('1', '2', '0', '-1', '200', '201', '99999999999999999999', 'yes', 'no', 'true'), ref('user-id'))), { maxLength: 3 }),
      auth: routeAuth(route.template),
      cookies: routeCookies(route.template),
      csrfHeader: fc.constantFrom<'match' | 'wrong' | 'none'>('match', 'match', 'wrong', 'none'),
      uaCsrfHeader: fc.constantFrom<'match' | 'wrong' | 'none'>('match', 'wrong', 'none'),
      origin: fc.constantFrom<AttackRequest['origin']>('none', 'none', 'none', 'own', 'foreign', 'null', 'trusted'),
      host: fc.oneof({ arbitrary: fc.constant<AttackRequest['host']>('own'), weight: 20 }, { arbitrary: fc.constantFrom<AttackRequest['host']>('forged', 'forged-port', 'malformed', 'forwarded'), weight: 2 }),
      malformedHost: fc.constantFrom(...MALFORMED_HOSTS),
      extra: extraHeaders,
      body: bodyArb(route),
    });
  });
}

// ---- turning a description into bytes ----

export interface Materialized {
  wire: WireRequest;
  /** The revoked v1 access token is the second word of Authorization. */
  carriesRevoked: boolean;
  /** The raw path (before spelling tricks) starts with a prefix where §1.6 applies. */
  pathUnderDenylist: boolean;
}

function pick<T>(list: readonly T[], n: number): T | undefined {
  return list.length ? list[n % list.length] : undefined;
}

/** A `ref:` value from the live identities. */
function resolveRef(r: Ref, ids: Identities): string {
  const [what, nText] = r.ref.split('#');
  const n = Number(nText ?? 0);
  const [kind, arg] = what.split(':');
  switch (kind) {
    case 'pw': return ids.password(arg as Parameters<Identities['password']>[0]);
    case 'email': return arg === 'v1' ? ids.v1.email : arg === 'api-user' ? ids.apiUser.email : arg === 'account' ? ids.account.email : arg === 'ua' ? ids.ua.email : ids.admin.email;
    case 'username': return arg === 'v1' ? ids.v1.username : arg === 'account' ? ids.account.username : arg === 'users' ? ids.users.username : arg === 'ua' ? ids.ua.username : ids.admin.username;
    case 'cred': return ids.credential(arg as CredentialName);
    case 'csrf': return arg === 'users' ? ids.users.csrftoken : ids.admin.uiCsrf;
    case 'user-id': return pick(ids.known.userIds, n) ?? '';
    case 'user-number': return String(pick(ids.known.userNumbers, n) ?? 1);
    case 'profile-id': return pick(ids.known.profileIds, n) ?? '';
    case 'session-id': return pick(ids.known.sessionIds, n) ?? '';
    case 'v1-media': return pick(ids.known.v1Media, n) ?? 'x.png';
    case 'users-media-file': return (pick(ids.known.usersMedia, n) ?? '1/x.png').split('/')[1];
    case 'fresh-email': return `fresh-${randomBytes(5).toString('hex')}@example.com`;
    case 'fresh-username': return `fresh${randomBytes(5).toString('hex')}`;
    case 'fresh-password': return strongPassword();
    default: throw new Error(`unknown ref ${r.ref}`);
  }
}

function isRef(v: unknown): v is Ref {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && typeof (v as Ref).ref === 'string';
}

function str(v: Str, ids: Identities): string {
  return typeof v === 'string' ? v : resolveRef(v, ids);
}

function resolveJson(v: Json, ids: Identities): unknown {
  if (isRef(v)) return resolveRef(v, ids);
  if (Array.isArray(v)) return v.map((x) => resolveJson(x, ids));
  if (v !== null && typeof v === 'object') {
    // defineProperty keeps "__proto__" an own key, as JSON text would.
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: resolveJson(x, ids), enumerable: true, configurable: true, writable: true });
    return out;
  }
  return v;
}

function fillTemplate(template: string, params: Str[], ids: Identities): string {
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => {
    const v = params[i++];
    if (v === undefined) return 'x';
    return typeof v === 'string' ? v : encodeURIComponent(resolveRef(v, ids));
  });
}

function respell(path: string, s: Spelling): string {
  const slashes = [...path.matchAll(/\//g)].map((m) => m.index!);
  const atSlash = (n: number) => slashes[n % slashes.length];
  switch (s.kind) {
    case 'plain': return path;
    case 'toggle-slash': return path.endsWith('/') ? path.slice(0, -1) : path + '/';
    case 'double-slash': { const i = atSlash(s.at); return path.slice(0, i) + '/' + path.slice(i); }
    case 'upper': return path.toUpperCase();
    case 'dot': { const i = atSlash(s.at); return path.slice(0, i) + '/.' + path.slice(i); }
    case 'dotdot': { const i = atSlash(s.at); return path.slice(0, i) + '/zz/..' + path.slice(i); }
    case 'encoded-slash': { const i = atSlash(s.at); return i === 0 ? path : path.slice(0, i) + '%2F' + path.slice(i + 1); }
    case 'suffix': return path + s.text;
    case 'percent': {
      const letters = [...path.matchAll(/[A-Za-z0-9_-]/g)].map((m) => m.index!);
      if (!letters.length) return path;
      const i = letters[s.at % letters.length];
      return path.slice(0, i) + '%' + path.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0') + path.slice(i + 1);
    }
  }
}

/** A JWT with one part changed the way an attacker would. */
function tamper(jwt: string, how: Extract<AuthChoice, { kind: 'tampered' }>['how']): string {
  const [h, p, s] = jwt.split('.');
  if (p === undefined) return jwt + 'x';
  const flip = (part: string) => (part.length ? part.slice(0, -2) + (part.at(-2) === 'A' ? 'B' : 'A') + part.slice(-1) : 'A');
  switch (how) {
    case 'flip-sig': return `${h}.${p}.${flip(s ?? '')}`;
    case 'flip-payload': {
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims.exp = Math.floor(Date.now() / 1000) + 10 * 365 * 86400;
      return `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    }
    case 'alg-none': return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    case 'strip-sig': return `${h}.${p}.`;
    case 'truncate': return jwt.slice(0, Math.max(1, Math.floor(jwt.length / 2)));
  }
}

function multipartBody(parts: Part[], ids: Identities, pngBytes: Buffer, broken: 'no' | 'no-end' | 'other-boundary'): { body: Buffer; type: string } {
  const boundary = `----gh${randomBytes(6).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${headerSafe(part.name).replace(/"/g, '')}"${part.filename !== undefined ? `; filename="${part.filename.replace(/"/g, '')}"` : ''}`;
    const data = part.data === 'png' ? pngBytes : part.data === 'text' ? Buffer.from('not an image') : part.data === 'empty' ? Buffer.alloc(0) : part.data instanceof Uint8Array ? Buffer.from(part.data) : Buffer.from(str(part.data, ids));
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''}\r\n`), data, Buffer.from('\r\n'));
  }
  if (broken !== 'no-end') chunks.push(Buffer.from(`--${boundary}--\r\n`));
  const declared = broken === 'other-boundary' ? `${boundary}x` : boundary;
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${declared}` };
}

/** The request as bytes, from the identities alive now. */
export function materialize(req: AttackRequest, routes: RouteInfo[], ids: Identities, own: { host: string; origin: string }, pngBytes: Buffer): Materialized {
  const route = routes[req.route];
  const rawPath = fillTemplate(route.template, req.params, ids);
  const path = respell(rawPath, req.spelling);
  const query = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(str(v, ids))}`).join('&');
  const headers: Record<string, string> = {};

  let carriesRevoked = false;
  const auth = req.auth;
  if (auth.kind === 'cred') {
    const scheme = auth.scheme === 'native' ? NATIVE_SCHEME[auth.name] : auth.scheme;
    headers.authorization = `${scheme}${auth.sep}${ids.credential(auth.name)}`;
    carriesRevoked = auth.name === 'v1.revoked';
  } else if (auth.kind === 'tampered') {
    const scheme = auth.scheme === 'native' ? NATIVE_SCHEME[auth.name] : auth.scheme;
    headers.authorization = `${scheme} ${tamper(ids.credential(auth.name), auth.how)}`;
  } else if (auth.kind === 'raw' && auth.value !== '') {
    headers.authorization = auth.value;
  }

  const jar: Record<string, string> = {};
  const c = req.cookies;
  if (c.sessionid) jar.sessionid = c.sessionid === 'garbage' ? `${SECRET_MARK}nosuchsession` : ids.session(c.sessionid).sessionid;
  if (c.csrftoken) jar.csrftoken = c.csrftoken === 'garbage' ? 'A'.repeat(32) : c.csrftoken === 'users' ? ids.users.csrftoken : ids.admin.uiCsrf;
  if (c.accessCookie) jar.access_token_cookie = c.accessCookie === 'garbage' ? `${SECRET_MARK}.x.y` : c.accessCookie === 'ua' ? ids.ua.token : ids.v1.access;
  if (c.uaCsrfCookie) jar.csrf_access_token = ids.ua.csrf;
  const cookieText = [cookieHeader(jar), c.raw ?? ''].filter(Boolean).join('; ');
  if (cookieText) headers.cookie = cookieText;
  if (req.csrfHeader !== 'none') headers['x-csrftoken'] = req.csrfHeader === 'match' ? (jar.csrftoken ?? ids.users.csrftoken) : 'B'.repeat(32);
  if (req.uaCsrfHeader !== 'none') headers['x-csrf-token'] = req.uaCsrfHeader === 'match' ? ids.ua.csrf : 'not-the-csrf';

  if (req.origin === 'own') headers.origin = own.origin;
  else if (req.origin === 'foreign') headers.origin = 'https://evil.example';
  else if (req.origin === 'null') headers.origin = 'null';
  else if (req.origin === 'trusted') headers.origin = TRUSTED_ORIGIN;

  if (req.host === 'forged') headers.host = 'evil.example';
  else if (req.host === 'forged-port') headers.host = `evil.example:${own.host.split(':')[1]}`;
  else if (req.host === 'malformed') headers.host = req.malformedHost;
  else if (req.host === 'forwarded') headers['x-forwarded-host'] = 'evil.example';

  for (const [k, v] of req.extra) headers[k] = v;

  let body: Buffer | undefined;
  const b = req.body;
  const setType = (t: string | null) => {
    if (t !== null) headers['content-type'] = t;
  };
  switch (b.kind) {
    case 'none':
      break;
    case 'json':
      body = Buffer.from(JSON.stringify(resolveJson(b.value, ids)) ?? 'null');
      setType(b.type);
      break;
    case 'text':
      body = Buffer.from(b.text);
      setType(b.type);
      break;
    case 'form':
      body = Buffer.from(b.fields.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(str(v, ids))}`).join('&'));
      setType(b.type);
      break;
    case 'multipart': {
      const m = multipartBody(b.parts, ids, pngBytes, b.broken);
      body = m.body;
      headers['content-type'] = m.type;
      break;
    }
    case 'bytes':
      body = Buffer.from(b.bytes);
      setType(b.type);
      break;
    case 'big':
      body = Buffer.alloc(b.bytes, 0x61);
      headers['content-type'] = b.type;
      break;
  }
  // HEAD and GET with a body are legal on the wire; Node's client sends them as they are.
  const words = (headers.authorization ?? '').split(/\s+/).filter(Boolean);
  carriesRevoked ||= words[1] === ids.revokedAccess;
  return {
    wire: { method: req.method, path: path + (query ? `?${query}` : ''), headers, body },
    carriesRevoked,
    pathUnderDenylist: rawPath.startsWith('/v1/user/') || rawPath.startsWith('/admin/api/'),
  };
}
