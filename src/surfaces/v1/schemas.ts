// The shapes of v1 bodies and answers, for the OpenAPI document (v1.md §1.3–§5).
import { Nullable, Timestamp, Type, Uuid } from '../../http/schemas.js';
import type { ResponseDoc } from '../../http/route.js';
import { INVALID } from './examples.js';

/** An error: a bare string, or an array of strings when a validation found several (§1.3). */
export const Errors = Type.Union([Type.String(), Type.Array(Type.String())], { description: 'A message, or the messages in field order' });
export const Message = Type.String();
export const ObjectError = Type.Object({ detail: Type.String(), code: Type.Optional(Type.String()) });

export const UserSummary = Type.Object({ id: Uuid, email: Nullable(Type.String()), username: Nullable(Type.String()) });
export const KnoxLoginAnswer = Type.Object({ id: Uuid, email: Nullable(Type.String()), username: Nullable(Type.String()), token: Type.String({ pattern: '^[0-9a-f]{64}$' }) });
export const JwtLoginAnswer = Type.Object({ refresh: Type.String(), access: Type.String(), id: Uuid, email: Nullable(Type.String()), username: Nullable(Type.String()) });
export const JwtPair = Type.Object({ access: Type.String(), refresh: Type.String() });

/** mfa.md §3.1: what a password login answers for an account with TOTP on. */
export const MfaChallengeAnswer = Type.Object({
  mfa_required: Type.Literal(true),
  mfa_token: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'For `login/mfa/`; lives 5 minutes' }),
  methods: Type.Array(Type.Union([Type.Literal('totp'), Type.Literal('recovery_code')])),
});

export const Me = Type.Object({
  id: Uuid,
  email: Nullable(Type.String()),
  username: Nullable(Type.String()),
  email_verified: Type.Boolean(),
  avatar: Nullable(Type.String({ format: 'uri' })),
  created: Timestamp,
});

export const Profile = Type.Object({ id: Uuid, bio: Type.String(), instagram: Type.String(), user: Nullable(Type.String()) });

export const SessionEntry = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('knox'), Type.Literal('jwt')]),
  created: Timestamp,
  last_used: Nullable(Timestamp),
  expires: Timestamp,
  ip: Nullable(Type.String()),
  user_agent: Nullable(Type.String()),
  current: Type.Boolean(),
});

export const Jwks = Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.String())) });

export const EmailPassword = Type.Object({ email: Type.String(), password: Type.String() });

/** An answer that is one of these bare strings (the first is the example). */
export function says(...texts: [string, ...string[]]): ResponseDoc {
  return { description: texts.map((t) => JSON.stringify(t)).join(' or '), schema: Message, example: texts[0] };
}

/** The answers every v1 operation may give besides its own (§1.2–§1.7). */
export const COMMON: Record<number, ResponseDoc> = {
  401: { description: 'Missing or broken credential (bare string, or a simplejwt object)', schema: Type.Union([Message, ObjectError]), example: 'Authentication credentials were not provided.' },
  405: { description: 'Method not allowed', schema: ObjectError, example: { detail: 'Method "PATCH" not allowed.' } },
  429: { description: 'Throttled: "Request was throttled. Expected available in N seconds."', schema: Message, example: 'Request was throttled. Expected available in 42 seconds.' },
};

export const BAD_REQUEST: ResponseDoc = { description: 'Validation failed', schema: Errors, example: INVALID };
export const NO_CONTENT: ResponseDoc = { description: 'Done; empty body' };
