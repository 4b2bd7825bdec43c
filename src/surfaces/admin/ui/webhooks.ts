// GET /admin/webhooks/ (events.md §2): the webhook endpoints, read-only, each with its latest
// deliveries, for superusers (the endpoints API is theirs too); other staff get the 403 page.
// Changes go through the JSON API, where the secret is shown once.
import { isSuperuser } from '../../../core/admin/permissions.js';
import type { DeliveryObject, EndpointObject } from '../../../core/events/index.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { type HtmlValue, type SafeHtml, html } from './html.js';
import { orDash, timeText, yesNo } from './layout.js';
import { loadPage, pager, queryOf } from './paging.js';
import { UI } from './replies.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';

const PAGE_SIZE = 50;
/** The latest deliveries shown under each endpoint. */
const LATEST = 5;

function deliveryRow(d: DeliveryObject): SafeHtml {
  return html`<tr>
<td data-label="Created">${timeText(d.created)}</td>
<td data-label="Event"><span class="event">${d.event_type}</span><br><span class="muted small">${d.event_id}</span></td>
<td data-label="Status">${d.status}</td>
<td data-label="Attempts">${d.attempts}</td>
<td data-label="Last answer">${orDash(d.last_status_code)}</td>
<td data-label="Last error" class="wrap">${orDash(d.last_error)}</td>
<td data-label="Next attempt">${timeText(d.next_attempt_at)}</td>
</tr>`;
}

function deliveriesTable(e: EndpointObject, latest: DeliveryObject[]): SafeHtml {
  if (!latest.length) return html`<p class="empty">No deliveries yet.</p>`;
  return html`<div class="table-wrap"><table class="list">
<caption class="sr-only">Latest deliveries to ${e.url}, newest first</caption>
<thead><tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last answer</th><th scope="col">Last error</th><th scope="col">Next attempt</th></tr></thead>
<tbody>${latest.map(deliveryRow)}</tbody></table></div>`;
}

function facts(rows: Array<[string, HtmlValue]>): SafeHtml {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

function endpointPanel(e: EndpointObject, latest: DeliveryObject[]): SafeHtml {
  return html`<section class="panel webhook" aria-label="${e.url}">
<h2>${e.url}</h2>
${facts([
  ['Id', e.id],
  ['Events', e.events.join(', ')],
  ['Description', orDash(e.description)],
  ['Enabled', yesNo(e.enabled)],
  ['Failing since', timeText(e.failing_since)],
  ['Created', timeText(e.created)],
  ['Updated', timeText(e.updated)],
])}
<h3>Latest deliveries</h3>
${deliveriesTable(e, latest)}
</section>`;
}

async function webhookList(call: StaffCall): Promise<GenericReply> {
  if (!isSuperuser(call.staff)) return UI.permissionDenied;
  const endpoints = call.ctx.events.endpoints;
  const query = queryOf(call.request);
  const p = await loadPage(query.page, PAGE_SIZE, async (offset, limit) => {
    const found = await endpoints.list({ offset, limit });
    return { count: found.count, items: found.results };
  });
  const panels: SafeHtml[] = [];
  for (const e of p.items) {
    const latest = await endpoints.deliveries(e.id, { offset: 0, limit: LATEST });
    panels.push(endpointPanel(e, latest.ok ? latest.results : []));
  }
  const body = html`<h1>Webhooks</h1>
<p class="muted">Endpoints are added and changed through the JSON API (<code>/admin/api/webhooks/</code>), which shows each signing secret once.</p>
${panels.length ? panels : html`<p class="empty">No webhook endpoints.</p>`}
${pager('/admin/webhooks/', query, p, p.count === 1 ? 'endpoint' : 'endpoints')}`;
  return call.page({ title: 'Webhooks', body, section: 'webhooks' });
}

export function webhookPages(services: AdminServices): UiRoute[] {
  return [staffPage(services, '/admin/webhooks/', 'Webhooks', { GET: webhookList })];
}
