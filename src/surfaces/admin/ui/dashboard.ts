// GET /admin/: the numbers of admin.md §3.2, grouped, each linking to where it can be looked into.
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { Stats } from '../../../core/admin/stats.js';
import { html } from './html.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';

interface Tile { key: keyof Stats; label: string; href?: string }

const GROUPS: { title: string; tiles: Tile[] }[] = [
  {
    title: 'Accounts',
    tiles: [
      { key: 'users', label: 'Users', href: '/admin/users/' },
      { key: 'active_users', label: 'Active', href: '/admin/users/?active=yes' },
      { key: 'staff', label: 'Staff', href: '/admin/users/?staff=yes' },
      { key: 'superusers', label: 'Superusers' },
      { key: 'verified', label: 'Verified email', href: '/admin/users/?verified=yes' },
      { key: 'locked', label: 'Locked now', href: '/admin/users/?locked=yes' },
      { key: 'registrations_7d', label: 'New in 7 days' },
      { key: 'mfa_users', label: 'Two-factor on' },
    ],
  },
  {
    title: 'Last 24 hours',
    tiles: [
      { key: 'logins_24h', label: 'Logins', href: '/admin/audit/?event=login.success' },
      { key: 'login_failures_24h', label: 'Failed logins', href: '/admin/audit/?event=login.failure' },
      { key: 'lockouts_24h', label: 'Lockouts', href: '/admin/audit/?event=lockout' },
    ],
  },
  {
    title: 'Profiles and sessions',
    tiles: [
      { key: 'artist_profiles', label: 'Artist profiles', href: '/admin/profiles/artist/' },
      { key: 'collector_profiles', label: 'Collector profiles', href: '/admin/profiles/collector/' },
      { key: 'knox_tokens', label: 'Live knox tokens' },
      { key: 'jwt_logins', label: 'Live JWT logins' },
    ],
  },
];

function tile(t: Tile, stats: Stats) {
  const inner = html`<span class="stat-value">${stats[t.key]}</span><span class="stat-label">${t.label}</span>`;
  return html`<li class="stat">${t.href ? html`<a href="${t.href}">${inner}</a>` : html`<div>${inner}</div>`}</li>`;
}

async function dashboard(call: StaffCall): Promise<GenericReply> {
  const stats = await call.ctx.admin.stats();
  const body = html`<h1>Dashboard</h1>
${GROUPS.map((g) => html`<section class="group" aria-labelledby="g-${g.title.replace(/\W+/g, '-')}">
<h2 id="g-${g.title.replace(/\W+/g, '-')}">${g.title}</h2>
<ul class="stats">${g.tiles.map((t) => tile(t, stats))}</ul></section>`)}`;
  return call.page({ title: 'Dashboard', body, section: 'dashboard' });
}

export function dashboardPages(services: AdminServices): UiRoute[] {
  return [staffPage(services, '/admin/', 'Dashboard', { GET: dashboard })];
}
