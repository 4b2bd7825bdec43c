// /admin/login/mfa/ (mfa.md §4): the second page of the admin login, for a staff account with TOTP
// on. The password page left the step's token in the session (second-step-session.ts); this page
// asks for a TOTP or recovery code under the same CSRF rules, and the core's second step decides:
// a wrong code shows "Invalid code." and counts toward lockout; a right one completes the login
// as admin.md §2.3 does (new session id, login slot, new CSRF token, last_login, streak cleared,
// audit login.success and the `session.created` event, all in the step's transaction).
import { FORM_WORDS, type FormErrors } from '../../../core/django-forms.js';
import { isStaff } from '../../../core/admin/permissions.js';
import { requestMeta } from '../../../http/request.js';
import { startLogin } from '../../../http/session-login.js';
import type { GenericReply } from '../../../http/surface.js';
import type { AdminServices } from '../service/index.js';
import { textField } from './forms.js';
import { html } from './html.js';
import { csrfField } from './layout.js';
import { LOGIN_MESSAGES, loginPage } from './login.js';
import { SECOND_PAGE, loginRedirect, safeNext } from './paths.js';
import { dropSecondStep, pendingSecondStep } from './second-step-session.js';
import { type UiCall, type UiRoute, publicPage } from './style.js';

const INVALID_CODE = 'Invalid code.';

function secondPage(call: UiCall, next: string, errors?: FormErrors): GenericReply {
  const body = html`<section class="panel narrow">
<h1>Two-factor authentication</h1>
<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
<form method="post" action="${SECOND_PAGE}" novalidate>
${csrfField(call.csrf())}
<input type="hidden" name="next" value="${next}">
${textField({ name: 'code', label: 'Code', value: '', autocomplete: 'one-time-code', errors, required: true })}
<div class="actions"><button type="submit" class="btn btn-primary">Verify</button><a class="btn btn-secondary" href="/admin/login/">Cancel</a></div>
</form></section>`;
  return call.page({ title: 'Two-factor authentication', body });
}

function nextOf(call: UiCall): string {
  const q = (call.request.query as Record<string, unknown>).next;
  return typeof q === 'string' ? q : '';
}

/** Back to the password page: nothing is waiting here (never started, expired, used up). */
function startOver(call: UiCall, next: string, notice = false): GenericReply {
  const to = next ? loginRedirect(next) : '/admin/login/';
  return notice ? call.redirect(to, 'login.mfa_expired') : call.redirect(to);
}

async function showSecondPage(call: UiCall): Promise<GenericReply> {
  const next = nextOf(call);
  if (call.login && isStaff(call.login.user)) return call.redirect(safeNext(next));
  if (!(await pendingSecondStep(call.ctx, call.request))) return startOver(call, next);
  return secondPage(call, next);
}

async function checkCode(call: UiCall): Promise<GenericReply> {
  const { ctx } = call;
  const next = call.form.next ?? '';
  const pending = await pendingSecondStep(ctx, call.request);
  if (!pending) return startOver(call, next, true);
  const code = call.form.code ?? '';
  if (!code.trim()) return secondPage(call, next, { code: [FORM_WORDS.required] });
  const r = await ctx.mfa.challenges.complete(pending.mfaToken, code, requestMeta(call.request, 'admin'), { accept: ['admin'] });
  if (r.ok) {
    // A new session id, the login slot, a new CSRF token; the pending step goes with the old id.
    await startLogin(ctx, call.request, call.reply, r.user);
    return call.redirect(safeNext(next));
  }
  if (r.reason === 'wrong_code') return secondPage(call, next, { code: [INVALID_CODE] });
  await dropSecondStep(ctx, call.reply, pending.session);
  if (r.reason === 'locked') return loginPage(call, { username: '', next, alert: LOGIN_MESSAGES.locked }, 403);
  if (r.reason === 'inactive') return loginPage(call, { username: '', next, alert: LOGIN_MESSAGES.badCredentials });
  return startOver(call, next, true);
}

export function secondStepPages(services: AdminServices): UiRoute[] {
  return [publicPage(services, SECOND_PAGE, 'Log in: second step', { GET: showSecondPage, POST: checkCode })];
}
