// One renderer for every surface's mail, so every mail gets the same escaping and the
// same plain-text fallback. Names and addresses in a mail come from users, so anything
// placed into HTML goes through escapeHtml; nothing is ever inserted raw.

export interface MailContent {
  /** The whole greeting line, e.g. `Hello Ann,`. */
  greeting?: string;
  paragraphs: string[];
  /** A link the mail is about (reset, confirm); shown as a button and as a bare URL. */
  action?: { label: string; url: string };
  /** A closing note in smaller print, e.g. "If you did not ask for this, ignore this mail." */
  footer?: string;
}

export interface RenderedMail {
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values alike. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/** Renders a mail as a plain text part and an HTML part with the same content. */
export function renderMail(content: MailContent): RenderedMail {
  if (content.action) assertWebUrl(content.action.url);
  return { text: renderText(content), html: renderHtml(content) };
}

// A link built from a bad PUBLIC_URL (or worse, a `javascript:` URL) must not reach a
// mailbox as a clickable button; this is a programming or configuration error, so throw.
function assertWebUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new TypeError('mail action URL is not a valid URL');
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TypeError('mail action URL must use http or https');
  }
}

// The link sits alone on its own line so that mail clients make it clickable and a user
// (or a test) can copy it without picking up surrounding punctuation.
function renderText(content: MailContent): string {
  const blocks: string[] = [];
  if (content.greeting) blocks.push(content.greeting);
  blocks.push(...content.paragraphs);
  if (content.action) blocks.push(`${content.action.label}:\n${content.action.url}`);
  if (content.footer) blocks.push(`--\n${content.footer}`);
  return blocks.join('\n\n') + '\n';
}

const STYLE = {
  body: 'margin:0;padding:0;background:#f4f4f5;',
  card:
    'max-width:560px;margin:24px auto;padding:24px 28px;background:#ffffff;border-radius:6px;' +
    'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;color:#18181b;',
  p: 'margin:0 0 16px 0;',
  button:
    'display:inline-block;padding:10px 18px;background:#2563eb;color:#ffffff;text-decoration:none;' +
    'border-radius:4px;font-weight:600;',
  fallback: 'margin:0 0 16px 0;font-size:13px;color:#52525b;word-break:break-all;',
  footer: 'margin:24px 0 0 0;padding-top:12px;border-top:1px solid #e4e4e7;font-size:13px;color:#71717a;',
} as const;

// Inline styles only: many mail clients strip <style> blocks, and none may run scripts.
function renderHtml(content: MailContent): string {
  const parts: string[] = [];
  if (content.greeting) parts.push(paragraph(content.greeting, STYLE.p));
  for (const text of content.paragraphs) parts.push(paragraph(text, STYLE.p));
  if (content.action) parts.push(...actionHtml(content.action));
  if (content.footer) parts.push(paragraph(content.footer, STYLE.footer));
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>',
    `<body style="${STYLE.body}">`,
    `<div style="${STYLE.card}">`,
    ...parts,
    '</div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

// Line breaks inside a paragraph are kept, as <br>, after escaping.
function paragraph(text: string, style: string): string {
  return `<p style="${style}">${escapeHtml(text).replace(/\r?\n/g, '<br>')}</p>`;
}

// The bare URL under the button helps clients that render links poorly.
function actionHtml(action: { label: string; url: string }): string[] {
  const href = escapeHtml(action.url);
  return [
    `<p style="${STYLE.p}"><a href="${href}" style="${STYLE.button}">${escapeHtml(action.label)}</a></p>`,
    `<p style="${STYLE.fallback}">If the button does not work, open this address:<br><a href="${href}" style="color:#2563eb;">${href}</a></p>`,
  ];
}
