// Live credentials of every kind, made over HTTP the way clients make them, so the campaign's
// requests can carry real ones (and reach the views behind each check), plus a v1 access JWT
// that was revoked by logout-jwt/. A request the campaign sends may legitimately end a
// credential (a logout, a deletion, a password change by the admin); `refresh()` probes each
// one and makes a fresh one where it died.
//
// Every password made here carries SECRET_MARK, and every credential is remembered in
// `secrets`, so the log check can prove none of them reached the log.
import { randomBytes } from 'node:crypto';
import { png } from '../helpers/images.js';
import { type WireResponse, cookieHeader, setCookies } from './wire.js';
import type { Wire } from './wire.js';

/** In every password and made-up secret of the attack suite: it must never appear in a log. */
export const SECRET_MARK = 'Qz7sEcReT';

export function secretLike(): string {
  return `${SECRET_MARK}${randomBytes(9).toString('base64url')}`;
}

/** A password that passes every surface's rules (v1's symbol and digit, users' validators). */
export function strongPassword(): string {
  return `Pw${secretLike()},9`;
}

const tag = () => randomBytes(5).toString('hex');

export interface V1Identity { id: string; number: number; email: string; username: string; password: string; knox: string; access: string; refresh: string; sessionid: string }
export interface ApiUserIdentity { id: string; email: string; password: string; access: string; refresh: string }
export interface AccountIdentity { username: string; email: string; password: string; key: string }
export interface UsersIdentity { username: string; password: string; number: number; sessionid: string; csrftoken: string; avatarUrl: string | null }
export interface UaIdentity { username: string; email: string; pwd: string; token: string; csrf: string }
export interface AdminIdentity { id: string; email: string; username: string; password: string; knox: string; access: string; uiSession: string; uiCsrf: string }

export type CredentialName =
  | 'v1.knox' | 'v1.access' | 'v1.refresh' | 'v1.revoked'
  | 'api-user.access' | 'api-user.refresh'
  | 'account.key'
  | 'ua.token'
  | 'admin.knox' | 'admin.access';

export const CREDENTIAL_NAMES: readonly CredentialName[] = [
  'v1.knox', 'v1.access', 'v1.refresh', 'v1.revoked', 'api-user.access', 'api-user.refresh', 'account.key', 'ua.token', 'admin.knox', 'admin.access',
];

/** The scheme word each credential is meant to be sent with. */
export const NATIVE_SCHEME: Record<CredentialName, string> = {
  'v1.knox': 'Token', 'v1.access': 'Bearer', 'v1.refresh': 'Bearer', 'v1.revoked': 'Bearer',
  'api-user.access': 'JWT', 'api-user.refresh': 'JWT', 'account.key': 'Token', 'ua.token': 'Bearer',
  'admin.knox': 'Token', 'admin.access': 'Bearer',
};

export type SessionName = 'v1' | 'users' | 'admin';

function expect(res: WireResponse, status: number, what: string): WireResponse {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text.slice(0, 300)}`);
  return res;
}

const JSON_TYPE = { 'content-type': 'application/json' };

export class Identities {
  v1!: V1Identity;
  apiUser!: ApiUserIdentity;
  account!: AccountIdentity;
  users!: UsersIdentity;
  ua!: UaIdentity;
  admin!: AdminIdentity;
  revokedAccess!: string;
  /** Ids the campaign may name in paths: users (UUID and number), profiles, sessions, media files. */
  readonly known = { userIds: [] as string[], userNumbers: [] as number[], profileIds: [] as string[], sessionIds: [] as string[], v1Media: [] as string[], usersMedia: [] as string[] };
  /** Every credential and password ever made, for the log check. */
  readonly secrets = new Set<string>();
  /** How many identities were made again after the campaign ended one. */
  reseeded = 0;

  constructor(private readonly wire: Wire, private readonly createSuperuser: (email: string, username: string, password: string) => void) {}

  private remember(...values: Array<string | null | undefined>): void {
    for (const v of values) if (v) this.secrets.add(v);
  }

  private post(path: string, json: unknown, headers: Record<string, string> = {}): Promise<WireResponse> {
    return this.wire.send({ method: 'POST', path, headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(json) });
  }

  async seedAll(): Promise<void> {
    await this.seedV1();
    await this.seedApiUser();
    await this.seedAccount();
    await this.seedUsers();
    await this.seedUa();
    await this.seedAdmin();
    await this.collectIds();
  }

  async seedV1(): Promise<void> {
    const password = strongPassword();
    const who = { email: `v1-${tag()}@example.com`, username: `v1${tag()}`, password };
    const reg = expect(await this.post('/v1/user/register/', { ...who, confirm_password: password }), 201, 'v1 register');
    const knox = expect(await this.post('/v1/user/login-knox/', { email: who.email, password }), 200, 'v1 login-knox').json as { token: string };
    const jwt = expect(await this.post('/v1/user/login-jwt/', { email: who.email, password }), 200, 'v1 login-jwt');
    const pair = jwt.json as { access: string; refresh: string };
    const sessionid = setCookies(jwt).sessionid;
    const auth = { authorization: `Token ${knox.token}` };
    for (const kind of ['artist', 'collector']) {
      const p = expect(await this.post(`/v1/user/profile/${kind}/`, { bio: 'attack target', instagram: '' }, auth), 201, `v1 ${kind} profile`);
      this.known.profileIds.push((p.json as { id: string }).id);
    }
    const avatar = await this.multipart('PUT', '/v1/user/me/avatar/', 'avatar', 'a.png', await png(4, 3), auth);
    const url = (expect(avatar, 202, 'v1 avatar').json as { avatar: string }).avatar;
    this.known.v1Media.push(url.slice(url.lastIndexOf('/') + 1));
    const sessions = expect(await this.wire.send({ method: 'GET', path: '/v1/user/sessions/', headers: auth }), 200, 'v1 sessions').json as Array<{ id: string }>;
    this.known.sessionIds.push(...sessions.map((s) => s.id));
    const me = expect(await this.wire.send({ method: 'GET', path: '/v1/user/me/', headers: auth }), 200, 'v1 me').json as { id: string };
    this.v1 = { id: (reg.json as { id: string }).id, number: 0, ...who, knox: knox.token, access: pair.access, refresh: pair.refresh, sessionid };
    this.known.userIds.push(me.id);
    this.remember(password, knox.token, pair.access, pair.refresh, sessionid);
    // A second JWT login of the same user, ended by logout-jwt/: its access token is denylisted.
    const other = expect(await this.post('/v1/user/login-jwt/', { email: who.email, password }), 200, 'v1 second login-jwt').json as { access: string; refresh: string };
    expect(await this.wire.send({ method: 'POST', path: '/v1/user/logout-jwt/', headers: { authorization: `Bearer ${other.access}` } }), 200, 'v1 logout-jwt');
    this.revokedAccess = other.access;
    this.remember(other.access, other.refresh);
  }

  async seedApiUser(): Promise<void> {
    const password = strongPassword();
    const email = `au-${tag()}@example.com`;
    const reg = expect(await this.post('/api/user/register', { email, full_name: 'Attack Target', password }), 201, 'api-user register');
    const login = expect(await this.post('/api/user/login', { email, password }), 200, 'api-user login').json as { tokens: { access: string; refresh: string } };
    this.apiUser = { id: (reg.json as { id: string }).id, email, password, ...login.tokens };
    this.known.userIds.push(this.apiUser.id);
    this.remember(password, login.tokens.access, login.tokens.refresh);
  }

  async seedAccount(): Promise<void> {
    const password = strongPassword();
    const who = { username: `ac${tag()}`, email: `ac-${tag()}@example.com`, password };
    const reg = expect(await this.post('/account/register', who), 200, 'account register').json as { success: boolean; token: string };
    if (!reg.success) throw new Error('account register refused');
    this.account = { ...who, key: reg.token };
    this.remember(password, reg.token);
  }

  async seedUsers(): Promise<void> {
    const password = strongPassword();
    const username = `us${tag()}`;
    const first = expect(await this.wire.send({ method: 'GET', path: '/get-csrf-token/' }), 200, 'users csrf');
    let csrftoken = setCookies(first).csrftoken;
    const csrf = () => ({ 'x-csrftoken': csrftoken, cookie: cookieHeader({ csrftoken }) });
    const reg = expect(await this.post('/users/register/', { username, password1: password, password2: password }, csrf()), 201, 'users register');
    const login = expect(await this.post('/users/login/', { username, password }, csrf()), 200, 'users login');
    const cookies = setCookies(login);
    csrftoken = cookies.csrftoken;
    const sessionid = cookies.sessionid;
    const up = await this.multipart('POST', '/users/avatar/', 'avatar', 'face.png', await png(5, 4), { 'x-csrftoken': csrftoken, cookie: cookieHeader({ csrftoken, sessionid }) });
    const avatarUrl = (expect(up, 200, 'users avatar').json as { avatar_url: string }).avatar_url;
    this.known.usersMedia.push(avatarUrl.replace(/^\/media\/avatars\//, ''));
    this.users = { username, password, number: (reg.json as { id: number }).id, sessionid, csrftoken, avatarUrl };
    this.known.userNumbers.push(this.users.number);
    this.remember(password, sessionid, csrftoken);
  }

  async seedUa(): Promise<void> {
    const pwd = strongPassword();
    const username = `ua${tag()}`;
    const email = `ua-${tag()}@example.com`;
    expect(await this.post('/user_account/registration', { username, full_name: 'Attack Target', email, pwd, phone: null, contacts: null }), 200, 'user-account registration');
    const login = expect(await this.post('/user_account/login', { username, pwd }), 200, 'user-account login');
    const token = (login.json as { token: string }).token;
    const csrf = setCookies(login).csrf_access_token;
    this.ua = { username, email, pwd, token, csrf };
    this.remember(pwd, token, csrf);
  }

  /** A superuser made with the command line, then logged in three ways (knox, JWT, admin UI). */
  async seedAdmin(): Promise<void> {
    const password = strongPassword();
    const who = { email: `root-${tag()}@example.com`, username: `root${tag()}`, password };
    this.createSuperuser(who.email, who.username, password);
    this.remember(password);
    await this.loginAdmin(who);
  }

  private async loginAdmin(who: { email: string; username: string; password: string }): Promise<boolean> {
    const knox = await this.post('/v1/user/login-knox/', { email: who.email, password: who.password });
    const jwt = await this.post('/v1/user/login-jwt/', { email: who.email, password: who.password });
    const page = await this.wire.send({ method: 'GET', path: '/admin/login/' });
    const csrftoken = setCookies(page).csrftoken;
    const form = new URLSearchParams({ csrfmiddlewaretoken: csrftoken ?? '', username: who.username, password: who.password, next: '' }).toString();
    const ui = await this.wire.send({ method: 'POST', path: '/admin/login/', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader({ csrftoken }) }, body: form });
    if (knox.status !== 200 || jwt.status !== 200 || ui.status !== 302) return false;
    const k = (knox.json as { token: string }).token;
    const pair = jwt.json as { access: string; refresh: string };
    const cookies = setCookies(ui);
    const me = await this.wire.send({ method: 'GET', path: '/v1/user/me/', headers: { authorization: `Token ${k}` } });
    this.admin = { id: (me.json as { id: string }).id, ...who, knox: k, access: pair.access, uiSession: cookies.sessionid, uiCsrf: cookies.csrftoken };
    this.remember(k, pair.access, pair.refresh, setCookies(jwt).sessionid, cookies.sessionid, cookies.csrftoken);
    return true;
  }

  /** Every user's UUID and number, through the admin API. */
  private async collectIds(): Promise<void> {
    const r = await this.wire.send({ method: 'GET', path: '/admin/api/users/?page_size=200', headers: { authorization: `Token ${this.admin.knox}` } });
    if (r.status !== 200) return;
    for (const u of (r.json as { results: Array<{ id: string; number: number }> }).results) {
      if (!this.known.userIds.includes(u.id)) this.known.userIds.push(u.id);
      if (!this.known.userNumbers.includes(u.number)) this.known.userNumbers.push(u.number);
      if (u.id === this.v1?.id) this.v1.number = u.number;
    }
  }

  private async multipart(method: string, path: string, field: string, filename: string, data: Buffer, headers: Record<string, string>): Promise<WireResponse> {
    const boundary = `----attack${tag()}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: image/png\r\n\r\n`),
      data,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    return this.wire.send({ method, path, headers: { ...headers, 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
  }

  /** The value of a credential now. */
  credential(name: CredentialName): string {
    switch (name) {
      case 'v1.knox': return this.v1.knox;
      case 'v1.access': return this.v1.access;
      case 'v1.refresh': return this.v1.refresh;
      case 'v1.revoked': return this.revokedAccess;
      case 'api-user.access': return this.apiUser.access;
      case 'api-user.refresh': return this.apiUser.refresh;
      case 'account.key': return this.account.key;
      case 'ua.token': return this.ua.token;
      case 'admin.knox': return this.admin.knox;
      case 'admin.access': return this.admin.access;
    }
  }

  /** The `sessionid` of a browser session, with its CSRF cookie where it has one. */
  session(name: SessionName): { sessionid: string; csrftoken?: string } {
    if (name === 'v1') return { sessionid: this.v1.sessionid };
    if (name === 'users') return { sessionid: this.users.sessionid, csrftoken: this.users.csrftoken };
    return { sessionid: this.admin.uiSession, csrftoken: this.admin.uiCsrf };
  }

  /** A known password for a field, so some requests get past the password check. */
  password(who: 'v1' | 'api-user' | 'account' | 'users' | 'ua' | 'admin'): string {
    switch (who) {
      case 'v1': return this.v1.password;
      case 'api-user': return this.apiUser.password;
      case 'account': return this.account.password;
      case 'users': return this.users.password;
      case 'ua': return this.ua.pwd;
      case 'admin': return this.admin.password;
    }
  }

  /**
   * Probes every credential (the requests change nothing a refused request could not) and makes
   * a fresh identity where one died. Returns the names of those made again.
   */
  async refresh(): Promise<string[]> {
    const again: string[] = [];
    const get = (path: string, authorization: string, cookie?: string) => this.wire.send({ method: 'GET', path, headers: { authorization, ...(cookie ? { cookie } : {}) } });
    const v1Ok =
      (await get('/v1/user/mock-login/', `Token ${this.v1.knox}`)).status === 200 &&
      (await get('/v1/user/mock-login/', `Bearer ${this.v1.access}`)).status === 200 &&
      (await this.rotateV1()) &&
      // The revoked token must still be refused (it is the campaign's denylist probe).
      (await get('/v1/user/mock-login/', `Bearer ${this.revokedAccess}`)).status === 401;
    if (!v1Ok) {
      await this.seedV1();
      again.push('v1');
    }
    const auOk = (await get('/api/user/me', `JWT ${this.apiUser.access}`)).status === 200 && (await this.rotateApiUser());
    if (!auOk) {
      await this.seedApiUser();
      again.push('api-user');
    }
    if ((await get('/account/profile', `Token ${this.account.key}`)).status !== 200) {
      await this.seedAccount();
      again.push('account');
    }
    const usersProbe = await this.post('/users/login/', {}, { 'x-csrftoken': this.users.csrftoken, cookie: cookieHeader({ sessionid: this.users.sessionid, csrftoken: this.users.csrftoken }) });
    if (usersProbe.status !== 400 || !usersProbe.text.includes('already authenticated')) {
      await this.seedUsers();
      again.push('users');
    }
    if ((await get('/user_account/profile_settings', `Bearer ${this.ua.token}`)).status !== 200) {
      await this.seedUa();
      again.push('ua');
    }
    const adminOk =
      (await get('/admin/api/stats/', `Token ${this.admin.knox}`)).status === 200 &&
      (await get('/admin/api/stats/', `Bearer ${this.admin.access}`)).status === 200 &&
      (await this.wire.send({ method: 'GET', path: '/admin/', headers: { cookie: cookieHeader({ sessionid: this.admin.uiSession }) } })).status === 200;
    if (!adminOk) {
      if (!(await this.loginAdmin(this.admin))) await this.seedAdmin();
      again.push('admin');
    }
    if (again.length) {
      this.reseeded += again.length;
      await this.collectIds();
    }
    return again;
  }

  /** token/refresh/ with the v1 session: still alive, and the new pair kept. */
  private async rotateV1(): Promise<boolean> {
    const r = await this.wire.send({ method: 'POST', path: '/v1/user/token/refresh/', headers: { cookie: cookieHeader({ sessionid: this.v1.sessionid }) } });
    if (r.status !== 200) return false;
    const pair = r.json as { access: string; refresh: string };
    this.v1.access = pair.access;
    this.v1.refresh = pair.refresh;
    this.remember(pair.access, pair.refresh);
    return true;
  }

  private async rotateApiUser(): Promise<boolean> {
    const r = await this.post('/api/user/refresh', { refresh: this.apiUser.refresh });
    if (r.status !== 200) return false;
    const pair = r.json as { access: string; refresh: string };
    this.apiUser.access = pair.access;
    this.apiUser.refresh = pair.refresh;
    this.remember(pair.access, pair.refresh);
    return true;
  }
}
