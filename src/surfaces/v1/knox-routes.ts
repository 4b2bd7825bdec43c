// Knox routes (v1.md §3.2, §3.5, §3.6, §3.8): login-knox/, mock-login/, logout-knox/,
// logout-knox-all/. The token itself (format, digest, sliding expiry, cap) is core/knox.ts.
import { person } from '../../core/accounts.js';
import { requestMeta } from '../../http/request.js';
import { NO_STORE, TEXT, invalid, json } from './messages.js';
import { passwordLogin } from './password-login.js';
import { type Call, type RouteSpec, type V1Deps, signedInWith } from './pipeline.js';
import { type FieldSpec, emailFormat, rawText, validate } from './validation.js';

const LOGIN_FIELDS: FieldSpec[] = [{ key: 'email', validators: [emailFormat] }, { key: 'password' }];
const HELLO = json(200, TEXT.helloWorld);
const LOGGED_OUT = json(200, TEXT.loggedOut);
const BATCH_LOGGED_OUT = json(200, TEXT.batchLogout);

export function knoxRoutes(deps: V1Deps): RouteSpec[] {
  const { ctx } = deps;

  /** Validation trims; the account is looked up and the password checked as sent (§3.2). */
  async function loginKnox({ request, body, challenge }: Call) {
    const v = await validate(body, LOGIN_FIELDS);
    if (!v.ok) return invalid(v.errors);
    const login = await passwordLogin(deps, request, rawText(v.data, 'email'), rawText(v.data, 'password'), 'knox', challenge);
    if (!login.ok) return login.reply;
    const { user } = login;
    const meta = requestMeta(request, 'v1');
    const { token } = await ctx.knox.create(user, meta.ip, meta.userAgent);
    return json(200, { id: user.id, email: user.email, username: user.username, token }, NO_STORE);
  }

  async function mockLogin() {
    return HELLO;
  }

  async function logoutKnox({ request, auth: credential }: Call) {
    const auth = signedInWith(credential, 'knox');
    await ctx.knox.delete(auth.token.id);
    await ctx.audit.record({ event: 'logout', meta: requestMeta(request, 'v1'), user: person(auth.user), details: { method: 'knox' } });
    return LOGGED_OUT;
  }

  async function logoutKnoxAll({ request, auth: credential }: Call) {
    const auth = signedInWith(credential, 'knox');
    const count = await ctx.knox.deleteAllOf(auth.user.number);
    await ctx.audit.record({ event: 'logout', meta: requestMeta(request, 'v1'), user: person(auth.user), details: { method: 'knox-all', count } });
    return BATCH_LOGGED_OUT;
  }

  return [
    { path: 'login-knox/', name: 'Knox Login', credential: 'optional', throttle: 'anon', methods: { POST: { view: loginKnox, parse: true } } },
    { path: 'mock-login/', name: 'Mock Login', credential: 'required', throttle: 'user', methods: { GET: { view: mockLogin } } },
    { path: 'logout-knox/', name: 'Knox Logout', credential: 'required', schemes: 'knox', throttle: 'user', methods: { POST: { view: logoutKnox } } },
    { path: 'logout-knox-all/', name: 'Knox Logout All', credential: 'required', schemes: 'knox', throttle: 'user', methods: { POST: { view: logoutKnoxAll } } },
  ];
}
