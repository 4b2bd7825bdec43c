// `Authorization: Token <key>` (account.md §1.3), read as DRF's TokenAuthentication read it:
// header bytes split on ASCII whitespace, the scheme word in any letter case, and its exact
// messages. Read on every route, so a broken header fails even where no key is needed.
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { KeyHolder } from '../../core/account-keys.js';
import { type DrfCredential, splitWords } from '../../http/drf-style.js';
import type { GenericReply } from '../../http/surface.js';

export const ACCOUNT_CHALLENGE = 'Token';

function unauthorized(detail: string): GenericReply {
  return { status: 401, body: { detail }, headers: { 'WWW-Authenticate': ACCOUNT_CHALLENGE } };
}

export const TOKEN_NOT_PROVIDED = unauthorized('Authentication credentials were not provided.');
const NO_CREDENTIALS = unauthorized('Invalid token header. No credentials provided.');
const HAS_SPACES = unauthorized('Invalid token header. Token string should not contain spaces.');
const BAD_CHARACTERS = unauthorized('Invalid token header. Token string should not contain invalid characters.');
const INVALID_TOKEN = unauthorized('Invalid token.');
const INACTIVE = unauthorized('User inactive or deleted.');

const ANONYMOUS: DrfCredential<KeyHolder> = { ok: true, caller: null };
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function refused(reply: GenericReply): DrfCredential<KeyHolder> {
  return { ok: false, reply };
}

/** Node hands header values over as latin-1, one character per byte; DRF decoded the key as UTF-8. */
function decodeKey(word: string): string | null {
  try {
    return UTF8.decode(Buffer.from(word, 'latin1'));
  } catch {
    return null;
  }
}

export async function readTokenHeader(ctx: AppContext, request: FastifyRequest): Promise<DrfCredential<KeyHolder>> {
  const header = request.headers.authorization;
  if (header === undefined) return ANONYMOUS;
  const words = splitWords(header);
  if (words.length === 0 || words[0].toLowerCase() !== 'token') return ANONYMOUS;
  if (words.length === 1) return refused(NO_CREDENTIALS);
  if (words.length > 2) return refused(HAS_SPACES);
  const key = decodeKey(words[1]);
  if (key === null) return refused(BAD_CHARACTERS);
  const holder = await ctx.accountKeys.holder(key);
  if (!holder) return refused(INVALID_TOKEN);
  if (holder.user.is_active !== 1) return refused(INACTIVE);
  return { ok: true, caller: holder };
}
