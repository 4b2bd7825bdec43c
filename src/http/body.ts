// Request bodies. Fastify only buffers the raw bytes (app.ts); each surface parses them here at
// the point its own order of checks says (after authentication, permission and method), and
// words the failures in its own style.
import Busboy from 'busboy';
import type { FastifyRequest } from 'fastify';

export const JSON_LIMIT = 1024 * 1024; // JSON and form bodies (v1.md §0.13)
export const MULTIPART_LIMIT = 16 * 1024 * 1024;

export interface UploadedFile {
  kind: 'file';
  filename: string;
  mimetype: string;
  data: Buffer;
}

export type FieldValue = string | UploadedFile;

export type ParsedBody =
  | { kind: 'empty' }
  | { kind: 'json'; value: unknown }
  | { kind: 'form'; fields: Record<string, string> }
  | { kind: 'multipart'; fields: Record<string, FieldValue> }
  | { kind: 'unsupported'; mediaType: string }
  | { kind: 'bad_json'; reason: string }
  | { kind: 'bad_multipart'; reason: string };

export type BodyKind = 'json' | 'form' | 'multipart';

/** The bytes Fastify buffered (an empty Buffer when there was no body). */
export function rawBody(request: FastifyRequest): Buffer {
  const b = request.body;
  return Buffer.isBuffer(b) ? b : Buffer.alloc(0);
}

/** `application/json; charset=utf-8` → `application/json`; '' when absent. */
export function mediaType(request: FastifyRequest): string {
  const ct = request.headers['content-type'];
  return (ct ?? '').split(';')[0].trim().toLowerCase();
}

export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** JSON.parse with the parser's reason kept for "JSON parse error - <reason>". */
export function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/**
 * Parses the body by its Content-Type, accepting only `accept`. An empty body is `empty`
 * whatever its type; a non-empty body without a Content-Type is unsupported ("").
 */
export async function parseBody(request: FastifyRequest, accept: readonly BodyKind[] = ['json', 'form', 'multipart']): Promise<ParsedBody> {
  const buf = rawBody(request);
  if (buf.length === 0) return { kind: 'empty' };
  const type = mediaType(request);
  if (accept.includes('json') && isJsonType(type)) {
    const r = parseJson(buf);
    return r.ok ? { kind: 'json', value: r.value } : { kind: 'bad_json', reason: r.reason };
  }
  if (accept.includes('form') && type === 'application/x-www-form-urlencoded') {
    return { kind: 'form', fields: parseForm(buf) };
  }
  if (accept.includes('multipart') && type === 'multipart/form-data') {
    return parseMultipart(request.headers['content-type'] ?? '', buf);
  }
  return { kind: 'unsupported', mediaType: type };
}

/** The last value of a repeated key wins, as Django's QueryDict.get does. */
export function parseForm(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of new URLSearchParams(buf.toString('utf8'))) out[k] = v;
  return out;
}

export function parseMultipart(contentType: string, buf: Buffer): Promise<ParsedBody> {
  return new Promise((resolve) => {
    const fields: Record<string, FieldValue> = Object.create(null);
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({ headers: { 'content-type': contentType }, limits: { fieldSize: JSON_LIMIT, fields: 1000, files: 20, parts: 1020 }, defParamCharset: 'utf8' });
    } catch (err) {
      resolve({ kind: 'bad_multipart', reason: (err as Error).message });
      return;
    }
    // Busboy hands a part with an empty `filename=""` over as a text field; the browser (and
    // Django) meant a file without a name, which some surfaces answer in words of their own.
    const unnamedFiles = partsWithEmptyFilename(contentType, buf);
    bb.on('field', (name, value, info) => {
      fields[name] = unnamedFiles.has(name) ? { kind: 'file', filename: '', mimetype: info.mimeType, data: Buffer.from(value, 'utf8') } : value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      // A body cut off inside a file part fails on the part's own stream as well as on busboy;
      // an 'error' event nobody listens to would end the process.
      stream.on('error', (err: Error) => resolve({ kind: 'bad_multipart', reason: err.message }));
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        fields[name] = { kind: 'file', filename: info.filename ?? '', mimetype: info.mimeType, data: Buffer.concat(chunks) };
      });
    });
    bb.on('error', (err: Error) => resolve({ kind: 'bad_multipart', reason: err.message }));
    bb.on('close', () => resolve({ kind: 'multipart', fields }));
    bb.end(buf);
  });
}

/** Names of the parts whose Content-Disposition carries `filename=""`, read from the part headers only. */
function partsWithEmptyFilename(contentType: string, buf: Buffer): Set<string> {
  const names = new Set<string>();
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) return names;
  const text = buf.toString('latin1');
  if (!text.includes('filename=""')) return names;
  for (const part of text.split(`--${boundary}`)) {
    const end = part.indexOf('\r\n\r\n');
    const headers = end < 0 ? part : part.slice(0, end);
    for (const line of headers.split('\r\n')) {
      if (!/^content-disposition:/i.test(line)) continue;
      const name = /;\s*name="([^"]*)"/i.exec(line)?.[1];
      if (name !== undefined && /;\s*filename=""\s*(;|$)/i.test(line)) names.add(Buffer.from(name, 'latin1').toString('utf8'));
    }
  }
  return names;
}

export function isFile(v: unknown): v is UploadedFile {
  return typeof v === 'object' && v !== null && (v as UploadedFile).kind === 'file';
}

/** Python's type names, for "Expected a dictionary, but got <list|str|int|float|bool>." */
export function pythonTypeName(v: unknown): string {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v === null) return 'NoneType';
  return 'dict';
}
