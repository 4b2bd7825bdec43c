// GET /admin/api/audit/ and GET /admin/api/stats/ (admin.md §3.3): the audit log of every
// surface, filtered and paged, newest first; and the dashboard numbers.
import type { FastifyRequest } from 'fastify';
import { parseIsoMicros } from '../../../core/time.js';
import type { GenericReply } from '../../../http/surface.js';
import { type AuditFilters, isUuid } from '../../../core/admin/queries.js';
import { auditJson } from '../service/shapes.js';
import type { FormErrors } from '../../../core/django-forms.js';
import { pageBody, pageExists, pageRequest, queryParam } from './paging.js';
import type { ApiHandler, ApiRoute } from './pipeline.js';
import { API, fieldErrors, ok } from './replies.js';

const BAD_UUID = 'Must be a valid UUID.';
const BAD_TIME = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

/** Filters from the query; every bad one is reported, in the order of the spec. */
function auditFilters(request: FastifyRequest): { ok: true; filters: AuditFilters } | { ok: false; reply: GenericReply } {
  const filters: AuditFilters = {};
  const errors: FormErrors = {};
  const event = queryParam(request, 'event')?.trim();
  if (event) filters.event = event;
  for (const [name, key] of [['user', 'userId'], ['actor', 'actorId']] as const) {
    const v = queryParam(request, name)?.trim();
    if (!v) continue;
    if (isUuid(v)) filters[key] = v;
    else errors[name] = [BAD_UUID];
  }
  for (const name of ['since', 'until'] as const) {
    const v = queryParam(request, name)?.trim();
    if (!v) continue;
    const micros = parseIsoMicros(v);
    if (micros === null) errors[name] = [BAD_TIME];
    else filters[name] = micros;
  }
  return Object.keys(errors).length ? { ok: false, reply: fieldErrors(errors) } : { ok: true, filters };
}

const auditList: ApiHandler = async (call) => {
  const page = pageRequest(call.request);
  if (!page) return API.invalidPage;
  const f = auditFilters(call.request);
  if (!f.ok) return f.reply;
  const found = await call.services.queries.audit(f.filters, page.offset, page.size);
  if (!pageExists(page, found.count)) return API.invalidPage;
  return ok(pageBody(call.request, call.services.ctx.config, page, found.count, found.items.map(auditJson)));
};

const stats: ApiHandler = async (call) => ok(await call.services.ctx.admin.stats());

export function auditRoutes(): ApiRoute[] {
  return [
    { path: '/admin/api/audit/', summary: 'The audit log of every surface, newest first', methods: { GET: auditList } },
    { path: '/admin/api/stats/', summary: 'Counts for the dashboard', methods: { GET: stats } },
  ];
}
