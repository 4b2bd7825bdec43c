// POST /api/user/refresh (api-user.md §3.5): rotation; the `Authorization` header is not read.
import type { AppContext } from '../../context.js';
import { DRF_BODY_DOCS, DRF_COMMON_DOCS, NO_STORE } from '../../http/drf-style.js';
import { charField, invalidFields, serializerInput } from '../../http/drf-fields.js';
import { Type } from '../../http/schemas.js';
import type { GenericReply } from '../../http/surface.js';
import { refreshRefused } from './auth.js';
import { ApiUserTokenPair, API_USER_BAD_REQUEST, API_USER_REFRESH_REFUSED } from './schemas.js';
import { REFRESHED, REFRESH_BODY } from './examples.js';
import { type ApiUserCall, type ApiUserRoute, withAndWithoutSlash } from './style.js';

export function apiUserRefreshRoutes(ctx: AppContext): ApiUserRoute[] {
  async function refresh({ body }: ApiUserCall): Promise<GenericReply> {
    const input = serializerInput(body);
    if (!input.ok) return invalidFields(input.errors);
    const token = await charField(input.data, 'refresh', {});
    if (!token.ok) return invalidFields({ refresh: token.errors });
    if (!token.present) return invalidFields({ refresh: ['This field is required.'] });
    const rotated = await ctx.apiUserTokens.rotate(token.value);
    if (!rotated.ok) return refreshRefused(rotated.message);
    return { status: 200, body: { access: rotated.pair.access, refresh: rotated.pair.refresh }, headers: NO_STORE };
  }

  return [
    {
      paths: withAndWithoutSlash('refresh'),
      name: 'Token Refresh',
      credential: 'none',
      methods: {
        POST: {
          operationId: 'apiUserRefresh',
          summary: 'Exchange a refresh token for a new pair (the old refresh is blacklisted)',
          description: 'The `Authorization` header is not read.',
          body: { schema: Type.Object({ refresh: Type.String() }), example: REFRESH_BODY },
          responses: {
            200: { description: 'A new access and refresh token', schema: ApiUserTokenPair, example: REFRESHED },
            400: API_USER_BAD_REQUEST,
            401: API_USER_REFRESH_REFUSED,
            ...DRF_BODY_DOCS,
            ...DRF_COMMON_DOCS,
          },
          handle: refresh,
        },
      },
    },
  ];
}
