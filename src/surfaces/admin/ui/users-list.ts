// GET /admin/users/ (admin.md §2.4): search over email, username and full name; yes/no filters;
// newest first, 50 a page.
import { isoMicros, isoOrNull } from '../../../core/time.js';
import type { User } from '../../../core/accounts.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { UserFilters } from '../../../core/admin/queries.js';
import { type SelectOption, selectField, textField } from './forms.js';
import { html } from './html.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';
import { breakableEmail, orDash, timeText, yesNo } from './layout.js';
import { loadPage, pager, queryOf } from './paging.js';

const PAGE_SIZE = 50;
const FILTERS = [
  { name: 'active', label: 'Active' },
  { name: 'staff', label: 'Staff' },
  { name: 'locked', label: 'Locked' },
  { name: 'verified', label: 'Verified' },
] as const;
const YES_NO: SelectOption[] = [{ value: '', label: 'Any' }, { value: 'yes', label: 'Yes' }, { value: 'no', label: 'No' }];

function filtersOf(query: Record<string, string>): UserFilters {
  const f: UserFilters = { q: query.q?.trim() || undefined };
  for (const { name } of FILTERS) {
    if (query[name] === 'yes') f[name] = true;
    else if (query[name] === 'no') f[name] = false;
  }
  return f;
}

function row(call: StaffCall, u: User) {
  const lockedUntil = isoOrNull(call.ctx.lockout.lockedUntil(u));
  return html`<tr>
<td data-label="Number"><a href="/admin/users/${u.id}/">${u.number}</a></td>
<td data-label="Email">${u.email ? breakableEmail(u.email) : orDash(null)}</td>
<td data-label="Username">${orDash(u.username)}</td>
<td data-label="Full name">${orDash(u.full_name)}</td>
<td data-label="Active">${yesNo(u.is_active)}</td>
<td data-label="Staff">${yesNo(u.is_staff)}</td>
<td data-label="Superuser">${yesNo(u.is_superuser)}</td>
<td data-label="Verified">${yesNo(u.email_verified)}</td>
<td data-label="Locked until">${timeText(lockedUntil)}</td>
<td data-label="Created">${timeText(isoMicros(u.created))}</td>
<td data-label="Last login">${timeText(isoOrNull(u.last_login))}</td>
</tr>`;
}

async function userList(call: StaffCall): Promise<GenericReply> {
  const query = queryOf(call.request);
  const filters = filtersOf(query);
  const p = await loadPage(query.page, PAGE_SIZE, (offset, limit) => call.services.queries.users(filters, offset, limit));
  const table = p.items.length
    ? html`<div class="table-wrap"><table class="list">
<caption class="sr-only">Users, newest first</caption>
<thead><tr><th scope="col">Number</th><th scope="col">Email</th><th scope="col">Username</th><th scope="col">Full name</th><th scope="col">Active</th><th scope="col">Staff</th><th scope="col">Superuser</th><th scope="col">Verified</th><th scope="col">Locked until</th><th scope="col">Created</th><th scope="col">Last login</th></tr></thead>
<tbody>${p.items.map((u) => row(call, u))}</tbody></table></div>`
    : html`<p class="empty">No users match.</p>`;
  const body = html`<h1>Users</h1>
<form method="get" action="/admin/users/" class="filters" role="search">
${textField({ name: 'q', label: 'Search email, username or name', value: query.q ?? '', type: 'search', wide: true })}
${FILTERS.map((f) => selectField({ name: f.name, label: f.label, value: query[f.name] ?? '', options: YES_NO }))}
<div class="actions"><button type="submit" class="btn btn-primary">Search</button><a class="btn btn-secondary" href="/admin/users/">Clear</a></div>
</form>
${table}
${pager('/admin/users/', query, p, p.count === 1 ? 'user' : 'users')}`;
  return call.page({ title: 'Users', body, section: 'users' });
}

export function userListPages(services: AdminServices): UiRoute[] {
  return [staffPage(services, '/admin/users/', 'Users', { GET: userList })];
}
