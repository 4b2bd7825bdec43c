// Serves a stored image with the headers every surface shares (v1.md §0.10): the stored
// format's Content-Type, nosniff, no-cache and an ETag, with 304 and HEAD support.

import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IMAGE_CONTENT_TYPE, type ImageFormat } from '../core/media.js';

export type ServedFile = { absPath: string; size: number; etag: string };

export async function sendImage(
  request: FastifyRequest,
  reply: FastifyReply,
  file: ServedFile,
  format: ImageFormat,
): Promise<FastifyReply> {
  if (ifNoneMatchMatches(request.headers['if-none-match'], file.etag)) {
    return withMediaHeaders(reply, file, format).code(304).send(emptyBody());
  }
  if (request.method === 'HEAD') {
    return withMediaHeaders(reply, file, format).header('Content-Length', String(file.size)).send(emptyBody());
  }
  // Opened before any header is set, so a file replaced or deleted since the caller looked
  // it up gets the surface's own 404 (with its own Content-Type), not a stream error after
  // the 200 headers are gone.
  const handle = await openIfPresent(file.absPath);
  if (!handle) {
    reply.callNotFound();
    return reply;
  }
  return withMediaHeaders(reply, file, format)
    .header('Content-Length', String(file.size))
    .send(handle.createReadStream());
}

function withMediaHeaders(reply: FastifyReply, file: ServedFile, format: ImageFormat): FastifyReply {
  return (
    reply
      .header('Content-Type', IMAGE_CONTENT_TYPE[format])
      .header('X-Content-Type-Options', 'nosniff')
      // no-cache, not no-store: clients keep the image but revalidate it with the ETag.
      .header('Cache-Control', 'no-cache')
      .header('ETag', file.etag)
  );
}

// An empty stream rather than no payload: Fastify's automatic HEAD route would otherwise
// overwrite our Content-Length with 0 (it only measures string and buffer payloads), and
// for 304 it would add a Content-Length: 0 that misstates the representation.
function emptyBody(): Readable {
  return Readable.from([]);
}

async function openIfPresent(absPath: string): Promise<FileHandle | null> {
  try {
    return await open(absPath, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw err;
  }
}

// RFC 9110 §13.1.2: `*` matches any current representation; otherwise a comma-separated
// list of entity tags compared weakly (a `W/` prefix on either side is ignored).
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const ours = opaqueTag(etag);
  return ours !== null && parseEntityTags(header).includes(ours);
}

// The quoted part of an entity tag, without any W/ prefix.
function opaqueTag(tag: string): string | null {
  const bare = tag.startsWith('W/') ? tag.slice(2) : tag;
  return bare.length >= 2 && bare.startsWith('"') && bare.endsWith('"') ? bare : null;
}

// Parses `#entity-tag`. Commas may appear inside the quotes, so this scans rather than
// splits; parsing stops at the first malformed member and keeps what came before.
function parseEntityTags(header: string): string[] {
  const tags: string[] = [];
  let pos = 0;
  while (pos < header.length) {
    const ch = header[pos];
    if (ch === ' ' || ch === '\t' || ch === ',') {
      pos++;
      continue;
    }
    const start = header.startsWith('W/', pos) ? pos + 2 : pos;
    if (header[start] !== '"') break;
    const end = header.indexOf('"', start + 1);
    if (end < 0) break;
    tags.push(header.slice(start, end + 1));
    pos = end + 1;
  }
  return tags;
}
