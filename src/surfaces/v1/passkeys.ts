// Passkeys (passkeys.md): registering and managing the caller's passkeys (§2), and logging in
// with one (§3). The ceremonies and their rules are the passkeys core's (ctx.passkeys); this
// file resolves the relying party for the request, checks the fields in the v1 way (v1.md §1.4)
// and words the core's results. Options and credentials travel in the W3C JSON serialisation,
// so a browser passes them straight to PublicKeyCredential.parse…OptionsFromJSON() and back
// with credential.toJSON().
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import { type PasskeyObject, type RelyingParty, REGISTRATION_FAILURE_SENTENCES, resolveRelyingParty } from '../../core/passkeys/index.js';
import { charLength, isPlainObject, stringField } from '../../http/fields.js';
import { requestMeta, requestOrigin } from '../../http/request.js';
import { Nullable, Timestamp, Type, Uuid } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { answerV1Login, v1Issuer } from './issue-login.js';
import { BAD_UUID, LOCKED, NO_CONTENT, NO_STORE, TEXT, invalid, json, unauthorized } from './messages.js';
import { BAD_REQUEST, COMMON, Errors, JwtLoginAnswer, KnoxLoginAnswer, NO_CONTENT as NO_CONTENT_DOC, says } from './schemas.js';
import { type V1Call, type V1Route, challengeOf, signedIn, v1Path } from './style.js';
import { parseUuid } from './uuid.js';
import { KNOX_LOGIN, PASSKEY, PASSKEY_CREATION_OPTIONS, PASSKEY_LOGIN_BODY, PASSKEY_LOGIN_OPTIONS, PASSKEY_REGISTRATION_BODY, PASSKEY_RENAMED, PASSKEY_RENAME_BODY } from './examples.js';
import { V1_WORDS, asDictionary, maxLength, validate } from './validation.js';

export const PASSKEY_TEXT = {
  limit: 'You can register at most 10 passkeys.',
  invalidCredential: 'Credential error. Invalid credential.',
  missing: 'Passkey does not exist.',
  lastWayIn: 'You cannot remove your last way to sign in.',
  loginFailed: 'Passkey authentication failed.',
  badKind: 'Kind error. Expected knox or jwt.',
} as const;

const NAME_MAX = 64;
const NAME_TOO_LONG = `Ensure this field has no more than ${NAME_MAX} characters.`;
const nameLength = maxLength(NAME_MAX);
const PASSKEY_MISSING = json(404, PASSKEY_TEXT.missing);
const ORIGIN_REFUSED = invalid([`Passkey error. ${REGISTRATION_FAILURE_SENTENCES.origin}`]);

/** The relying party of this request (passkeys.md §1): the settings, else PUBLIC_URL, else the request's own origin. */
function relyingParty(ctx: AppContext, request: FastifyRequest): RelyingParty | null {
  const r = resolveRelyingParty(ctx.config, requestOrigin(request));
  return r.ok ? r.rp : null;
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * `credential`: a JSON object (`credential.toJSON()`), or, from a form, the same object as JSON
 * text. Absent and null answer as every v1 field does (§1.4); anything else is malformed.
 */
function credentialField(data: Record<string, unknown>): Checked<Record<string, unknown>> {
  if (!Object.prototype.hasOwnProperty.call(data, 'credential') || data.credential === undefined) return { ok: false, error: V1_WORDS.required('credential') };
  const raw = data.credential;
  if (raw === null) return { ok: false, error: V1_WORDS.null('credential') };
  if (isPlainObject(raw)) return { ok: true, value: raw };
  if (typeof raw === 'string') {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (isPlainObject(parsed)) return { ok: true, value: parsed };
    } catch {
      // not JSON: malformed, below
    }
  }
  return { ok: false, error: PASSKEY_TEXT.invalidCredential };
}

/** `kind` of a passkey login: `knox` (absent) or `jwt`. */
function kindField(data: Record<string, unknown>): Checked<'knox' | 'jwt'> {
  const r = stringField(data, 'kind', { required: false }, V1_WORDS);
  if (!r.ok) return r;
  if (!r.present || r.value === null) return { ok: true, value: 'knox' };
  return r.value === 'knox' || r.value === 'jwt' ? { ok: true, value: r.value } : { ok: false, error: PASSKEY_TEXT.badKind };
}

export function passkeyRoutes(ctx: AppContext): V1Route[] {
  const passkeys = ctx.passkeys;

  async function list({ auth }: V1Call): Promise<GenericReply> {
    return json(200, await passkeys.management.list(signedIn(auth).user.number));
  }

  /** §2.1: fresh creation options, unless the caller has 10 passkeys. */
  async function registrationOptions({ request, auth }: V1Call): Promise<GenericReply> {
    const rp = relyingParty(ctx, request);
    if (!rp) return ORIGIN_REFUSED;
    const r = await passkeys.registration.options(signedIn(auth).user, rp);
    if (!r.ok) return invalid([PASSKEY_TEXT.limit]);
    return json(200, r.options, NO_STORE);
  }

  /** §2.2: `credential`, then `name`; then the ceremony's checks, each refusal in one sentence. */
  async function register({ request, auth, body }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const dict = asDictionary(body);
    if (!dict.ok) return invalid(dict.errors);
    const errors: string[] = [];
    const credential = credentialField(dict.data);
    if (!credential.ok) errors.push(credential.error);
    const name = stringField(dict.data, 'name', { required: false, allowBlank: true }, V1_WORDS);
    if (!name.ok) errors.push(name.error);
    else if (name.present && name.value !== null && charLength(name.value) > NAME_MAX) errors.push(NAME_TOO_LONG);
    if (errors.length || !credential.ok || !name.ok) return invalid(errors);
    const rp = relyingParty(ctx, request);
    if (!rp) return ORIGIN_REFUSED;
    const r = await passkeys.registration.register({
      user,
      credential: credential.value,
      name: name.present ? name.value : null,
      rp,
      meta: requestMeta(request, 'v1'),
    });
    if (r.ok) return json(201, r.passkey);
    switch (r.reason) {
      case 'malformed':
        return invalid([PASSKEY_TEXT.invalidCredential]);
      case 'limit':
        return invalid([PASSKEY_TEXT.limit]);
      case 'name_too_long':
        return invalid([NAME_TOO_LONG]);
      default:
        return invalid([`Passkey error. ${REGISTRATION_FAILURE_SENTENCES[r.reason]}`]);
    }
  }

  /** The caller's passkey named by the path, or the 400/404 answer (the id first, as for profiles). */
  async function own(call: V1Call): Promise<{ user: User; id: string } | { reply: GenericReply }> {
    const user = signedIn(call.auth).user;
    const id = parseUuid(call.params.id ?? '');
    if (id === null) return { reply: BAD_UUID };
    const mine = await passkeys.management.list(user.number);
    return mine.some((p: PasskeyObject) => p.id === id) ? { user, id } : { reply: PASSKEY_MISSING };
  }

  /** §2.3 PUT: `{"name"}`, required, trimmed, at most 64. */
  async function rename(call: V1Call): Promise<GenericReply> {
    const found = await own(call);
    if ('reply' in found) return found.reply;
    const v = await validate(call.body, [{ key: 'name', validators: [nameLength] }]);
    if (!v.ok) return invalid(v.errors);
    const r = await passkeys.management.rename(found.user, found.id, v.values.name);
    if (r.ok) return json(200, r.passkey);
    return r.reason === 'not_found' ? PASSKEY_MISSING : invalid([NAME_TOO_LONG]);
  }

  /** §2.3 DELETE, §4: never the last way in. */
  async function remove({ request, auth, params }: V1Call): Promise<GenericReply> {
    const user = signedIn(auth).user;
    const id = parseUuid(params.id ?? '');
    if (id === null) return BAD_UUID;
    const r = await passkeys.management.remove(user, id, requestMeta(request, 'v1'));
    if (r.ok) return NO_CONTENT;
    return r.reason === 'not_found' ? PASSKEY_MISSING : invalid([PASSKEY_TEXT.lastWayIn]);
  }

  /** §3.1: no body is read; the options name no credential. */
  async function loginOptions({ request }: V1Call): Promise<GenericReply> {
    const rp = relyingParty(ctx, request);
    if (!rp) return ORIGIN_REFUSED;
    return json(200, await passkeys.authentication.options(rp), NO_STORE);
  }

  /**
   * §3.2: the fields, the assertion (one 401 for every refusal), the account (locked 403,
   * inactive 401), then exactly the success of login-knox/ or login-jwt/; no second step
   * (mfa.md §3.3).
   */
  async function login({ request, reply, body, route }: V1Call): Promise<GenericReply> {
    const challenge = challengeOf(route);
    const dict = asDictionary(body);
    if (!dict.ok) return invalid(dict.errors);
    const errors: string[] = [];
    const challengeId = stringField(dict.data, 'challenge_id', {}, V1_WORDS);
    if (!challengeId.ok) errors.push(challengeId.error);
    const credential = credentialField(dict.data);
    if (!credential.ok) errors.push(credential.error);
    const kind = kindField(dict.data);
    if (!kind.ok) errors.push(kind.error);
    if (errors.length || !challengeId.ok || !challengeId.present || !credential.ok || !kind.ok) return invalid(errors);

    const failed = unauthorized(PASSKEY_TEXT.loginFailed, challenge);
    const rp = relyingParty(ctx, request);
    if (!rp) return failed;
    const meta = requestMeta(request, 'v1');
    const r = await passkeys.authentication.login({ challengeId: challengeId.value, credential: credential.value, rp, meta });
    if (!r.ok) {
      switch (r.reason) {
        case 'locked':
          return LOCKED;
        case 'inactive':
          return unauthorized(TEXT.badCredentials, challenge);
        case 'malformed':
          return invalid([PASSKEY_TEXT.invalidCredential]);
        default:
          return failed;
      }
    }
    const done = await ctx.login.recordSuccess(r.user, meta, { method: 'passkey', kind: kind.value, authenticator: r.passkey.id }, v1Issuer(ctx, meta, kind.value));
    return answerV1Login(ctx, request, reply, done.user, done.issued);
  }

  return [
    {
      paths: [v1Path('passkeys/')],
      name: 'Passkeys',
      credential: 'required',
      throttle: 'user',
      methods: {
        GET: { operationId: 'v1ListPasskeys', summary: 'The caller’s passkeys, newest first', responses: { 200: { description: 'The passkeys', schema: Type.Array(PasskeySchema), example: [PASSKEY] }, ...COMMON }, handle: list },
      },
    },
    {
      paths: [v1Path('passkeys/register/options/')],
      name: 'Passkey Registration Options',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1PasskeyRegistrationOptions',
          summary: 'Options for navigator.credentials.create(): a fresh challenge, kept 5 minutes for this user',
          description: 'Pass the answer to `PublicKeyCredential.parseCreationOptionsFromJSON()`. No body is read.',
          responses: { 200: { description: 'PublicKeyCredentialCreationOptionsJSON', schema: CreationOptions, example: PASSKEY_CREATION_OPTIONS }, 400: says('You can register at most 10 passkeys.'), ...COMMON },
          handle: registrationOptions,
        },
      },
    },
    {
      paths: [v1Path('passkeys/register/')],
      name: 'Passkey Registration',
      credential: 'required',
      throttle: 'user',
      methods: {
        POST: {
          operationId: 'v1RegisterPasskey',
          summary: 'Verify a new passkey (credential.toJSON() of the creation) and keep it',
          body: { schema: Type.Object({ credential: RegistrationResponse, name: Type.Optional(Type.String({ maxLength: NAME_MAX })) }, { required: ['credential'] }), example: PASSKEY_REGISTRATION_BODY },
          responses: {
            201: { description: 'The new passkey', schema: PasskeySchema, example: PASSKEY },
            400: { description: 'Field errors, "Credential error. Invalid credential.", "Passkey error. <reason>" or the 10-passkey limit', schema: Errors, example: PASSKEY_TEXT.invalidCredential },
            ...COMMON,
          },
          handle: register,
        },
      },
    },
    {
      paths: [v1Path('passkeys/:id/')],
      name: 'Passkey Detail',
      credential: 'required',
      throttle: 'user',
      methods: {
        PUT: {
          operationId: 'v1RenamePasskey',
          summary: 'Rename one of the caller’s passkeys',
          body: { schema: Type.Object({ name: Type.String({ maxLength: NAME_MAX }) }, { required: ['name'] }), example: PASSKEY_RENAME_BODY },
          responses: { 200: { description: 'The passkey', schema: PasskeySchema, example: PASSKEY_RENAMED }, 400: BAD_REQUEST, 404: says('Passkey does not exist.'), ...COMMON },
          handle: rename,
        },
        DELETE: {
          operationId: 'v1DeletePasskey',
          summary: 'Remove one of the caller’s passkeys (never the last way to sign in)',
          responses: {
            204: NO_CONTENT_DOC,
            400: says('You cannot remove your last way to sign in.', 'Badly formed hexadecimal uuid string'),
            404: says('Passkey does not exist.'),
            ...COMMON,
          },
          handle: remove,
        },
      },
    },
    {
      paths: [v1Path('login-passkey/options/')],
      name: 'Passkey Login Options',
      credential: 'none',
      throttle: 'anon',
      methods: {
        POST: {
          operationId: 'v1PasskeyLoginOptions',
          summary: 'Options for navigator.credentials.get() (usernameless): a challenge id and a fresh challenge, kept 5 minutes',
          description: 'No body is read. `allowCredentials` is always empty, so the answer tells nothing about any account.',
          responses: { 200: { description: 'The challenge id and PublicKeyCredentialRequestOptionsJSON', schema: LoginOptionsAnswer, example: PASSKEY_LOGIN_OPTIONS }, 400: says('Passkey error. Origin is not allowed.'), ...COMMON },
          handle: loginOptions,
        },
      },
    },
    {
      paths: [v1Path('login-passkey/')],
      name: 'Passkey Login',
      credential: 'none',
      throttle: 'anon',
      extra: { crossSiteChecked: true },
      methods: {
        POST: {
          operationId: 'v1LoginPasskey',
          summary: 'Log in with a passkey assertion; answers as login-knox/ or, with kind jwt, as login-jwt/',
          body: {
            schema: Type.Object(
              { challenge_id: Type.String(), credential: AuthenticationResponse, kind: Type.Optional(Type.Union([Type.Literal('knox'), Type.Literal('jwt')])) },
              { required: ['challenge_id', 'credential'] },
            ),
            example: PASSKEY_LOGIN_BODY,
          },
          responses: {
            200: { description: 'Logged in: the login-knox/ body, or for kind jwt the login-jwt/ body with Set-Cookie: sessionid', schema: Type.Union([KnoxLoginAnswer, JwtLoginAnswer]), example: { ...KNOX_LOGIN, username: 'ann.lee' } },
            400: BAD_REQUEST,
            ...COMMON,
            401: { description: '"Passkey authentication failed." (every refused assertion), "No active account found with the given credentials." (inactive), or a broken credential header', schema: Type.String(), example: PASSKEY_TEXT.loginFailed },
            403: { description: 'Locked out, or a cross-site request', schema: Type.String(), example: TEXT.lockedOut },
          },
          handle: login,
        },
      },
    },
  ];
}

// ---- OpenAPI shapes (W3C WebAuthn L3 §5.1 JSON serialisation; only the outline is described) ----

const PasskeySchema = Type.Object({
  id: Uuid,
  name: Type.String(),
  created: Timestamp,
  last_used: Nullable(Timestamp),
  transports: Type.Array(Type.String()),
  backed_up: Type.Boolean(),
  device_type: Type.Union([Type.Literal('single_device'), Type.Literal('multi_device')]),
});

const B64 = Type.String({ description: 'base64url' });

const CreationOptions = Type.Object(
  {
    challenge: B64,
    rp: Type.Object({ name: Type.String(), id: Type.String() }),
    user: Type.Object({ id: B64, name: Type.String(), displayName: Type.String() }),
    pubKeyCredParams: Type.Array(Type.Object({ type: Type.Literal('public-key'), alg: Type.Integer() })),
    timeout: Type.Integer(),
    attestation: Type.Literal('none'),
    excludeCredentials: Type.Array(Type.Object({ id: B64, type: Type.Literal('public-key'), transports: Type.Optional(Type.Array(Type.String())) })),
    authenticatorSelection: Type.Object({ residentKey: Type.Literal('required'), userVerification: Type.Literal('preferred') }),
  },
  { description: 'PublicKeyCredentialCreationOptionsJSON' },
);

const LoginOptionsAnswer = Type.Object({
  challenge_id: Type.String({ minLength: 43, maxLength: 43 }),
  options: Type.Object(
    { challenge: B64, timeout: Type.Integer(), rpId: Type.String(), allowCredentials: Type.Array(Type.Object({})), userVerification: Type.Literal('required') },
    { description: 'PublicKeyCredentialRequestOptionsJSON' },
  ),
});

/** What every PublicKeyCredential's toJSON() carries besides its response. */
const credentialKeys = {
  authenticatorAttachment: Type.Optional(Type.Union([Type.Literal('platform'), Type.Literal('cross-platform')])),
  clientExtensionResults: Type.Record(Type.String(), Type.Unknown(), { description: 'Not read' }),
  id: B64,
  rawId: B64,
  type: Type.Literal('public-key'),
};

const RegistrationResponse = Type.Object(
  {
    ...credentialKeys,
    response: Type.Object({
      attestationObject: B64,
      authenticatorData: Type.Optional(B64),
      clientDataJSON: B64,
      publicKey: Type.Optional(Type.String({ description: 'base64url (not read: the key is taken from attestationObject)' })),
      publicKeyAlgorithm: Type.Optional(Type.Integer()),
      transports: Type.Optional(Type.Array(Type.String())),
    }),
  },
  { description: 'RegistrationResponseJSON (credential.toJSON())' },
);

const AuthenticationResponse = Type.Object(
  { ...credentialKeys, response: Type.Object({ authenticatorData: B64, clientDataJSON: B64, signature: B64, userHandle: Type.Optional(B64) }) },
  { description: 'AuthenticationResponseJSON (credential.toJSON())' },
);
