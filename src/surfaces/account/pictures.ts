// GET /account/get_pictures and POST /account/set_picture (account.md §2.6, §2.7).
import type { AppContext } from '../../context.js';
import type { KeyHolder } from '../../core/account-keys.js';
import { pyStrip } from '../../http/fields.js';
import type { GenericReply } from '../../http/surface.js';
import { type View, readData } from '../../http/drf-view.js';
import { type Catalogue, pictureIndex } from './catalogue.js';
import { SUCCESS } from './replies.js';

const INVALID_ID: GenericReply = { status: 200, body: { success: false, error: 'Invalid picture id.' } };

export function getPicturesView(catalogue: Catalogue): View<KeyHolder> {
  // Serialised once: the catalogue never changes while the app runs.
  const body = JSON.parse(JSON.stringify(catalogue)) as unknown;
  return {
    name: 'Get Pictures',
    summary: 'The preset picture catalogue',
    method: 'GET',
    auth: 'required',
    async handle() {
      return { status: 200, body };
    },
  };
}

/**
 * Python's int() as the original applied it to `id`: integers as they are, fractions
 * truncated toward zero, booleans as 1 and 0, and strings of ASCII digits with an optional
 * sign and surrounding whitespace. Anything else is no id.
 */
export function pictureId(value: unknown): number | null {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (typeof value !== 'string') return null;
  const text = pyStrip(value);
  return /^[+-]?[0-9]+$/.test(text) ? Number(text) : null;
}

export function setPictureView(ctx: AppContext, catalogue: Catalogue): View<KeyHolder> {
  const pictures = pictureIndex(catalogue);
  return {
    name: 'Set Picture',
    summary: "Choose the caller's picture from the catalogue by id",
    method: 'POST',
    auth: 'required',
    async handle({ request, user: holder }) {
      const body = await readData(request);
      if (body.kind === 'refused') return body.reply;
      const id = body.kind === 'data' ? pictureId(body.data.id) : null;
      const picture = id === null ? undefined : pictures.get(id);
      if (picture === undefined) return INVALID_ID;
      return (await save(ctx, holder.user.number, picture)) ? SUCCESS : INVALID_ID;
    },
  };
}

/** A failure while saving answers like an unknown id (§2.7), and is logged. */
async function save(ctx: AppContext, userNumber: number, picture: string): Promise<boolean> {
  try {
    const user = await ctx.accounts.byNumber(userNumber);
    return user !== undefined && (await ctx.actions.update(user, { picture }, { meta: { surface: 'account', ip: null, userAgent: null }, audit: 'self' })).ok;
  } catch (err) {
    ctx.log.error({ err }, 'saving the account picture failed');
    return false;
  }
}
