// The examples in the markdown of docs/api/: between `<!-- example <surface>/<id> -->` and
// `<!-- /example -->` stands the recorded exchange, as two `http` blocks (request, response).
// The text between the markers is generated; a test checks it matches the recorded files.
import fs from 'node:fs';
import path from 'node:path';
import { BOUNDARY, type Exchange, type ExampleFile, SHOWN_HOST, jsonText, statusLine } from './exchange.js';

export const DOCS_DIR = 'docs/api';
export const EXAMPLES_DIR = path.join(DOCS_DIR, 'examples');
export const SURFACES = ['v1', 'api-user', 'account', 'users', 'user-account', 'admin'] as const;

const MARKER = /<!-- example ([a-z0-9-]+)\/([a-z0-9-]+) -->\n[\s\S]*?<!-- \/example -->/g;

export function exampleFilePath(surface: string): string {
  return path.join(EXAMPLES_DIR, `${surface}.json`);
}

export function loadExampleFiles(): Map<string, ExampleFile> {
  const files = new Map<string, ExampleFile>();
  for (const s of SURFACES) {
    const file = exampleFilePath(s);
    if (fs.existsSync(file)) files.set(s, JSON.parse(fs.readFileSync(file, 'utf8')) as ExampleFile);
  }
  return files;
}

export function markdownFiles(): string[] {
  return fs.readdirSync(DOCS_DIR).filter((n) => n.endsWith('.md')).map((n) => path.join(DOCS_DIR, n));
}

/** An SVG image in a body (a QR code) is shown by its opening tag: the rest is thousands of path coordinates. */
function shownJson(value: unknown): string {
  return jsonText(value).replace(/"(<svg\b[^>]*>)(?:[^"\\]|\\.)*<\/svg>"/g, (_m, open: string) => `"${open}…</svg>"`);
}

function requestBlock(ex: Exchange): string {
  const r = ex.request;
  const lines = [`${r.method} ${r.path} HTTP/1.1`, `Host: ${SHOWN_HOST}`, ...Object.entries(r.headers).map(([k, v]) => `${k}: ${v}`)];
  if (r.json !== undefined) lines.push('', shownJson(r.json));
  if (r.multipart) {
    lines.push('');
    for (const p of r.multipart) {
      lines.push(`--${BOUNDARY}`);
      if (p.file) {
        lines.push(`Content-Disposition: form-data; name="${p.name}"; filename="${p.file.filename}"`, `Content-Type: ${p.file.contentType}`, '', `(the bytes of a ${p.file.width}×${p.file.height} PNG image)`);
      } else {
        lines.push(`Content-Disposition: form-data; name="${p.name}"`, '', p.value ?? '');
      }
    }
    lines.push(`--${BOUNDARY}--`);
  }
  return lines.join('\n');
}

function responseBlock(ex: Exchange): string {
  const r = ex.response;
  const lines = [statusLine(r.status)];
  for (const [k, v] of Object.entries(r.headers)) for (const one of [v].flat()) lines.push(`${k}: ${one}`);
  if (r.json !== undefined) lines.push('', shownJson(r.json));
  else if (r.html) lines.push('', '(an HTML page)');
  else if (r.binary !== undefined) lines.push('', `(${r.binary} bytes of image data)`);
  return lines.join('\n');
}

export function renderExchange(surface: string, ex: Exchange): string {
  return `<!-- example ${surface}/${ex.id} -->\n\`\`\`http\n${requestBlock(ex)}\n\`\`\`\n\n\`\`\`http\n${responseBlock(ex)}\n\`\`\`\n<!-- /example -->`;
}

/** The markdown with every example block rendered afresh from the recorded files, and the examples it shows. */
export function fillMarkers(markdown: string, files: Map<string, ExampleFile>): { text: string; shown: string[] } {
  const shown: string[] = [];
  const text = markdown.replace(MARKER, (_m, surface: string, id: string) => {
    const ex = files.get(surface)?.exchanges.find((e) => e.id === id);
    if (!ex) throw new Error(`no recorded example ${surface}/${id}`);
    shown.push(`${surface}/${id}`);
    return renderExchange(surface, ex);
  });
  return { text, shown };
}
