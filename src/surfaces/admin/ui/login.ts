// /admin/login/ and /admin/logout/ (admin.md §2.2, §2.3). The login is the core's one password
// login (lockout, streak, audit) with `requireStaff`, and it sets the login slot of the shared
// `sessionid` session, so it logs in on `users` too. For a staff account with TOTP on, the right
// password leads to the second page instead (login-mfa.ts, mfa.md §4); with ADMIN_REQUIRE_MFA, a
// staff account without a second factor is refused after its password.
import { FORM_WORDS, type FormErrors } from '../../../core/django-forms.js';
import { pyStrip } from '../../../http/fields.js';
import { requestMeta } from '../../../http/request.js';
import { endLogin, startLogin } from '../../../http/session-login.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { isStaff } from '../../../core/admin/permissions.js';
import { formAlert, textField } from './forms.js';
import { html, when } from './html.js';
import { csrfField, displayName } from './layout.js';
import { type StaffCall, type UiCall, type UiRoute, publicPage, staffPage } from './style.js';
import { safeNext, secondPagePath } from './paths.js';
import { holdSecondStep } from './second-step-session.js';
import { MFA_REQUIRED } from '../service/policy.js';

export const LOGIN_MESSAGES = {
  badCredentials: 'Please enter the correct username or email and password for a staff account.',
  locked: 'Locked out due to too many login failures.',
  mfaRequired: MFA_REQUIRED,
} as const;

export interface LoginForm {
  username: string;
  next: string;
  errors?: FormErrors;
  alert?: string;
}

export function loginPage(call: UiCall, f: LoginForm, status = 200): GenericReply {
  const other = call.login && !isStaff(call.login.user) ? call.login.user : null;
  const body = html`<section class="panel narrow">
<h1>Log in</h1>
${when(other, () => html`<p class="notice notice-error" role="alert">You are logged in as ${displayName(other!)}, who is not staff. Log in with a staff account.</p>`)}
${formAlert(f.alert ? [f.alert] : undefined)}
<form method="post" action="/admin/login/" novalidate>
${csrfField(call.csrf())}
<input type="hidden" name="next" value="${f.next}">
${textField({ name: 'username', label: 'Username or email', value: f.username, autocomplete: 'username', errors: f.errors, required: true })}
${textField({ name: 'password', label: 'Password', value: '', type: 'password', autocomplete: 'current-password', errors: f.errors, required: true })}
<div class="actions"><button type="submit" class="btn btn-primary">Log in</button></div>
</form></section>`;
  return call.page({ title: 'Log in', body }, status);
}

function nextOf(call: UiCall): string {
  const q = (call.request.query as Record<string, unknown>).next;
  return typeof q === 'string' ? q : '';
}

async function showLogin(call: UiCall): Promise<GenericReply> {
  if (call.login && isStaff(call.login.user)) return call.redirect(safeNext(nextOf(call)));
  return loginPage(call, { username: '', next: nextOf(call) });
}

async function logIn(call: UiCall): Promise<GenericReply> {
  const username = pyStrip(call.form.username ?? '');
  const password = call.form.password ?? '';
  const next = call.form.next ?? '';
  const errors: FormErrors = {};
  if (!username) errors.username = [FORM_WORDS.required];
  if (!password) errors.password = [FORM_WORDS.required];
  if (Object.keys(errors).length) return loginPage(call, { username, next, errors });

  const { ctx } = call;
  const user = await ctx.accounts.byLogin(username);
  const refused = (locked: boolean) => loginPage(call, { username, next, alert: locked ? LOGIN_MESSAGES.locked : LOGIN_MESSAGES.badCredentials }, locked ? 403 : 200);
  const outcome = await ctx.login.attempt({
    user, password, identifier: username, method: 'session', meta: requestMeta(call.request, 'admin'),
    requireStaff: true, secondFactor: 'admin', requireSecondFactor: ctx.config.adminRequireMfa,
  });
  if (outcome.ok) {
    await startLogin(ctx, call.request, call.reply, outcome.user);
    return call.redirect(safeNext(next));
  }
  if (outcome.reason === 'mfa_required' && outcome.challenge) {
    await holdSecondStep(ctx, call.request, call.reply, outcome.challenge);
    return call.redirect(secondPagePath(next));
  }
  if (outcome.reason === 'second_factor_missing') return loginPage(call, { username, next, alert: LOGIN_MESSAGES.mfaRequired }, 403);
  return refused(outcome.reason === 'locked');
}

async function logOut(call: StaffCall): Promise<GenericReply> {
  await endLogin(call.ctx, call.reply, call.login, call.actor.meta);
  return call.redirect('/admin/login/', 'logged_out');
}

export function loginPages(services: AdminServices): UiRoute[] {
  return [
    publicPage(services, '/admin/login/', 'Log in', { GET: showLogin, POST: logIn }),
    // Staff refused by the two-factor policy may still log out.
    { ...staffPage(services, '/admin/logout/', 'Log out', { POST: logOut }), extra: { mfaPolicyExempt: true } },
  ];
}
