// The page behind the reset link (v1.md §5.5): two password inputs and a short script that
// posts JSON to the same path and shows the answer's text. The token is read by the script from
// the address, never written into the HTML, and removed from the address bar at once. The only
// script and style run by nonce; nothing else may load.
import { randomBytes } from 'node:crypto';
import type { GenericReply } from '../../http/surface.js';

const STYLE = `
body{margin:0;background:#f4f4f5;font:15px/1.5 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#18181b}
main{max-width:420px;margin:48px auto;padding:24px 28px;background:#fff;border-radius:6px}
h1{font-size:20px;margin:0 0 16px}
label{display:block;margin:12px 0 4px;font-weight:600}
input{box-sizing:border-box;width:100%;padding:8px;border:1px solid #a1a1aa;border-radius:4px;font:inherit}
button{margin-top:16px;padding:10px 18px;border:0;border-radius:4px;background:#2563eb;color:#fff;font:inherit;font-weight:600;cursor:pointer}
button:disabled{opacity:.6;cursor:default}
#message{min-height:1.5em;margin:16px 0 0}
#message.ok{color:#15803d}
#message.error{color:#b91c1c}`;

const SCRIPT = `
(() => {
  'use strict';
  const token = new URLSearchParams(location.search).get('token') || '';
  history.replaceState(null, '', location.pathname);
  const form = document.getElementById('reset-form');
  const button = document.getElementById('submit');
  const message = document.getElementById('message');
  const textOf = (body) => Array.isArray(body) ? body.join(' ')
    : typeof body === 'string' ? body
    : body && typeof body.detail === 'string' ? body.detail
    : 'Something went wrong. Please try again.';
  const show = (text, kind) => { message.textContent = text; message.className = kind; };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    show('Saving…', '');
    try {
      const res = await fetch(location.pathname, {
        method: 'POST',
        credentials: 'omit',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token, password: form.elements.password.value, confirm_password: form.elements.confirm_password.value }),
      });
      let body = null;
      try { body = await res.json(); } catch { body = null; }
      show(textOf(body), res.ok ? 'ok' : 'error');
      if (res.ok) { form.reset(); form.hidden = true; return; }
    } catch {
      show('The server could not be reached. Please try again.', 'error');
    }
    button.disabled = false;
  });
})();`;

function html(nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Choose a new password</title>
<style nonce="${nonce}">${STYLE}
</style>
</head>
<body>
<main>
<h1>Choose a new password</h1>
<form id="reset-form" novalidate>
<label for="password">New password</label>
<input id="password" name="password" type="password" autocomplete="new-password" maxlength="128" required>
<label for="confirm_password">Confirm the new password</label>
<input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password" maxlength="128" required>
<button id="submit" type="submit">Set the new password</button>
</form>
<p id="message" role="status" aria-live="polite"></p>
</main>
<script nonce="${nonce}">${SCRIPT}
</script>
</body>
</html>
`;
}

/** A fresh nonce per response, so an injected script can never guess it. */
export function resetPage(): GenericReply {
  const nonce = randomBytes(18).toString('base64');
  return {
    status: 200,
    html: html(nonce),
    headers: {
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`,
    },
  };
}
