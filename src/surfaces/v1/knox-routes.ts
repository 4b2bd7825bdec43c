// Knox routes (v1.md §3.2, §3.5, §3.6, §3.8): login-knox/, mock-login/, logout-knox/,
// logout-knox-all/. The token itself (format, digest, sliding expiry, cap) is core/knox.ts.
import type { AppContext } from '../../context.js';
import { requestMeta } from '../../http/request.js';
import { Type } from '../../http/schemas.js';
import { TEXT, invalid, json } from './messages.js';
import { passwordLogin } from './password-login.js';
import { BAD_REQUEST, COMMON, KnoxLoginAnswer, MfaChallengeAnswer, says } from './schemas.js';
import { KNOX_LOGIN, LOGIN_BODY } from './examples.js';
import { type V1Call, type V1Route, challengeOf, signedInWith, v1Path } from './style.js';
import { type FieldSpec, emailFormat, rawText, validate } from './validation.js';

const LOGIN_FIELDS: FieldSpec[] = [{ key: 'email', validators: [emailFormat] }, { key: 'password' }];
const HELLO = json(200, TEXT.helloWorld);
const LOGGED_OUT = json(200, TEXT.loggedOut);
const BATCH_LOGGED_OUT = json(200, TEXT.batchLogout);
const LOCKED_DOC = says(TEXT.lockedOut);

export function knoxRoutes(ctx: AppContext): V1Route[] {
  /** Validation trims; the account is looked up and the password checked as sent (§3.2). */
  async function loginKnox({ request, reply, body, route }: V1Call) {
    const v = await validate(body, LOGIN_FIELDS);
    if (!v.ok) return invalid(v.errors);
    return passwordLogin(ctx, request, reply, rawText(v.data, 'email'), rawText(v.data, 'password'), 'knox', challengeOf(route));
  }

  async function mockLogin() {
    return HELLO;
  }

  async function logoutKnox({ request, auth }: V1Call) {
    const knox = signedInWith(auth, 'knox');
    await ctx.actions.logoutKnox(knox.user, knox.token.id, { meta: requestMeta(request, 'v1') });
    return LOGGED_OUT;
  }

  async function logoutKnoxAll({ request, auth }: V1Call) {
    const knox = signedInWith(auth, 'knox');
    await ctx.actions.logoutKnoxAll(knox.user, { meta: requestMeta(request, 'v1') });
    return BATCH_LOGGED_OUT;
  }

  return [
    {
      paths: [v1Path('login-knox/')],
      name: 'Knox Login',
      credential: 'optional',
      throttle: 'anon',
      methods: {
        POST: {
          operationId: 'v1LoginKnox',
          summary: 'Log in with email and password; returns an opaque knox token',
          body: { schema: Type.Object({ email: Type.String({ format: 'email' }), password: Type.String() }, { required: ['email', 'password'] }), example: LOGIN_BODY },
          responses: {
            200: { description: 'Logged in (or, for an account with two-factor on, the second-step challenge that login/mfa/ completes)', schema: Type.Union([KnoxLoginAnswer, MfaChallengeAnswer]), example: KNOX_LOGIN },
            400: BAD_REQUEST,
            ...COMMON,
            401: says('No active account found with the given credentials.'),
            403: LOCKED_DOC,
          },
          handle: loginKnox,
        },
      },
    },
    {
      paths: [v1Path('mock-login/')],
      name: 'Mock Login',
      credential: 'required',
      throttle: 'user',
      methods: { GET: { operationId: 'v1MockLogin', summary: 'An authenticated probe: "Hello world."', responses: { 200: says('Hello world.'), ...COMMON }, handle: mockLogin } },
    },
    {
      paths: [v1Path('logout-knox/')],
      name: 'Knox Logout',
      credential: 'required',
      scheme: 'knox',
      throttle: 'user',
      methods: { POST: { operationId: 'v1LogoutKnox', summary: 'Delete the knox token used', responses: { 200: says('User logged out successfully.'), ...COMMON }, handle: logoutKnox } },
    },
    {
      paths: [v1Path('logout-knox-all/')],
      name: 'Knox Logout All',
      credential: 'required',
      scheme: 'knox',
      throttle: 'user',
      methods: { POST: { operationId: 'v1LogoutKnoxAll', summary: "Delete every knox token of the user", responses: { 200: says('Batch logout successful.'), ...COMMON }, handle: logoutKnoxAll } },
    },
  ];
}
