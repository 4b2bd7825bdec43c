// The page a reset link opens (user-account.md §5.6 GET). The original's link pointed at a
// POST-only route; this page asks for the new password twice, checks they match, posts
// `{"new_pwd": …}` to its own URL and shows the answer's `msg`. Everything inline carries a
// per-response nonce; the CSP allows nothing else.
import { randomBytes } from 'node:crypto';
import type { GenericReply } from '../../http/surface.js';

function headers(nonce: string): Record<string, string> {
  return {
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy':
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; ` +
      "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  };
}

const STYLE = `
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;background:#f4f4f5;color:#18181b;margin:0}
main{max-width:420px;margin:48px auto;padding:24px 28px;background:#fff;border-radius:6px}
label{display:block;margin:12px 0 4px}
input{width:100%;box-sizing:border-box;padding:8px;font-size:15px}
button{margin-top:16px;padding:10px 18px;font-size:15px}
#message{min-height:1.5em;margin-top:16px}`;

// Cookies are left out of the request: a signed-in browser would otherwise be refused with
// "user is already authenticated" or "Missing CSRF token".
const SCRIPT = `
const form = document.getElementById('reset-form');
const message = document.getElementById('message');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const pwd = form.elements.new_pwd.value;
  if (pwd !== form.elements.confirm_pwd.value) {
    message.textContent = 'The two passwords do not match.';
    return;
  }
  form.elements.submit.disabled = true;
  try {
    const res = await fetch(location.pathname, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ new_pwd: pwd }),
      credentials: 'omit',
      cache: 'no-store',
    });
    const data = await res.json();
    message.textContent = data.msg;
    if (res.ok) form.hidden = true;
  } catch {
    message.textContent = 'The request failed. Please try again.';
  } finally {
    form.elements.submit.disabled = false;
  }
});`;

function page(nonce: string, title: string, body: string, script: boolean): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title><style nonce="${nonce}">${STYLE}</style></head>`,
    `<body><main>${body}</main>${script ? `<script nonce="${nonce}">${SCRIPT}</script>` : ''}</body>`,
    '</html>',
    '',
  ].join('\n');
}

const FORM = `<h1>Reset your password</h1>
<form id="reset-form" method="post" autocomplete="off">
<label for="new_pwd">New password</label><input id="new_pwd" name="new_pwd" type="password" autocomplete="new-password" required>
<label for="confirm_pwd">Repeat the new password</label><input id="confirm_pwd" name="confirm_pwd" type="password" autocomplete="new-password" required>
<button id="submit" name="submit" type="submit">Set the new password</button>
</form>
<p id="message" role="status"></p>`;

export function resetFormPage(): GenericReply {
  const nonce = randomBytes(16).toString('base64');
  return { status: 200, html: page(nonce, 'Reset your password', FORM, true), headers: headers(nonce) };
}

export function wrongTokenPage(): GenericReply {
  const nonce = randomBytes(16).toString('base64');
  const body = '<h1>Wrong token</h1><p>This link is invalid, has expired or was already used. Please ask for a new one.</p>';
  return { status: 400, html: page(nonce, 'Wrong token', body, false), headers: headers(nonce) };
}
