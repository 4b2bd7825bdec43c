// Which of the three accepted formats a file is, from its first characters, never from its
// name: exports arrive as `users.txt`, `dump` or `export.json` whatever they hold.
import { ImportError, type ImportFormat } from './types.js';

/** Column names of which a CSV header must name at least one to be a user export. */
const IDENTITY_COLUMNS = ['email', 'username'];

/**
 * `[` opens a Django dumpdata array, `{` a JSON Lines file; anything else must be a CSV whose
 * header row names an email or username column. Throws ImportError with a hint otherwise.
 */
export function detectFormat(head: string): ImportFormat {
  const text = head.trimStart();
  if (text === '') throw new ImportError('unknown format: the file is empty');
  if (text.startsWith('[')) return 'django-json';
  const firstLine = text.split(/\r\n|\n|\r/, 1)[0];
  if (text.startsWith('{')) {
    // `{` alone on the first line: one pretty-printed object, which no line-by-line reading can use.
    if (firstLine.trim() === '{') throw new ImportError(`unknown format: the file is one JSON object spread over many lines; ${EXPECTED}`);
    return 'json-lines';
  }
  if (headerNames(firstLine, ',').some((n) => IDENTITY_COLUMNS.includes(n))) return 'csv';
  throw new ImportError(`unknown format: ${hint(text, firstLine)}`);
}

/** Header cells, unquoted, trimmed and lower-cased (how the CSV reader names columns too). */
export function headerNames(line: string, separator: string): string[] {
  return line.split(separator).map((cell) => normalizeColumnName(cell.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"')));
}

export function normalizeColumnName(name: string): string {
  return name.trim().toLowerCase();
}

const EXPECTED = 'expected a Django dumpdata JSON array, JSON Lines, or CSV with a header row naming email or username';

// A wrong file is the common case here; say what it looks like instead of only "unknown".
function hint(text: string, firstLine: string): string {
  const expected = EXPECTED;
  if (text.startsWith('\x1f\uFFFD')) return `the file looks gzip-compressed; decompress it first (${expected})`;
  if (text.startsWith('PK\x03\x04')) return `the file looks like a zip archive; extract it first (${expected})`;
  for (const [separator, name] of [[';', 'semicolons'], ['\t', 'tabs']] as const) {
    if (headerNames(firstLine, separator).some((n) => IDENTITY_COLUMNS.includes(n))) {
      return `the header row is separated by ${name}; only comma-separated CSV (RFC 4180) is read`;
    }
  }
  return expected;
}
