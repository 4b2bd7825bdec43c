// A Django `dumpdata` file is one JSON array, often on one line of hundreds of megabytes. This
// splitter finds where each element starts and ends (tracking strings, escapes and nesting) and
// hands each element's text to JSON.parse, so memory holds one element at a time and the
// native parser does the real work. A broken element is one rejected record; a broken array
// (text between elements, a missing `]`) stops the import after the records before it.
import { parseJsonRecord } from './json-record.js';
import { ImportError, type SourceRecord } from './types.js';

const enum Phase {
  Start,
  BeforeElement,
  InElement,
  AfterElement,
  Done,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// JSON's four whitespace characters.
function isWhitespace(c: number): boolean {
  return c === 0x20 || c === NEWLINE || c === 0x0d || c === 0x09;
}

export class JsonArraySplitter {
  private phase = Phase.Start;
  private line = 1;
  private records = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private startLine = 1;
  private parts: string[] = [];
  /** A run of string characters that need no attention (sticky: matches only at lastIndex). */
  private readonly plainRun = /[^"\\\n]+/y;
  /** Set when the array's structure is broken; the records before it were already returned. */
  failure: ImportError | null = null;

  /** The records completed by this chunk, in order. */
  push(chunk: string): SourceRecord[] {
    const out: SourceRecord[] = [];
    if (this.failure) return out;
    try {
      this.scan(chunk, out);
    } catch (err) {
      if (!(err instanceof ImportError)) throw err;
      this.failure = err;
    }
    return out;
  }

  /** Call at the end of the file: a missing `]` is a failure. */
  end(): void {
    if (this.failure || this.phase === Phase.Done) return;
    this.failure = new ImportError(`line ${this.line}: the JSON array is not closed (is the file complete?)`);
  }

  // The hot loop: one pass over the text, each character looked at once.
  private scan(chunk: string, out: SourceRecord[]): void {
    const n = chunk.length;
    let elementStart = this.phase === Phase.InElement ? 0 : -1;
    let i = 0;
    while (i < n) {
      if (this.phase === Phase.InElement) {
        if (this.inString && !this.escaped) {
          // Most of the text is inside strings: let the regexp engine skip plain runs.
          this.plainRun.lastIndex = i;
          if (this.plainRun.test(chunk)) i = this.plainRun.lastIndex;
          if (i >= n) break;
        }
        const end = this.step(chunk.charCodeAt(i));
        if (end === 0) {
          i++;
          continue;
        }
        // end > 0: the element ends with this character; end < 0: it ended just before it.
        const stop = end > 0 ? i + 1 : i;
        out.push(this.finishElement(chunk.slice(elementStart, stop)));
        elementStart = -1;
        i = stop;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) this.line++;
      if (!isWhitespace(c)) {
        if (this.between(c)) {
          elementStart = i;
          continue; // the element's first character is scanned as part of it
        }
      }
      i++;
    }
    if (this.phase === Phase.InElement) this.parts.push(chunk.slice(elementStart));
  }

  /** One character inside an element: 0 = continue, 1 = ends with it, -1 = ended before it. */
  private step(c: number): number {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (c === BACKSLASH) this.escaped = true;
      else if (c === QUOTE) this.inString = false;
      else if (c === NEWLINE) this.line++; // invalid JSON, but line numbers stay true
      return 0;
    }
    if (c === QUOTE) this.inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (this.depth === 0) return -1; // a scalar element followed by `]`
      this.depth--;
      if (this.depth === 0) return 1;
    } else if (this.depth === 0 && (c === COMMA || isWhitespace(c))) {
      return -1; // end of a scalar element such as `3` or `null`
    } else if (c === NEWLINE) this.line++;
    return 0;
  }

  /** A non-blank character outside any element. Returns true when it starts an element. */
  private between(c: number): boolean {
    switch (this.phase) {
      case Phase.Start:
        if (c !== OPEN_BRACKET) throw new ImportError(`line ${this.line}: expected a JSON array`);
        this.phase = Phase.BeforeElement;
        return false;
      case Phase.BeforeElement:
        if (c === CLOSE_BRACKET) {
          this.phase = Phase.Done;
          return false;
        }
        if (c === COMMA || c === CLOSE_BRACE) throw new ImportError(`line ${this.line}: unexpected "${String.fromCharCode(c)}" in the JSON array`);
        this.phase = Phase.InElement;
        this.depth = 0;
        this.startLine = this.line;
        return true;
      case Phase.AfterElement:
        if (c === COMMA) this.phase = Phase.BeforeElement;
        else if (c === CLOSE_BRACKET) this.phase = Phase.Done;
        else throw new ImportError(`line ${this.line}: expected "," or "]" after an element of the JSON array`);
        return false;
      default:
        throw new ImportError(`line ${this.line}: unexpected text after the end of the JSON array`);
    }
  }

  private finishElement(tail: string): SourceRecord {
    const text = this.parts.length ? this.parts.join('') + tail : tail;
    this.parts = [];
    this.phase = Phase.AfterElement;
    this.inString = false;
    this.escaped = false;
    this.records++;
    return parseJsonRecord(text, this.startLine, this.records);
  }
}

/** The elements of the file's top-level array, a chunk's worth at a time. */
export async function* readJsonArray(chunks: AsyncIterable<string>): AsyncGenerator<SourceRecord[]> {
  const splitter = new JsonArraySplitter();
  for await (const chunk of chunks) {
    const records = splitter.push(chunk);
    if (records.length) yield records;
    if (splitter.failure) throw splitter.failure;
  }
  splitter.end();
  if (splitter.failure) throw splitter.failure;
}
