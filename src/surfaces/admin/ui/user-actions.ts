// The account actions of the UI (admin.md §2.2, §2.6, mfa.md §4): set password, unlock, revoke
// sessions, turn off two-factor, send the reset mail, delete. Each runs the shared action and
// answers 302 with a notice, or the 403 page for a superuser-only action tried by staff.
import type { User } from '../../../core/accounts.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import type { AdminOutcome } from '../../../core/admin/outcomes.js';
import { checkPasswordPair } from '../../../core/admin/password-edit.js';
import { mayTouch } from '../../../core/admin/permissions.js';
import type { FormErrors } from '../../../core/django-forms.js';
import { textField } from './forms.js';
import { html, when } from './html.js';
import { type StaffCall, type UiRoute, staffPage } from './style.js';
import { buttonForm, csrfField, displayName } from './layout.js';
import { type NoticeCode, guardNotice } from './notices.js';
import { UI } from './replies.js';

type UserHandler = (call: StaffCall, user: User) => Promise<GenericReply>;

/** Loads the path's user (404) and applies the superuser-only rule (403) before `then`. */
function onTouchable(then: UserHandler): (call: StaffCall) => Promise<GenericReply> {
  return async (call) => {
    const user = await call.ctx.admin.userByPathId(call.params.id);
    if (!user) return UI.notFound;
    return mayTouch(call.staff, user) ? then(call, user) : UI.permissionDenied;
  };
}

function detailPath(user: User): string {
  return `/admin/users/${user.id}/`;
}

/** An action's outcome as the UI answers it. */
function afterAction(call: StaffCall, user: User, r: AdminOutcome, done: NoticeCode, whereTo = detailPath(user)): GenericReply {
  if (r.ok) return call.redirect(whereTo, done);
  if (r.kind === 'forbidden') return UI.permissionDenied;
  if (r.kind === 'guard') return call.redirect(detailPath(user), guardNotice(r.message));
  return UI.notFound;
}

function passwordPage(call: StaffCall, user: User, errors?: FormErrors): GenericReply {
  const body = html`<section class="panel narrow">
<h1>Set password</h1>
<p>For <a href="${detailPath(user)}">${displayName(user)}</a>. Every session and token of the user ends, and they get an email saying so.</p>
<form method="post" action="${detailPath(user)}password/" novalidate>
${csrfField(call.csrf())}
${textField({ name: 'password1', label: 'New password', value: '', type: 'password', autocomplete: 'new-password', errors, help: 'From 8 to 128 characters.' })}
${textField({ name: 'password2', label: 'New password again', value: '', type: 'password', autocomplete: 'new-password', errors })}
<div class="actions"><button type="submit" class="btn btn-primary">Set password</button><a class="btn btn-secondary" href="${detailPath(user)}">Cancel</a></div>
</form></section>`;
  return call.page({ title: 'Set password', body, section: 'users' });
}

const showPassword = onTouchable(async (call, user) => passwordPage(call, user));

const setPassword = onTouchable(async (call, user) => {
  const checked = checkPasswordPair(call.form.password1, call.form.password2);
  if (!checked.ok) return passwordPage(call, user, checked.errors);
  return afterAction(call, user, await call.services.users.setPassword(call.actor, user, checked.password), 'user.password');
});

const unlock = onTouchable(async (call, user) => afterAction(call, user, await call.services.users.unlock(call.actor, user), 'user.unlocked'));

const revoke = onTouchable(async (call, user) => afterAction(call, user, await call.services.users.revokeSessions(call.actor, user), 'user.revoked'));

const resetMfa = onTouchable(async (call, user) => afterAction(call, user, await call.services.users.resetTwoFactor(call.actor, user), 'user.mfa_reset'));

// Superuser-only on a superuser, like every other action on one (admin.md §1).
async function sendReset(call: StaffCall): Promise<GenericReply> {
  const user = await call.ctx.admin.userByPathId(call.params.id);
  if (!user) return UI.notFound;
  const r = await call.services.users.sendResetMail(call.actor, user);
  if (r.status === 'forbidden') return UI.permissionDenied;
  const notice: NoticeCode = r.status === 'sent' ? 'user.reset_sent' : r.status === 'no_email' ? 'user.no_email' : 'user.reset_too_soon';
  return call.redirect(detailPath(user), notice);
}

const confirmDelete = onTouchable(async (call, user) => {
  const x = await call.services.queries.extras(user);
  const goes = [
    `the account ${displayName(user)} (user ${user.number})`,
    ...x.profiles.map((p) => `the ${p.kind} profile`),
    `${x.knoxTokens} knox token${x.knoxTokens === 1 ? '' : 's'} and ${x.jwtLogins} live v1 JWT login${x.jwtLogins === 1 ? '' : 's'}`,
    'every browser session logged in as this user',
    ...(x.hasAccountKey ? ['the account API key'] : []),
    ...(user.avatar ? ['the uploaded avatar'] : []),
    'pending email tokens and the lockout state',
  ];
  const own = user.number === call.staff.number;
  const body = html`<section class="panel narrow">
<h1>Delete user?</h1>
<p>This cannot be undone. These will go:</p>
<ul>${goes.map((g) => html`<li>${g}</li>`)}</ul>
<p>Audit entries stay, with a snapshot of the user\u2019s id, email and username.</p>
${when(own, () => html`<p class="notice notice-error" role="alert">You cannot do this to your own account.</p>`)}
<div class="actions">${buttonForm(`${detailPath(user)}delete/`, 'Yes, delete', call.csrf(), 'danger')}<a class="btn btn-secondary" href="${detailPath(user)}">Cancel</a></div>
</section>`;
  return call.page({ title: 'Delete user', body, section: 'users' });
});

const remove = onTouchable(async (call, user) => afterAction(call, user, await call.services.users.remove(call.actor, user), 'user.deleted', '/admin/users/'));

export function userActionPages(services: AdminServices): UiRoute[] {
  return [
    staffPage(services, '/admin/users/:id/password/', 'Set password', { GET: showPassword, POST: setPassword }),
    staffPage(services, '/admin/users/:id/unlock/', 'Unlock', { POST: unlock }),
    staffPage(services, '/admin/users/:id/revoke-sessions/', 'Revoke sessions', { POST: revoke }),
    staffPage(services, '/admin/users/:id/mfa/reset/', 'Turn off two-factor', { POST: resetMfa }),
    staffPage(services, '/admin/users/:id/send-reset/', 'Send reset', { POST: sendReset }),
    staffPage(services, '/admin/users/:id/delete/', 'Delete user', { GET: confirmDelete, POST: remove }),
  ];
}
