// GET /account/get_pictures and POST /account/set_picture (account.md §2.6, §2.7).
import type { AppContext } from '../../context.js';
import { isServiceUnavailable } from '../../errors.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS, callerOf } from '../../http/drf-style.js';
import { serializerInput } from '../../http/drf-fields.js';
import { pyStrip } from '../../http/fields.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { type Catalogue, pictureIndex } from './catalogue.js';
import { SUCCESS } from './replies.js';
import { ACCOUNT_PARSE_ERROR, ACCOUNT_UNAUTHORIZED, PictureCatalogue, Success } from './schemas.js';
import { DONE, PICTURES, SET_PICTURE_BODY } from './examples.js';
import { type AccountCall, type AccountRoute, accountPath } from './style.js';

const INVALID_ID: GenericReply = { status: 200, body: { success: false, error: 'Invalid picture id.' } };

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

/** A failure while saving answers like an unknown id (§2.7), and is logged; an outage stays a 503. */
async function save(ctx: AppContext, userNumber: number, picture: string): Promise<boolean> {
  try {
    const user = await ctx.accounts.byNumber(userNumber);
    return user !== undefined && (await ctx.actions.update(user, { picture }, { meta: { surface: 'account', ip: null, userAgent: null }, audit: 'self' })).ok;
  } catch (err) {
    if (isServiceUnavailable(err)) throw err;
    ctx.log.error({ err }, 'saving the account picture failed');
    return false;
  }
}

export function accountPictureRoutes(ctx: AppContext, catalogue: Catalogue): AccountRoute[] {
  // Serialised once: the catalogue never changes while the app runs.
  const catalogueBody = JSON.parse(JSON.stringify(catalogue)) as unknown;
  const pictures = pictureIndex(catalogue);

  async function getPictures(): Promise<GenericReply> {
    return { status: 200, body: catalogueBody };
  }

  async function setPicture({ auth, body }: AccountCall): Promise<GenericReply> {
    const holder = callerOf(auth);
    const input = serializerInput(body);
    const id = input.ok ? pictureId(input.data.id) : null;
    const picture = id === null ? undefined : pictures.get(id);
    if (picture === undefined) return INVALID_ID;
    return (await save(ctx, holder.user.number, picture)) ? SUCCESS : INVALID_ID;
  }

  return [
    {
      paths: [accountPath('get_pictures')],
      name: 'Get Pictures',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'accountGetPictures',
          summary: 'The preset picture catalogue',
          responses: { 200: { description: 'The catalogue as configured, without a success wrapper', schema: PictureCatalogue, example: PICTURES }, 401: ACCOUNT_UNAUTHORIZED, ...DRF_COMMON_DOCS },
          handle: getPictures,
        },
      },
    },
    {
      // The seed document's spelling is served too, undocumented.
      paths: [accountPath('set_picture'), '/acount/set_picture'],
      name: 'Set Picture',
      credential: 'required',
      methods: {
        POST: {
          operationId: 'accountSetPicture',
          summary: "Choose the caller's picture from the catalogue by id",
          description:
            'Also served at `/acount/set_picture`. `id` is read as Python\'s int() did: an integer, a number truncated toward zero, true/false as 1/0, or a string of ASCII digits with an optional sign and surrounding spaces.',
          body: {
            schema: Type.Object({ id: Type.Union([Type.Integer(), Type.Number(), Type.Boolean(), Type.String({ pattern: '^\\s*[+-]?[0-9]+\\s*$' })], { description: 'A catalogue id' }) }),
            example: SET_PICTURE_BODY,
          },
          responses: {
            200: {
              description: 'Stored (success true), or no such id, an invalid value, or a failure while saving (success false)',
              schema: Type.Union([Success, Type.Object({ success: Type.Literal(false), error: Type.Literal('Invalid picture id.') })]),
              example: DONE,
            },
            400: ACCOUNT_PARSE_ERROR,
            401: ACCOUNT_UNAUTHORIZED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: setPicture,
        },
      },
    },
  ];
}
