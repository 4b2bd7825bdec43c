// POST /api/user/refresh (api-user.md §3.5): rotation; the `Authorization` header is not read.
import type { User } from '../../core/accounts.js';
import { type View, badRequest, readObject } from '../../http/drf-view.js';
import { charField } from '../../http/drf-fields.js';
import { refreshRefused } from './auth.js';
import { NO_STORE } from './login.js';
import type { ApiUserTokens } from '../../core/api-user-tokens.js';

export function refreshView(tokens: ApiUserTokens): View<User> {
  return {
    name: 'Token Refresh',
    summary: 'Exchange a refresh token for a new pair (the old refresh is blacklisted)',
    method: 'POST',
    auth: 'none',
    async handle({ request }) {
      const body = await readObject(request);
      if (!body.ok) return body.reply;
      const refresh = await charField(body.data, 'refresh', {});
      if (!refresh.ok) return badRequest({ refresh: refresh.errors });
      if (!refresh.present) return badRequest({ refresh: ['This field is required.'] });
      const rotated = await tokens.rotate(refresh.value);
      if (!rotated.ok) return refreshRefused(rotated.message);
      return { status: 200, body: { access: rotated.pair.access, refresh: rotated.pair.refresh }, headers: NO_STORE };
    },
  };
}
