// GET /admin/api/audit/ and GET /admin/api/stats/ (admin.md §3.3): the audit log of every
// surface, filtered and paged, newest first; and the dashboard numbers.
import { type AuditFilters, isUuid } from '../../../core/admin/queries.js';
import type { FormErrors } from '../../../core/django-forms.js';
import { parseIsoMicros } from '../../../core/time.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { auditJson } from '../service/shapes.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import { API, invalidFields, jsonOk } from './replies.js';
import { AuditEntry, AuditQuery, ADMIN_API_COMMON, INVALID_FILTER, INVALID_PAGE, AdminStats, pageOf } from './schemas.js';
import { AUDIT_PAGE, STATS } from './examples.js';
import type { AdminApiCall, AdminApiRoute } from './style.js';

const BAD_UUID = 'Must be a valid UUID.';
const BAD_TIME = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

/** Filters from the query; every bad one is reported, in the order of the spec. */
function auditFilters(call: AdminApiCall): { ok: true; filters: AuditFilters } | { ok: false; reply: GenericReply } {
  const filters: AuditFilters = {};
  const errors: FormErrors = {};
  const event = queryParam(call.request, 'event')?.trim();
  if (event) filters.event = event;
  for (const [name, key] of [['user', 'userId'], ['actor', 'actorId']] as const) {
    const v = queryParam(call.request, name)?.trim();
    if (!v) continue;
    if (isUuid(v)) filters[key] = v;
    else errors[name] = [BAD_UUID];
  }
  for (const name of ['since', 'until'] as const) {
    const v = queryParam(call.request, name)?.trim();
    if (!v) continue;
    const micros = parseIsoMicros(v);
    if (micros === null) errors[name] = [BAD_TIME];
    else filters[name] = micros;
  }
  return Object.keys(errors).length ? { ok: false, reply: invalidFields(errors) } : { ok: true, filters };
}

export function adminAuditRoutes(services: AdminServices): AdminApiRoute[] {
  const { ctx } = services;

  async function auditList(call: AdminApiCall): Promise<GenericReply> {
    const page = pageRequest(call.request);
    if (!page) return API.invalidPage;
    const f = auditFilters(call);
    if (!f.ok) return f.reply;
    const found = await services.queries.audit(f.filters, page.offset, page.size);
    if (!pageExists(page, found.count)) return API.invalidPage;
    return jsonOk(pageBody(call.request, ctx.config, page, found.count, found.items.map(auditJson)));
  }

  return [
    {
      paths: ['/admin/api/audit/', '/admin/api/audit'],
      name: 'Audit',
      credential: 'required',
      methods: {
        GET: {
          operationId: 'adminListAudit',
          summary: 'The audit log of every surface, newest first',
          query: AuditQuery,
          responses: { 200: { description: 'A page of entries', schema: pageOf(AuditEntry), example: AUDIT_PAGE }, 400: INVALID_FILTER, 404: INVALID_PAGE, ...ADMIN_API_COMMON },
          handle: auditList,
        },
      },
    },
    {
      paths: ['/admin/api/stats/', '/admin/api/stats'],
      name: 'AdminStats',
      credential: 'required',
      methods: {
        GET: { operationId: 'adminGetStats', summary: 'Counts for the dashboard', responses: { 200: { description: 'The counts', schema: AdminStats, example: STATS }, ...ADMIN_API_COMMON }, handle: async () => jsonOk(await ctx.admin.stats()) },
      },
    },
  ];
}
