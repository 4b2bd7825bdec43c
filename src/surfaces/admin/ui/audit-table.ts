// The audit entries table, shown by the audit list and on each user's page. Actor and user are
// the snapshots kept in the entry, so an entry about a deleted user still reads well.
import { type AuditJson, type PersonJson, auditJson } from '../service/shapes.js';
import type { AuditRow } from '../../../core/admin/queries.js';
import { type SafeHtml, html } from './html.js';
import { breakableEmail, timeText } from './layout.js';

function who(p: PersonJson | null): SafeHtml {
  if (!p) return html`<span class="muted">\u2014</span>`;
  const name = p.username ? html`${p.username}` : p.email ? breakableEmail(p.email) : html`${p.id}`;
  return html`<a href="/admin/users/${p.id}/">${name}</a>${p.username && p.email ? html`<br><span class="muted small">${breakableEmail(p.email)}</span>` : ''}`;
}

/** IP and User-Agent together: where a request came from. */
function client(e: AuditJson): SafeHtml {
  if (!e.ip && !e.user_agent) return html`<span class="muted">\u2014</span>`;
  return html`${e.ip ?? ''}${e.ip && e.user_agent ? html`<br>` : ''}${e.user_agent ? html`<span class="muted small">${e.user_agent}</span>` : ''}`;
}

function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Details as lines: `key: value`, and each changed field as `field: old → new`. */
function details(d: Record<string, unknown>): SafeHtml {
  const lines: SafeHtml[] = [];
  for (const [key, value] of Object.entries(d)) {
    if (key === 'changed' && value && typeof value === 'object') {
      for (const [field, change] of Object.entries(value as Record<string, { old?: unknown; new?: unknown }>)) {
        lines.push(html`<li><span class="k">${field}:</span> ${valueText(change?.old)} \u2192 ${valueText(change?.new)}</li>`);
      }
    } else {
      lines.push(html`<li><span class="k">${key}:</span> ${valueText(value)}</li>`);
    }
  }
  return lines.length ? html`<ul class="plain details">${lines}</ul>` : html`<span class="muted">\u2014</span>`;
}

function row(e: AuditJson): SafeHtml {
  return html`<tr>
<td data-label="Time">${timeText(e.at)}</td>
<td data-label="Event"><span class="event">${e.event}</span></td>
<td data-label="Surface">${e.surface}</td>
<td data-label="Actor">${who(e.actor)}</td>
<td data-label="User">${who(e.user)}</td>
<td data-label="Client" class="wrap">${client(e)}</td>
<td data-label="Details" class="wrap">${details(e.details)}</td>
</tr>`;
}

export function auditTable(rows: AuditRow[], caption: string): SafeHtml {
  if (!rows.length) return html`<p class="empty">No entries.</p>`;
  return html`<div class="table-wrap"><table class="list audit">
<caption class="sr-only">${caption}</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Surface</th><th scope="col">Actor</th><th scope="col">User</th><th scope="col">Client (IP, User-Agent)</th><th scope="col">Details</th></tr></thead>
<tbody>${rows.map((r) => row(auditJson(r)))}</tbody></table></div>`;
}
