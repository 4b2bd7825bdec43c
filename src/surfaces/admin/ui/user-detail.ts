// /admin/users/<id>/ (admin.md §2.5): every field of the user, their sessions, keys, profiles and
// recent audit entries, the edit form, and the buttons for the account actions.
import { v1AvatarUrl } from '../../../http/avatar-url.js';
import type { User } from '../../../core/accounts.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { isSuperuser, mayTouch } from '../../../core/admin/permissions.js';
import type { UserExtras } from '../../../core/admin/queries.js';
import { type UserJson, userJson } from '../service/shapes.js';
import { TEXT_KEYS, type UserEdit } from '../../../core/admin/user-edit.js';
import { auditTable } from './audit-table.js';
import type { FormErrors } from '../../../core/django-forms.js';
import { checkboxField, checked, formAlert, textField } from './forms.js';
import { type SafeHtml, html, when } from './html.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';
import { buttonForm, csrfField, displayName, orDash, timeText, yesNo } from './layout.js';
import { UI } from './replies.js';

/** What the edit form shows: the stored values, or what was just submitted. */
type FormValues = Record<(typeof TEXT_KEYS)[number], string> & Record<'is_active' | 'is_staff' | 'email_verified' | 'is_superuser', boolean>;

interface EditState { values: FormValues; errors?: FormErrors; alert?: string }

function storedValues(u: UserJson): FormValues {
  return {
    full_name: u.full_name, email: u.email ?? '', username: u.username ?? '', phone: u.phone ?? '', contacts: u.contacts ?? '',
    is_active: u.is_active, is_staff: u.is_staff, email_verified: u.email_verified, is_superuser: u.is_superuser,
  };
}

function fields(u: UserJson, x: UserExtras): SafeHtml {
  const rows: [string, SafeHtml | string][] = [
    ['ID', html`<code>${u.id}</code>`], ['Number', String(u.number)], ['Email', html`${orDash(u.email)}`],
    ['Username', html`${orDash(u.username)}`], ['Full name', html`${orDash(u.full_name)}`], ['Phone', html`${orDash(u.phone)}`],
    ['Contacts', html`${orDash(u.contacts)}`], ['Avatar', u.avatar ? html`<a href="${u.avatar}">${u.avatar}</a>` : html`${orDash(null)}`],
    ['Picture', html`${orDash(u.picture)}`], ['Email verified', yesNo(u.email_verified)], ['Active', yesNo(u.is_active)],
    ['Staff', yesNo(u.is_staff)], ['Superuser', yesNo(u.is_superuser)], ['Locked until', timeText(u.locked_until)],
    ['Failed logins', String(u.failed_logins)], ['Created', timeText(u.created)], ['Updated', timeText(u.updated)],
    ['Last login', timeText(u.last_login)], ['Knox tokens', String(x.knoxTokens)], ['Live v1 JWT logins', String(x.jwtLogins)],
    ['Account key', x.hasAccountKey ? 'Yes' : 'No'],
    ['Two-factor (TOTP)', yesNo(u.mfa.totp)], ['Recovery codes left', String(u.mfa.recovery_codes_left)], ['Passkeys', String(u.mfa.passkeys)],
  ];
  return html`<dl class="facts">${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${v}</dd></div>`)}</dl>`;
}

function profiles(x: UserExtras): SafeHtml {
  if (!x.profiles.length) return html`<p class="empty">No profiles.</p>`;
  return html`<ul class="plain">${x.profiles.map((p) => html`<li><a href="/admin/profiles/${p.kind}/${p.id}/">${p.kind === 'artist' ? 'Artist' : 'Collector'} profile</a>${p.instagram ? html` \u00b7 ${p.instagram}` : ''}</li>`)}</ul>`;
}

function actions(call: StaffCall, u: UserJson): SafeHtml {
  const base = `/admin/users/${u.id}`;
  const csrf = call.csrf();
  return html`<div class="action-bar">
<a class="btn btn-secondary" href="${base}/password/">Set password</a>
${buttonForm(`${base}/unlock/`, 'Unlock', csrf)}
${buttonForm(`${base}/revoke-sessions/`, 'Revoke sessions', csrf)}
${buttonForm(`${base}/send-reset/`, 'Send reset email', csrf)}
${when(u.mfa.totp || u.mfa.passkeys > 0, () => buttonForm(`${base}/mfa/reset/`, 'Turn off two-factor', csrf, 'danger'))}
<a class="btn btn-danger" href="${base}/delete/">Delete</a></div>`;
}

function editForm(call: StaffCall, u: UserJson, s: EditState): SafeHtml {
  const v = s.values;
  const e = s.errors;
  return html`<form method="post" action="/admin/users/${u.id}/" novalidate class="edit">
${csrfField(call.csrf())}${formAlert(s.alert ? [s.alert] : undefined)}
${textField({ name: 'full_name', label: 'Full name', value: v.full_name, errors: e, autocomplete: 'off' })}
${textField({ name: 'email', label: 'Email', value: v.email, type: 'email', errors: e, autocomplete: 'off' })}
${textField({ name: 'username', label: 'Username', value: v.username, errors: e, autocomplete: 'off' })}
${textField({ name: 'phone', label: 'Phone', value: v.phone, type: 'tel', errors: e, autocomplete: 'off' })}
${textField({ name: 'contacts', label: 'Contacts', value: v.contacts, errors: e, autocomplete: 'off' })}
<fieldset><legend>Status</legend>
${checkboxField({ name: 'is_active', label: 'Active', checked: v.is_active, errors: e, help: 'Clearing this ends every session and token of the user.' })}
${checkboxField({ name: 'is_staff', label: 'Staff (may use this admin)', checked: v.is_staff, errors: e })}
${checkboxField({ name: 'email_verified', label: 'Email verified', checked: v.email_verified, errors: e })}
${when(isSuperuser(call.staff), () => checkboxField({ name: 'is_superuser', label: 'Superuser', checked: v.is_superuser, errors: e }))}
</fieldset>
<div class="actions"><button type="submit" class="btn btn-primary">Save</button></div></form>`;
}

async function detailPage(call: StaffCall, user: User, state: EditState | null, status = 200): Promise<GenericReply> {
  const u = userJson(user, call.ctx.lockout, await v1AvatarUrl(call.ctx, call.request, user), await call.ctx.admin.mfaOf(user.number));
  const x = await call.services.queries.extras(user);
  const editable = mayTouch(call.staff, user);
  const body = html`<h1>${displayName(user)}</h1>
<p class="subtitle">User ${u.number}${u.is_superuser ? ' \u00b7 superuser' : u.is_staff ? ' \u00b7 staff' : ''}${u.is_active ? '' : ' \u00b7 inactive'}</p>
${when(u.locked_until, () => html`<p class="notice notice-error">Locked until ${timeText(u.locked_until)} after ${u.failed_logins} failed logins.</p>`)}
${editable ? actions(call, u) : html`<p class="notice notice-info">Only a superuser can change this account.</p>`}
<div class="columns">
<section class="panel" aria-labelledby="h-account"><h2 id="h-account">Account</h2>${fields(u, x)}</section>
${when(editable, () => html`<section class="panel" aria-labelledby="h-edit"><h2 id="h-edit">Edit</h2>${editForm(call, u, state ?? { values: storedValues(u) })}</section>`)}
</div>
<section class="panel" aria-labelledby="h-profiles"><h2 id="h-profiles">Profiles</h2>${profiles(x)}</section>
<section class="panel" aria-labelledby="h-audit"><h2 id="h-audit">Recent activity</h2>${auditTable(x.recentAudit, 'The user\u2019s 20 latest audit entries')}</section>`;
  return call.page({ title: displayName(user), body, section: 'users' }, status);
}

/** The submitted form as an edit: text fields sent, every checkbox (unticked = false). */
function editFromForm(form: Record<string, string>, superuser: boolean): UserEdit {
  const edit: UserEdit = {};
  for (const key of TEXT_KEYS) if (key in form) edit[key] = form[key];
  edit.is_active = checked(form, 'is_active');
  edit.is_staff = checked(form, 'is_staff');
  edit.email_verified = checked(form, 'email_verified');
  // The superuser box is only shown to superusers; from anyone else it is an attempt (403).
  if (superuser || checked(form, 'is_superuser')) edit.is_superuser = checked(form, 'is_superuser');
  return edit;
}

function submittedValues(form: Record<string, string>, fallback: FormValues): FormValues {
  const v = { ...fallback };
  for (const key of TEXT_KEYS) if (key in form) v[key] = form[key];
  for (const key of ['is_active', 'is_staff', 'email_verified', 'is_superuser'] as const) v[key] = checked(form, key);
  return v;
}

async function showUser(call: StaffCall): Promise<GenericReply> {
  const user = await call.ctx.admin.userByPathId(call.params.id);
  return user ? detailPage(call, user, null) : UI.notFound;
}

async function saveUser(call: StaffCall): Promise<GenericReply> {
  const user = await call.ctx.admin.userByPathId(call.params.id);
  if (!user) return UI.notFound;
  const r = await call.services.users.update(call.actor, user, editFromForm(call.form, isSuperuser(call.staff)));
  if (r.ok) return call.redirect(`/admin/users/${user.id}/`, 'user.updated');
  if (r.kind === 'forbidden') return UI.permissionDenied;
  if (r.kind === 'gone') return UI.notFound;
  const values = submittedValues(call.form, storedValues(userJson(user, call.ctx.lockout, null, await call.ctx.admin.mfaOf(user.number))));
  return detailPage(call, user, r.kind === 'invalid' ? { values, errors: r.errors } : { values, alert: r.message });
}

export function userDetailPages(services: AdminServices): UiRoute[] {
  return [staffPage(services, '/admin/users/:id/', 'User', { GET: showUser, POST: saveUser })];
}
