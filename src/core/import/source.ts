// The import file as a stream of UTF-8 text chunks. The head is read first (for detecting the
// format by content) and handed back as the first chunk, so nothing is read twice and the
// whole file is never in memory. A UTF-8 byte order mark is dropped here, once, for every format.
import fs from 'node:fs';
import { ImportError } from './types.js';

/** Large reads keep the per-chunk overhead (promises, parser calls) negligible. */
const CHUNK_BYTES = 1024 * 1024;
const BOM = '\uFEFF';
/** Enough for any header row; a longer first line is not a CSV header. */
const HEAD_CHARS = 64 * 1024;

export interface TextSource {
  /** At least the first line of the file (or all of it, if shorter), without a BOM. */
  readonly head: string;
  readonly totalBytes: number;
  /** The whole text, starting with `head`. Iterate once. */
  readonly chunks: AsyncIterable<string>;
  /** Bytes read from disk so far (for progress). */
  bytesRead(): number;
  close(): void;
}

/** Opens `file`; a missing or unreadable file is an ImportError naming it. */
export async function openTextSource(file: string): Promise<TextSource> {
  const totalBytes = await fileSize(file);
  const stream = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  stream.setEncoding('utf8');
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<string>;
  let head: string;
  try {
    head = await readHead(iterator);
  } catch (err) {
    stream.destroy();
    throw readError(file, err);
  }
  return {
    head,
    totalBytes,
    chunks: rest(head, iterator),
    bytesRead: () => stream.bytesRead,
    close: () => stream.destroy(),
  };
}

async function fileSize(file: string): Promise<number> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    throw readError(file, err);
  }
  if (stat.isDirectory()) throw new ImportError(`cannot read ${file}: it is a directory`);
  return stat.size;
}

// Reads until the first line is complete (format detection needs a CSV header line whole),
// but not on through a one-line JSON array of hundreds of megabytes.
async function readHead(iterator: AsyncIterator<string>): Promise<string> {
  let head = '';
  while (!head.includes('\n') && head.length < HEAD_CHARS) {
    const next = await iterator.next();
    if (next.done) break;
    head += next.value;
  }
  return head.startsWith(BOM) ? head.slice(BOM.length) : head;
}

async function* rest(head: string, iterator: AsyncIterator<string>): AsyncGenerator<string> {
  if (head) yield head;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

function readError(file: string, err: unknown): ImportError {
  const code = (err as { code?: string }).code;
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
  return new ImportError(`cannot read ${file}: ${why}`);
}
