// `Authorization: JWT <access token>` (api-user.md §1.4), read as simplejwt's
// JWTAuthentication read it: the scheme word exactly `JWT`, any other scheme is no
// credential, and each failure answers 401 with its own body and `WWW-Authenticate`.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { User } from '../../core/accounts.js';
import type { TokenMessage } from '../../core/api-user-tokens.js';
import { type DrfCredential, splitWords } from '../../http/drf-style.js';
import type { GenericReply } from '../../http/surface.js';

export const API_USER_CHALLENGE = 'JWT realm="api"';

function unauthorized(body: Record<string, unknown>): GenericReply {
  return { status: 401, body, headers: { 'WWW-Authenticate': API_USER_CHALLENGE } };
}

export const JWT_NOT_PROVIDED = unauthorized({ detail: 'Authentication credentials were not provided.' });
const BAD_HEADER = unauthorized({ detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' });
const NO_USER_ID = unauthorized({ detail: 'Token contained no recognizable user identification', code: 'token_not_valid' });
const USER_NOT_FOUND = unauthorized({ detail: 'User not found', code: 'user_not_found' });
const USER_INACTIVE = unauthorized({ detail: 'User is inactive', code: 'user_inactive' });

/** simplejwt's InvalidToken for the one token class it tried (AccessToken). */
function notValidForAnyType(message: TokenMessage): GenericReply {
  return unauthorized({
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  });
}

/** The refresh endpoint's 401: the token error alone. */
export function refreshRefused(message: TokenMessage): GenericReply {
  return unauthorized({ detail: message, code: 'token_not_valid' });
}

function refused(reply: GenericReply): DrfCredential<User> {
  return { ok: false, reply };
}

const ANONYMOUS: DrfCredential<User> = { ok: true, caller: null };

export async function readJwtHeader(ctx: AppContext, request: FastifyRequest): Promise<DrfCredential<User>> {
  const header = request.headers.authorization;
  if (header === undefined) return ANONYMOUS;
  const words = splitWords(header);
  if (words[0] !== 'JWT') return ANONYMOUS;
  if (words.length !== 2) return refused(BAD_HEADER);
  const checked = await ctx.apiUserTokens.check(words[1], 'access');
  if (!checked.ok) return refused(notValidForAnyType(checked.message));
  const userId = checked.payload.user_id;
  if (userId === undefined) return refused(NO_USER_ID);
  const user = typeof userId === 'string' ? await ctx.accounts.byId(userId) : undefined;
  if (!user) return refused(USER_NOT_FOUND);
  if (user.is_active !== 1) return refused(USER_INACTIVE);
  return { ok: true, caller: user };
}
