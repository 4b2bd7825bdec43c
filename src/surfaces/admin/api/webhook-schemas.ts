// The shapes of the webhook endpoints API (events.md §2, §3), for the OpenAPI document.
import { EVENT_TYPES } from '../../../core/events/index.js';
import { Nullable, Timestamp, Type, Uuid } from '../../../http/schemas.js';

const EventName = Type.String({ description: `One of ${EVENT_TYPES.join(', ')}; or \`*\` alone for every type` });

const endpointKeys = {
  id: Uuid,
  url: Type.String({ format: 'uri' }),
  events: Type.Array(EventName),
  description: Type.String(),
  enabled: Type.Boolean(),
  created: Timestamp,
  updated: Timestamp,
  failing_since: Nullable(Timestamp),
};

export const WebhookEndpoint = Type.Object(endpointKeys);

const Secret = Type.String({ pattern: '^whsec_', description: '`whsec_` + base64 of 32 random bytes; shown only on create and on rotate' });

export const WebhookEndpointWithSecret = Type.Object({ ...endpointKeys, secret: Secret });

export const WebhookSecret = Type.Object({ secret: Secret });

export const WebhookDelivery = Type.Object({
  id: Uuid,
  event_id: Type.String({ pattern: '^evt_[0-9A-HJKMNP-TV-Z]{26}$' }),
  event_type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  attempts: Type.Integer({ minimum: 0 }),
  next_attempt_at: Nullable(Timestamp),
  last_status_code: Nullable(Type.Integer()),
  last_error: Nullable(Type.String()),
  last_response: Nullable(Type.String({ description: 'The first 1 KiB of the last answer' })),
  created: Timestamp,
  updated: Timestamp,
});

export const TestQueued = Type.Object({ event_id: Type.String({ description: 'The `webhook-id` of the test delivery' }) });

export const EndpointCreateBody = Type.Object(
  {
    url: Type.String({ format: 'uri', maxLength: 2048 }),
    events: Type.Array(EventName, { minItems: 1 }),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { required: ['url', 'events'] },
);

export const EndpointPatchBody = Type.Object({
  url: Type.Optional(Type.String({ format: 'uri', maxLength: 2048 })),
  events: Type.Optional(Type.Array(EventName, { minItems: 1 })),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  enabled: Type.Optional(Type.Boolean({ description: 'Enabling forgets the failing streak' })),
});

const PAGING = {
  page: Type.Optional(Type.Integer({ minimum: 1, description: 'From 1; a page past the end is 404 "Invalid page."' })),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 50, at most 200' })),
};

export const PagingQuery = Type.Object(PAGING);

export const DeliveryListQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')])),
  ...PAGING,
});
