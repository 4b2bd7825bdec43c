// GET /admin/audit/ (admin.md §2.2, §4): entries of every surface, newest first, 100 a page,
// filtered by event, by actor or user (id, email or username), and by a range of UTC dates.
import { AUDIT_EVENTS } from '../../../core/audit.js';
import { MICROS_PER_SECOND } from '../../../core/time.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { AuditFilters } from '../../../core/admin/queries.js';
import { auditTable } from './audit-table.js';
import type { FormErrors } from '../../../core/django-forms.js';
import { type SelectOption, selectField, textField } from './forms.js';
import { html } from './html.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';
import { loadPage, pager, queryOf } from './paging.js';

const PAGE_SIZE = 100;
const DAY = 86_400 * MICROS_PER_SECOND;


const EVENT_OPTIONS: SelectOption[] = [{ value: '', label: 'Any event' }, ...AUDIT_EVENTS.map((e) => ({ value: e, label: e }))];
const BAD_DATE = 'Enter a valid date.';

/** The known events, plus the one asked for when it is not among them (a link from elsewhere). */
function eventOptions(current: string | undefined): SelectOption[] {
  const known = EVENT_OPTIONS.some((o) => o.value === (current ?? ''));
  return known ? EVENT_OPTIONS : [...EVENT_OPTIONS, { value: current!, label: current! }];
}

/** `YYYY-MM-DD` → the start of that UTC day in microseconds, or null. */
function dayStart(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2024-02-30 over into March; such a date is not a date.
  return new Date(ms).toISOString().slice(0, 10) === text ? ms * 1000 : null;
}

function filtersOf(query: Record<string, string>): { filters: AuditFilters; errors: FormErrors } {
  const filters: AuditFilters = {};
  const errors: FormErrors = {};
  if (query.event) filters.event = query.event;
  if (query.q?.trim()) filters.q = query.q.trim();
  if (query.from) {
    const start = dayStart(query.from);
    if (start === null) errors.from = [BAD_DATE];
    else filters.since = start;
  }
  if (query.to) {
    const start = dayStart(query.to);
    if (start === null) errors.to = [BAD_DATE];
    else filters.until = start + DAY - 1;
  }
  return { filters, errors };
}

async function auditList(call: StaffCall): Promise<GenericReply> {
  const query = queryOf(call.request);
  const { filters, errors } = filtersOf(query);
  const p = await loadPage(query.page, PAGE_SIZE, (offset, limit) => call.services.queries.audit(filters, offset, limit));
  const body = html`<h1>Audit log</h1>
<form method="get" action="/admin/audit/" class="filters" role="search">
${textField({ name: 'q', label: 'Actor or user (id, email or username)', value: query.q ?? '', type: 'search', wide: true })}
${selectField({ name: 'event', label: 'Event', value: query.event ?? '', options: eventOptions(query.event) })}
${textField({ name: 'from', label: 'From (UTC)', value: query.from ?? '', type: 'date', errors })}
${textField({ name: 'to', label: 'To (UTC)', value: query.to ?? '', type: 'date', errors })}
<div class="actions"><button type="submit" class="btn btn-primary">Filter</button><a class="btn btn-secondary" href="/admin/audit/">Clear</a></div>
</form>
${auditTable(p.items, 'Audit entries, newest first')}
${pager('/admin/audit/', query, p, p.count === 1 ? 'entry' : 'entries')}`;
  return call.page({ title: 'Audit log', body, section: 'audit' });
}

export function auditPages(services: AdminServices): UiRoute[] {
  return [staffPage(services, '/admin/audit/', 'Audit log', { GET: auditList })];
}
