// /admin/api/webhooks/… (events.md §2): webhook endpoints, their deliveries, a retry, a test
// event and the secret's rotation, for superusers only. Inside a view: the superuser rule (403,
// before anything about the endpoint is revealed), the endpoint (404), then the body (400/415);
// the rules themselves, the audit and the secrets are the events core's (ctx.events.endpoints).
import { person } from '../../../core/accounts.js';
import type { ActedBy } from '../../../core/events/index.js';
import { isSuperuser } from '../../../core/admin/permissions.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { readApiData } from './data.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import { API, invalidFields, jsonOk } from './replies.js';
import { ADMIN_API_COMMON, BODY_ANSWERS, DONE_NO_CONTENT, INVALID_FILTER, INVALID_PAGE, OBJECT_NOT_FOUND, answer, pageOf } from './schemas.js';
import { type AdminApiCall, type AdminApiOperation, type AdminApiRoute, actorOf } from './style.js';
import { DELIVERIES_PAGE, DELIVERY_RETRIED, WEBHOOK, WEBHOOKS_PAGE, WEBHOOK_BODY, WEBHOOK_CREATED, WEBHOOK_EDIT, WEBHOOK_EDITED, WEBHOOK_SECRET, WEBHOOK_TEST } from './examples.js';
import { DeliveryListQuery, EndpointCreateBody, EndpointPatchBody, PagingQuery, TestQueued, WebhookDelivery, WebhookEndpoint, WebhookEndpointWithSecret, WebhookSecret } from './webhook-schemas.js';

type View = (call: AdminApiCall) => Promise<GenericReply>;

/** Who acts, for the audit entries (surface `admin-api`). */
function actedBy(call: AdminApiCall): ActedBy {
  const actor = actorOf(call);
  return { meta: actor.meta, actor: person(actor.user) };
}

/** 403 for staff who are not superusers, before anything else of the view runs. */
function superuserOnly(view: View): View {
  return async (call) => (isSuperuser(actorOf(call).user) ? view(call) : API.forbidden);
}

export function adminWebhookRoutes(services: AdminServices): AdminApiRoute[] {
  const endpoints = services.ctx.events.endpoints;
  const config = services.ctx.config;

  const list = superuserOnly(async (call) => {
    const page = pageRequest(call.request);
    if (!page) return API.invalidPage;
    const found = await endpoints.list({ offset: page.offset, limit: page.size });
    if (!pageExists(page, found.count)) return API.invalidPage;
    return jsonOk(pageBody(call.request, config, page, found.count, found.results));
  });

  const create = superuserOnly(async (call) => {
    const read = await readApiData(call.request);
    if (!read.ok) return read.reply;
    const r = await endpoints.create(read.data, actedBy(call));
    return r.ok ? { status: 201, body: r.endpoint } : invalidFields(r.errors);
  });

  const detail = superuserOnly(async (call) => {
    const endpoint = await endpoints.get(call.params.id);
    return endpoint ? jsonOk(endpoint) : API.notFound;
  });

  const edit = superuserOnly(async (call) => {
    // An unknown endpoint is 404 whatever the body holds.
    if (!(await endpoints.get(call.params.id))) return API.notFound;
    const read = await readApiData(call.request);
    if (!read.ok) return read.reply;
    const r = await endpoints.update(call.params.id, read.data, actedBy(call));
    if (r.ok) return jsonOk(r.endpoint);
    return r.reason === 'not_found' ? API.notFound : invalidFields(r.errors);
  });

  const remove = superuserOnly(async (call) => ((await endpoints.remove(call.params.id, actedBy(call))) ? API.noContent : API.notFound));

  const rotate = superuserOnly(async (call) => {
    const r = await endpoints.rotateSecret(call.params.id, actedBy(call));
    return r.ok ? jsonOk({ secret: r.secret }) : API.notFound;
  });

  const deliveries = superuserOnly(async (call) => {
    const page = pageRequest(call.request);
    if (!page) return API.invalidPage;
    const status = queryParam(call.request, 'status');
    const r = await endpoints.deliveries(call.params.id, { status: status === '' ? undefined : status, offset: page.offset, limit: page.size });
    if (!r.ok) return r.reason === 'not_found' ? API.notFound : invalidFields(r.errors);
    if (!pageExists(page, r.count)) return API.invalidPage;
    return jsonOk(pageBody(call.request, config, page, r.count, r.results));
  });

  const retry = superuserOnly(async (call) => {
    const r = await endpoints.retry(call.params.id, call.params.delivery);
    return r.ok ? { status: 202, body: r.delivery } : API.notFound;
  });

  const test = superuserOnly(async (call) => {
    const r = await endpoints.sendTest(call.params.id);
    return r.ok ? { status: 202, body: { event_id: r.eventId } } : API.notFound;
  });

  /** Every operation may answer 404 (an unknown endpoint) and the API's common answers; its own docs come last. */
  function op(operationId: string, summary: string, handle: View, responses: AdminApiOperation['responses'], extra: Partial<AdminApiOperation> = {}): AdminApiOperation {
    return { operationId, summary, handle, responses: { 404: OBJECT_NOT_FOUND, ...ADMIN_API_COMMON, ...responses }, ...extra };
  }
  const paths = (p: string) => [`/admin/api/webhooks/${p}`, `/admin/api/webhooks/${p}`.replace(/\/$/, '')];

  return [
    {
      paths: ['/admin/api/webhooks/', '/admin/api/webhooks'],
      name: 'Webhook Endpoints',
      credential: 'required',
      methods: {
        GET: op('adminListWebhooks', 'Webhook endpoints, newest first (superusers)', list, { 200: answer('A page of endpoints', pageOf(WebhookEndpoint), WEBHOOKS_PAGE), 404: INVALID_PAGE }, { query: PagingQuery }),
        POST: op('adminCreateWebhook', 'Add a webhook endpoint; the answer shows its signing secret, once (superusers)', create, {
          201: answer('The endpoint, with `secret` (`whsec_…`)', WebhookEndpointWithSecret, WEBHOOK_CREATED),
          ...BODY_ANSWERS,
        }, {
          description: '`url` must be https (http only with WEBHOOK_ALLOW_HTTP) and must not resolve to a loopback, private, link-local or multicast address (unless WEBHOOK_ALLOW_PRIVATE): "This address is not allowed."',
          body: { readByHandler: true, schema: EndpointCreateBody, example: WEBHOOK_BODY },
        }),
      },
    },
    {
      paths: paths(':id/'),
      name: 'Webhook Endpoint',
      credential: 'required',
      methods: {
        GET: op('adminGetWebhook', 'One webhook endpoint (superusers)', detail, { 200: answer('The endpoint', WebhookEndpoint, WEBHOOK) }),
        PATCH: op('adminUpdateWebhook', 'Change a webhook endpoint (the keys sent) (superusers)', edit, { 200: answer('The endpoint as saved', WebhookEndpoint, WEBHOOK_EDITED), ...BODY_ANSWERS }, {
          description: 'Enabling a disabled endpoint forgets its failing streak; its waiting deliveries are sent again, in order.',
          body: { readByHandler: true, schema: EndpointPatchBody, example: WEBHOOK_EDIT },
        }),
        DELETE: op('adminDeleteWebhook', 'Remove a webhook endpoint and its deliveries (superusers)', remove, { 204: DONE_NO_CONTENT }),
      },
    },
    {
      paths: paths(':id/rotate-secret/'),
      name: 'Webhook Rotate Secret',
      credential: 'required',
      methods: {
        POST: op('adminRotateWebhookSecret', 'A new signing secret; the old one keeps signing for 24 hours (superusers)', rotate, { 200: answer('`{"secret": "whsec_…"}`', WebhookSecret, WEBHOOK_SECRET) }),
      },
    },
    {
      paths: paths(':id/deliveries/'),
      name: 'Webhook Deliveries',
      credential: 'required',
      methods: {
        GET: op('adminListWebhookDeliveries', 'The deliveries of an endpoint, newest first (superusers)', deliveries, {
          200: answer('A page of deliveries', pageOf(WebhookDelivery), DELIVERIES_PAGE),
          400: INVALID_FILTER,
          404: answer('No such endpoint (`{"detail": "Not found."}`), or a page past the end (`{"detail": "Invalid page."}`)', INVALID_PAGE.schema),
        }, { query: DeliveryListQuery }),
      },
    },
    {
      paths: paths(':id/deliveries/:delivery/retry/'),
      name: 'Webhook Delivery Retry',
      credential: 'required',
      methods: {
        POST: op('adminRetryWebhookDelivery', 'Schedule a delivery now, whatever its status (superusers)', retry, { 202: answer('Scheduled: the delivery', WebhookDelivery, DELIVERY_RETRIED) }),
      },
    },
    {
      paths: paths(':id/test/'),
      name: 'Webhook Test',
      credential: 'required',
      methods: {
        POST: op('adminTestWebhook', 'Send a `webhook.test` event to this endpoint only (superusers)', test, { 202: answer('Queued: `{"event_id": "evt_…"}`', TestQueued, WEBHOOK_TEST) }),
      },
    },
  ];
}
