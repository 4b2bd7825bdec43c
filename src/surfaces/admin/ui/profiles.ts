// /admin/profiles/<kind>/… (admin.md §2.2): artist and collector profiles, listed with search over
// username, bio and instagram, edited (bio, instagram) and deleted.
import { PROFILE_KINDS, type Profile, type ProfileKind } from '../../../core/profiles.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { profileJson } from '../service/shapes.js';
import type { FormErrors } from '../../../core/django-forms.js';
import { textField, textareaField } from './forms.js';
import { type SafeHtml, html } from './html.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';
import { buttonForm, csrfField, orDash, timeText } from './layout.js';
import { loadPage, pager, queryOf } from './paging.js';
import { UI } from './replies.js';

const PAGE_SIZE = 50;
const TITLE: Record<ProfileKind, string> = { artist: 'Artist profiles', collector: 'Collector profiles' };
const ONE: Record<ProfileKind, string> = { artist: 'Artist profile', collector: 'Collector profile' };

function kindOf(call: StaffCall): ProfileKind | null {
  return (PROFILE_KINDS as readonly string[]).includes(call.params.kind) ? (call.params.kind as ProfileKind) : null;
}

/** The first `max` characters (code points, so no half of a surrogate pair), with an ellipsis. */
function excerpt(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? chars.slice(0, max).join('') + '\u2026' : text;
}

function row(p: Profile): SafeHtml {
  const j = profileJson(p);
  return html`<tr>
<td data-label="User"><a href="/admin/users/${j.user_id}/">${j.username ?? j.user_id}</a></td>
<td data-label="Bio" class="wrap">${orDash(excerpt(j.bio, 120))}</td>
<td data-label="Instagram" class="wrap">${orDash(j.instagram)}</td>
<td data-label="Created">${timeText(j.created)}</td>
<td data-label="Updated">${timeText(j.updated)}</td>
<td data-label="Profile"><a href="/admin/profiles/${j.kind}/${j.id}/">Edit</a></td>
</tr>`;
}

async function list(call: StaffCall): Promise<GenericReply> {
  const kind = kindOf(call);
  if (!kind) return UI.notFound;
  const query = queryOf(call.request);
  const q = query.q?.trim() ?? '';
  const p = await loadPage(query.page, PAGE_SIZE, (offset, limit) => call.ctx.profiles.search(kind, q, offset, limit));
  const table = p.items.length
    ? html`<div class="table-wrap"><table class="list"><caption class="sr-only">${TITLE[kind]}, newest first</caption>
<thead><tr><th scope="col">User</th><th scope="col">Bio</th><th scope="col">Instagram</th><th scope="col">Created</th><th scope="col">Updated</th><th scope="col">Profile</th></tr></thead>
<tbody>${p.items.map(row)}</tbody></table></div>`
    : html`<p class="empty">No profiles match.</p>`;
  const body = html`<h1>${TITLE[kind]}</h1>
<form method="get" action="/admin/profiles/${kind}/" class="filters" role="search">
${textField({ name: 'q', label: 'Search username, bio or instagram', value: q, type: 'search', wide: true })}
<div class="actions"><button type="submit" class="btn btn-primary">Search</button><a class="btn btn-secondary" href="/admin/profiles/${kind}/">Clear</a></div>
</form>
${table}
${pager(`/admin/profiles/${kind}/`, query, p, p.count === 1 ? 'profile' : 'profiles')}`;
  return call.page({ title: TITLE[kind], body, section: kind });
}

type ProfileHandler = (call: StaffCall, profile: Profile) => Promise<GenericReply>;

function onProfile(then: ProfileHandler): (call: StaffCall) => Promise<GenericReply> {
  return async (call) => {
    const kind = kindOf(call);
    const profile = kind ? await call.ctx.admin.profileByPathId(kind, call.params.id) : undefined;
    return profile ? then(call, profile) : UI.notFound;
  };
}

function editPage(call: StaffCall, p: Profile, values: { bio: string; instagram: string }, errors?: FormErrors): GenericReply {
  const base = `/admin/profiles/${p.kind}/${p.id}/`;
  const body = html`<section class="panel narrow">
<h1>${ONE[p.kind]}</h1>
<p>Owned by <a href="/admin/users/${p.user_id}/">${p.username ?? p.user_id}</a>.</p>
<form method="post" action="${base}" novalidate>
${csrfField(call.csrf())}
${textareaField({ name: 'bio', label: 'Bio', value: values.bio, errors, rows: 6 })}
${textField({ name: 'instagram', label: 'Instagram', value: values.instagram, type: 'text', errors, help: 'A full address (http, https, ftp or ftps), or empty.' })}
<div class="actions"><button type="submit" class="btn btn-primary">Save</button><a class="btn btn-danger" href="${base}delete/">Delete</a></div>
</form></section>`;
  return call.page({ title: ONE[p.kind], body, section: p.kind });
}

const showProfile = onProfile(async (call, p) => editPage(call, p, { bio: p.bio, instagram: p.instagram }));

const saveProfile = onProfile(async (call, p) => {
  const input = { bio: call.form.bio ?? p.bio, instagram: call.form.instagram ?? p.instagram };
  const r = await call.services.profiles.update(call.actor, p, input);
  if (r.ok) return call.redirect(`/admin/profiles/${p.kind}/${p.id}/`, 'profile.updated');
  if (r.kind === 'invalid') return editPage(call, p, input, r.errors);
  return UI.notFound;
});

const confirmDelete = onProfile(async (call, p) => {
  const body = html`<section class="panel narrow">
<h1>Delete ${ONE[p.kind].toLowerCase()}?</h1>
<p>The ${p.kind} profile of <a href="/admin/users/${p.user_id}/">${p.username ?? p.user_id}</a> goes, with its bio and instagram. The account stays.</p>
<div class="actions">${buttonForm(`/admin/profiles/${p.kind}/${p.id}/delete/`, 'Yes, delete', call.csrf(), 'danger')}<a class="btn btn-secondary" href="/admin/profiles/${p.kind}/${p.id}/">Cancel</a></div>
</section>`;
  return call.page({ title: `Delete ${ONE[p.kind].toLowerCase()}`, body, section: p.kind });
});

const removeProfile = onProfile(async (call, p) => {
  const r = await call.services.profiles.remove(call.actor, p);
  return r.ok ? call.redirect(`/admin/profiles/${p.kind}/`, 'profile.deleted') : UI.notFound;
});

export function profilePages(services: AdminServices): UiRoute[] {
  return [
    staffPage(services, '/admin/profiles/:kind/', 'Profiles', { GET: list }),
    staffPage(services, '/admin/profiles/:kind/:id/', 'Profile', { GET: showProfile, POST: saveProfile }),
    staffPage(services, '/admin/profiles/:kind/:id/delete/', 'Delete profile', { GET: confirmDelete, POST: removeProfile }),
  ];
}
